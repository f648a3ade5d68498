/**
 * SAML service providers. One table for the platform's (tenant_id null) and the tenants' rows,
 * like connectors; every query is filtered by the owner given once here, except the
 * platform-wide `find` the IdP uses when an AuthnRequest arrives.
 */
import type { ExpressionBuilder, Insertable, Kysely } from 'kysely';
import { Conflict, NotFound } from '../../shared/errors.js';
import type { NewServiceProvider, PlatformStore, ServiceProvider, ServiceProviderMetadataUpdate, ServiceProviderSettings, ServiceProviderStore } from '../ports/index.js';
import { guarded, type Guard } from './constraints.js';
import { tenantLabel } from './queries.js';
import { nowTimestamp, toFlag, toJsonText, toServiceProvider, toTimestamp } from './rows.js';
import type { Database, ServiceProvidersTable } from './schema.js';

const entityIdTaken = (entityId: string): Conflict => new Conflict('entityId', `service provider "${entityId}" is already registered`);

type MetadataColumns = Pick<Insertable<ServiceProvidersTable>, 'metadata_xml' | 'source_kind' | 'source_location' | 'metadata' | 'valid_until' | 'fetched_at'>;

function metadataColumns(sp: ServiceProviderMetadataUpdate): MetadataColumns {
  return {
    metadata_xml: sp.metadataXml,
    source_kind: sp.source.kind,
    source_location: sp.source.location,
    metadata: toJsonText(sp.metadata),
    valid_until: sp.validUntil ? toTimestamp(sp.validUntil) : null,
    fetched_at: toTimestamp(sp.fetchedAt),
  };
}

function insertRow(sp: NewServiceProvider, tenantId: string | null): Insertable<ServiceProvidersTable> {
  const now = nowTimestamp();
  return {
    ...metadataColumns(sp),
    entity_id: sp.entityId,
    tenant_id: tenantId,
    display_name: sp.displayName,
    enabled: toFlag(sp.enabled),
    release_policy: sp.releasePolicy,
    signatures: sp.signatures ?? 'both',
    encrypt_assertions: toFlag(sp.encryptAssertions ?? true),
    created_at: now,
    updated_at: now,
  };
}

/** `tenantId` null: the platform's service providers. */
export function serviceProviderStore(db: Kysely<Database>, tenantId: string | null): ServiceProviderStore {
  // `= null` matches nothing in SQL: the platform's rows need `is null`.
  const owned = (eb: ExpressionBuilder<Database, 'service_providers'>) => (tenantId === null ? eb('tenant_id', 'is', null) : eb('tenant_id', '=', tenantId));
  const scoped = () => db.selectFrom('service_providers').selectAll().where(owned);

  return {
    // The primary key refuses an entityID registered by any owner; an unknown tenant is a
    // foreign-key violation, reported as NotFound.
    async create(sp: NewServiceProvider): Promise<ServiceProvider> {
      const guard: Guard = { conflicts: { entity_id: () => entityIdTaken(sp.entityId) }, ...(tenantId === null ? {} : { missing: tenantLabel(tenantId) }) };
      const row = await guarded(guard, () => db.insertInto('service_providers').values(insertRow(sp, tenantId)).returningAll().executeTakeFirstOrThrow());
      return toServiceProvider(row);
    },

    async get(entityId: string): Promise<ServiceProvider | null> {
      const row = await scoped().where('entity_id', '=', entityId).executeTakeFirst();
      return row ? toServiceProvider(row) : null;
    },

    async list(): Promise<ServiceProvider[]> {
      const rows = await scoped().orderBy('entity_id').execute();
      return rows.map(toServiceProvider);
    },

    // Another owner's SP is reported exactly like a missing one.
    async update(entityId: string, metadata: ServiceProviderMetadataUpdate): Promise<ServiceProvider> {
      const row = await db.updateTable('service_providers').set({ ...metadataColumns(metadata), updated_at: nowTimestamp() })
        .where('entity_id', '=', entityId).where(owned).returningAll().executeTakeFirst();
      if (!row) throw new NotFound(`service provider "${entityId}"`);
      return toServiceProvider(row);
    },

    async changeSettings(entityId: string, settings: Partial<ServiceProviderSettings>): Promise<ServiceProvider> {
      const row = await db.updateTable('service_providers')
        .set({
          ...(settings.displayName !== undefined ? { display_name: settings.displayName } : {}),
          ...(settings.enabled !== undefined ? { enabled: toFlag(settings.enabled) } : {}),
          ...(settings.releasePolicy !== undefined ? { release_policy: settings.releasePolicy } : {}),
          ...(settings.signatures !== undefined ? { signatures: settings.signatures } : {}),
          ...(settings.encryptAssertions !== undefined ? { encrypt_assertions: toFlag(settings.encryptAssertions) } : {}),
          updated_at: nowTimestamp(),
        })
        .where('entity_id', '=', entityId).where(owned).returningAll().executeTakeFirst();
      if (!row) throw new NotFound(`service provider "${entityId}"`);
      return toServiceProvider(row);
    },

    async remove(entityId: string): Promise<void> {
      const result = await db.deleteFrom('service_providers').where('entity_id', '=', entityId).where(owned).executeTakeFirst();
      if (result.numDeletedRows === 0n) throw new NotFound(`service provider "${entityId}"`);
    },
  };
}

/** The platform's service providers, and the lookup across every owner. */
export function platformServiceProviders(db: Kysely<Database>): PlatformStore['serviceProviders'] {
  return {
    ...serviceProviderStore(db, null),
    async find(entityId: string): Promise<ServiceProvider | null> {
      const row = await db.selectFrom('service_providers').selectAll().where('entity_id', '=', entityId).executeTakeFirst();
      return row ? toServiceProvider(row) : null;
    },
  };
}
