/**
 * Fewer writes per imported account.
 * - `accounts_tenant_login_idx` goes: logins are unique platform-wide, so `accounts_login_key`
 *   serves a tenant's login-ordered listing as well. `accounts_tenant_source_idx` goes: only an
 *   import's end reads by source, once per run.
 * - INE and académie e-mail indexes become partial: most accounts have neither (INEs are
 *   pupils', académie e-mails staff's), and every query on them is an equality.
 * - `import_seen` goes: a run keeps the external ids it saw in memory (a fingerprint set).
 * - `import_pending_relations` names one side of a link by the id of the account that stated
 *   it, so resolving a link is one lookup instead of two. Its rows only live during a run (a
 *   killed run's are dropped by the next), so it is recreated empty.
 */
import { sql, type Kysely } from 'kysely';

type AnyDb = Kysely<any>;

/** `import_pending_relations` (re)created empty: `run_id`, then `required` and `optional` text columns. */
async function pendingRelations(db: AnyDb, columns: { required: string[]; optional: string[] }, indexed: string[]): Promise<void> {
  await db.schema.dropTable('import_pending_relations').ifExists().execute();
  let table = db.schema.createTable('import_pending_relations').addColumn('run_id', 'text', (c) => c.notNull());
  for (const column of columns.required) table = table.addColumn(column, 'text', (c) => c.notNull());
  for (const column of columns.optional) table = table.addColumn(column, 'text');
  await table.execute();
  await db.schema.createIndex('import_pending_relations_run_idx').on('import_pending_relations').columns(indexed).execute();
}

export async function up(db: AnyDb): Promise<void> {
  await db.schema.dropIndex('accounts_tenant_login_idx').execute();
  await db.schema.dropIndex('accounts_tenant_source_idx').execute();
  await db.schema.dropIndex('accounts_tenant_ine_idx').execute();
  await db.schema.createIndex('accounts_tenant_ine_idx').on('accounts').columns(['tenant_id', 'ine']).where(sql.ref('ine'), 'is not', null).execute();
  await db.schema.dropIndex('accounts_tenant_academic_email_idx').execute();
  await db.schema.createIndex('accounts_tenant_academic_email_idx').on('accounts').columns(['tenant_id', 'academic_email']).where(sql.ref('academic_email'), 'is not', null).execute();
  await db.schema.dropTable('import_seen').execute();
  // `side`: whether `account_id` is the parent or the child; the other side is named by
  // external id or DN.
  // Indexed by account too: links are resolved a range of accounts at a time.
  await pendingRelations(db, { required: ['account_id', 'side'], optional: ['other_external_id', 'other_dn'] }, ['run_id', 'account_id']);
}

export async function down(db: AnyDb): Promise<void> {
  await pendingRelations(db, { required: [], optional: ['parent_external_id', 'parent_dn', 'child_external_id', 'child_dn'] }, ['run_id']);
  await db.schema.createTable('import_seen')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('import_seen_pk', ['run_id', 'external_id'])
    .execute();
  await db.schema.dropIndex('accounts_tenant_academic_email_idx').execute();
  await db.schema.createIndex('accounts_tenant_academic_email_idx').on('accounts').columns(['tenant_id', 'academic_email']).execute();
  await db.schema.dropIndex('accounts_tenant_ine_idx').execute();
  await db.schema.createIndex('accounts_tenant_ine_idx').on('accounts').columns(['tenant_id', 'ine']).execute();
  await db.schema.createIndex('accounts_tenant_source_idx').on('accounts').columns(['tenant_id', 'source', 'status']).execute();
  await db.schema.createIndex('accounts_tenant_login_idx').on('accounts').columns(['tenant_id', 'login']).execute();
}
