/**
 * The admin console's own data: who holds which admin role where (`role_grants`), and why a
 * disabled account is disabled (`accounts.disabled_reason`: an admin's block, or a merge), so
 * unblocking a school's pupils never wakes an account that was merged into another.
 */
import type { Kysely } from 'kysely';
import type { ColumnTypes } from '../dialect.js';

type AnyDb = Kysely<any>;

export async function up(db: AnyDb, types: ColumnTypes): Promise<void> {
  await db.schema.alterTable('accounts').addColumn('disabled_reason', 'text').execute();
  await db.schema.createTable('role_grants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    /** `account` or `client`. */
    .addColumn('subject_kind', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('tenant_id', 'text', (c) => c.references('tenants.id').onDelete('cascade'))
    /** JSON array of structure ids, sorted; `[]`: the whole tenant. */
    .addColumn('structure_ids', 'text', (c) => c.notNull())
    /** `<tenant id or empty>/<structure_ids>`: one grant per (subject, role, scope). */
    .addColumn('scope_key', 'text', (c) => c.notNull())
    .addColumn('granted_at', types.timestamp, (c) => c.notNull())
    .addColumn('granted_by', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('role_grants_subject_idx').on('role_grants').columns(['subject_kind', 'subject_id']).execute();
  await db.schema.createIndex('role_grants_scope_idx').on('role_grants').unique().columns(['subject_kind', 'subject_id', 'role', 'scope_key']).execute();
  await db.schema.createIndex('role_grants_tenant_idx').on('role_grants').column('tenant_id').execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('role_grants').ifExists().execute();
  await db.schema.alterTable('accounts').dropColumn('disabled_reason').execute();
}
