/**
 * Where each OIDC client comes from (`config`, `cli`, `development`) and when it was disabled.
 * The configuration is a declaration: a client it no longer declares is disabled at start, so
 * the store must tell the clients it mirrored from those the CLI registered.
 */
import type { Kysely } from 'kysely';
import type { ColumnTypes } from '../dialect.js';

type AnyDb = Kysely<any>;

/** The id of the development hub's demo client (now src/dev/demo-rp.ts), as it was when this migration was written. */
const DEMO_CLIENT_ID = 'demo';

export async function up(db: AnyDb, types: ColumnTypes): Promise<void> {
  // SQLite adds one column per ALTER TABLE, and a NOT NULL one needs a default.
  await db.schema.alterTable('oidc_clients').addColumn('origin', 'text', (c) => c.notNull().defaultTo('cli')).execute();
  await db.schema.alterTable('oidc_clients').addColumn('disabled_at', types.timestamp).execute();
  await backfillOrigins(db);
}

/**
 * Existing rows carry no origin. Tenant clients were only ever registered by the CLI, which
 * audits `client.created`; a platform client without that event came from the configuration
 * (or, for `demo`, from the development hub). Marking them so lets the next start disable
 * the ones the configuration no longer declares, which is the point of this change.
 */
async function backfillOrigins(db: AnyDb): Promise<void> {
  await db.updateTable('oidc_clients')
    .set({ origin: 'config' })
    .where('tenant_id', 'is', null)
    .where(({ not, exists, selectFrom }) => not(exists(
      selectFrom('audit_events')
        .select('audit_events.id')
        .where('audit_events.type', '=', 'client.created')
        .where('audit_events.tenant_id', 'is', null)
        .whereRef('audit_events.client_id', '=', 'oidc_clients.client_id'),
    )))
    .execute();
  await db.updateTable('oidc_clients')
    .set({ origin: 'development' })
    .where('origin', '=', 'config')
    .where('client_id', '=', DEMO_CLIENT_ID)
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.alterTable('oidc_clients').dropColumn('disabled_at').execute();
  await db.schema.alterTable('oidc_clients').dropColumn('origin').execute();
}
