/**
 * LDAP import: directory identifiers and content hashes on imported rows (so an unchanged
 * entry costs a comparison, not a write), import runs with their quarantine, and two staging
 * tables a run uses to stay memory-bounded (entries seen, parent–child links to resolve).
 */
import type { Kysely } from 'kysely';
import type { ColumnTypes } from '../dialect.js';

type AnyDb = Kysely<any>;

async function addColumns(db: AnyDb, table: string, columns: string[]): Promise<void> {
  // SQLite adds one column per ALTER TABLE.
  for (const column of columns) await db.schema.alterTable(table).addColumn(column, 'text').execute();
}

export async function up(db: AnyDb, types: ColumnTypes): Promise<void> {
  await addColumns(db, 'accounts', ['ine', 'gar_id', 'dn', 'content_hash', 'activation_code_hash']);
  await addColumns(db, 'structures', ['dn', 'content_hash']);
  await addColumns(db, 'groups', ['dn', 'content_hash']);
  // Pupils who move schools are matched by INE; imports find a source's accounts and resolve DNs.
  await db.schema.createIndex('accounts_tenant_ine_idx').on('accounts').columns(['tenant_id', 'ine']).execute();
  await db.schema.createIndex('accounts_tenant_source_idx').on('accounts').columns(['tenant_id', 'source', 'status']).execute();
  await db.schema.createIndex('accounts_tenant_dn_idx').on('accounts').columns(['tenant_id', 'dn']).execute();
  await db.schema.createIndex('structures_tenant_dn_idx').on('structures').columns(['tenant_id', 'dn']).execute();
  await db.schema.createIndex('groups_tenant_dn_idx').on('groups').columns(['tenant_id', 'dn']).execute();

  await db.schema.createTable('import_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('source_id', 'text', (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('dry_run', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('started_at', types.timestamp, (c) => c.notNull())
    .addColumn('finished_at', types.timestamp)
    .addColumn('high_water_mark', 'text')
    .addColumn('counters', types.json, (c) => c.notNull())
    .addColumn('error', 'text')
    .execute();
  await db.schema.createIndex('import_runs_source_idx').on('import_runs').columns(['tenant_id', 'source_id', 'started_at']).execute();

  await db.schema.createTable('import_quarantine')
    .addColumn('run_id', 'text', (c) => c.notNull().references('import_runs.id').onDelete('cascade'))
    .addColumn('dn', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('import_quarantine_run_idx').on('import_quarantine').column('run_id').execute();

  await db.schema.createTable('import_seen')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('import_seen_pk', ['run_id', 'external_id'])
    .execute();

  await db.schema.createTable('import_pending_relations')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('parent_external_id', 'text')
    .addColumn('parent_dn', 'text')
    .addColumn('child_external_id', 'text')
    .addColumn('child_dn', 'text')
    .execute();
  await db.schema.createIndex('import_pending_relations_run_idx').on('import_pending_relations').column('run_id').execute();
}

export async function down(db: AnyDb): Promise<void> {
  for (const table of ['import_pending_relations', 'import_seen', 'import_quarantine', 'import_runs']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
