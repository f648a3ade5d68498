/**
 * Cheaper import writes. `accounts_academic_email_idx` (academic_email alone, 0001) is dropped:
 * every query on the académie e-mail is scoped to a tenant and served by
 * `accounts_tenant_academic_email_idx` (0003), so it only cost a write per account.
 * On SQLite, `import_seen` becomes a WITHOUT ROWID table: its primary key is the whole row, and
 * a rowid table kept it twice (the table and an index on the key), two b-tree writes per person.
 */
import { sql, type Kysely } from 'kysely';
import type { ColumnTypes } from '../dialect.js';

type AnyDb = Kysely<any>;

export async function up(db: AnyDb, types: ColumnTypes): Promise<void> {
  await db.schema.dropIndex('accounts_academic_email_idx').execute();
  if (types.dialect !== 'sqlite') return;
  await db.schema.createTable('import_seen_new')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('import_seen_pk', ['run_id', 'external_id'])
    .modifyEnd(sql`without rowid`)
    .execute();
  // Rows of a run still going (or killed) are kept: the next run cleans them up.
  await sql`insert into import_seen_new (run_id, external_id) select run_id, external_id from import_seen`.execute(db);
  await db.schema.dropTable('import_seen').execute();
  await db.schema.alterTable('import_seen_new').renameTo('import_seen').execute();
}

export async function down(db: AnyDb, types: ColumnTypes): Promise<void> {
  await db.schema.createIndex('accounts_academic_email_idx').on('accounts').column('academic_email').execute();
  if (types.dialect !== 'sqlite') return;
  await db.schema.createTable('import_seen_old')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('import_seen_pk', ['run_id', 'external_id'])
    .execute();
  await sql`insert into import_seen_old (run_id, external_id) select run_id, external_id from import_seen`.execute(db);
  await db.schema.dropTable('import_seen').execute();
  await db.schema.alterTable('import_seen_old').renameTo('import_seen').execute();
}
