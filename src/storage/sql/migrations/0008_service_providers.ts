/**
 * SAML service providers the hub's IdP serves (`hub saml sp add`). The entityID is the primary
 * key: an AuthnRequest names only its issuer, so an entityID is unique platform-wide.
 * tenant_id null: a platform SP (the GAR).
 */
import type { Kysely } from 'kysely';
import type { ColumnTypes } from '../dialect.js';

type AnyDb = Kysely<any>;

export async function up(db: AnyDb, types: ColumnTypes): Promise<void> {
  await db.schema.createTable('service_providers')
    .addColumn('entity_id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.references('tenants.id'))
    .addColumn('display_name', 'text', (c) => c.notNull())
    /** The metadata document as received. */
    .addColumn('metadata_xml', 'text', (c) => c.notNull())
    /** `file`, `url` or `aggregate`; source_location is the path or the URL. */
    .addColumn('source_kind', 'text', (c) => c.notNull())
    .addColumn('source_location', 'text', (c) => c.notNull())
    /** The values the IdP reads, parsed from metadata_xml when it was written (SpMetadataValues). */
    .addColumn('metadata', types.json, (c) => c.notNull())
    .addColumn('valid_until', types.timestamp)
    .addColumn('fetched_at', types.timestamp, (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    /** Default `generic`: the release policy that gives the least. */
    .addColumn('release_policy', 'text', (c) => c.notNull().defaultTo('generic'))
    .addColumn('created_at', types.timestamp, (c) => c.notNull())
    .addColumn('updated_at', types.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('service_providers_tenant_idx').on('service_providers').column('tenant_id').execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('service_providers').ifExists().execute();
}
