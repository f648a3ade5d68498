/**
 * Connectors registered in the store. One table for the platform's (tenant_id null) and the
 * tenants' rows, like oidc_clients; every query is filtered by the owner given once here.
 */
import type { Insertable, Kysely } from 'kysely';
import { Conflict, NotFound } from '../../shared/errors.js';
import type { ConnectorStore, NewStoredConnector, StoredConnector } from '../ports/index.js';
import { guarded, type Guard } from './constraints.js';
import { tenantLabel } from './queries.js';
import { nowTimestamp, toFlag, toJsonText, toStoredConnector } from './rows.js';
import type { ConnectorsTable, Database } from './schema.js';

const idTaken = (id: string): Conflict => new Conflict('connectorId', `connector id "${id}" is already taken`);

function insertRow(connector: NewStoredConnector, tenantId: string | null): Insertable<ConnectorsTable> {
  const now = nowTimestamp();
  return {
    id: connector.id,
    tenant_id: tenantId,
    type: connector.type,
    profile: connector.profile,
    display_name: connector.displayName,
    enabled: toFlag(connector.enabled),
    config: toJsonText(connector.config),
    created_at: now,
    updated_at: now,
  };
}

/** `tenantId` null: the platform's connectors. */
export function connectorStore(db: Kysely<Database>, tenantId: string | null): ConnectorStore {
  // `= null` matches nothing in SQL: the platform's rows need `is null`.
  const scoped = () => {
    const query = db.selectFrom('connectors').selectAll();
    return tenantId === null ? query.where('tenant_id', 'is', null) : query.where('tenant_id', '=', tenantId);
  };

  return {
    // The primary key refuses an id used by any tenant or by the platform; an unknown tenant
    // is a foreign-key violation, reported as NotFound.
    async create(connector: NewStoredConnector): Promise<StoredConnector> {
      const guard: Guard = { conflicts: { id: () => idTaken(connector.id) }, ...(tenantId === null ? {} : { missing: tenantLabel(tenantId) }) };
      const row = await guarded(guard, () => db.insertInto('connectors').values(insertRow(connector, tenantId)).returningAll().executeTakeFirstOrThrow());
      return toStoredConnector(row);
    },

    async get(id: string): Promise<StoredConnector | null> {
      const row = await scoped().where('id', '=', id).executeTakeFirst();
      return row ? toStoredConnector(row) : null;
    },

    async list(): Promise<StoredConnector[]> {
      const rows = await scoped().orderBy('id').execute();
      return rows.map(toStoredConnector);
    },

    // Another owner's connector is reported exactly like a missing one.
    async remove(id: string): Promise<void> {
      const query = db.deleteFrom('connectors').where('id', '=', id);
      const result = await (tenantId === null ? query.where('tenant_id', 'is', null) : query.where('tenant_id', '=', tenantId)).executeTakeFirst();
      if (result.numDeletedRows === 0n) throw new NotFound(`connector "${id}"`);
    },
  };
}
