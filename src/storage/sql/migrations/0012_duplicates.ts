/**
 * Likely duplicate accounts: the index their search groups on, the merges (what moved, so that
 * an undo moves it back) and the "not a duplicate" marks.
 *
 * The grouping key is computed by SQL, in an expression index on the accounts: the import writes
 * accounts with its own statements (`imports/`), and an index is the one thing every writer keeps
 * up to date without knowing it. The key folds case, the accents of French names, the œ/æ
 * ligatures, hyphens and apostrophes (`Lefèvre` = `LEFEVRE`, `Jean-Marie` = `jean marie`); it is
 * spelled here, in the migration that indexes it, and the duplicates store queries with this very
 * text (SQLite uses an expression index only for a textually identical expression).
 */
import { sql, type Kysely } from 'kysely';
import type { ColumnTypes } from '../dialect.js';

type AnyDb = Kysely<any>;

/** Each character and what it folds to (lower-case ASCII); ligatures fold to two letters. */
const FOLDS: ReadonlyArray<readonly [string, string]> = [
  ...[...'ÀÁÂÃÄÅàáâãäå'].map((c) => [c, 'a'] as const),
  ...[...'Çç'].map((c) => [c, 'c'] as const),
  ...[...'ÈÉÊËèéêë'].map((c) => [c, 'e'] as const),
  ...[...'ÌÍÎÏìíîï'].map((c) => [c, 'i'] as const),
  ...[...'Ññ'].map((c) => [c, 'n'] as const),
  ...[...'ÒÓÔÕÖØòóôõöø'].map((c) => [c, 'o'] as const),
  ...[...'ÙÚÛÜùúûü'].map((c) => [c, 'u'] as const),
  ...[...'ÝŸýÿ'].map((c) => [c, 'y'] as const),
  // Hyphens and apostrophes (straight and typographic) separate like a space.
  ...[...'-\'’'].map((c) => [c, ' '] as const),
  ['Œ', 'oe'], ['œ', 'oe'], ['Æ', 'ae'], ['æ', 'ae'],
];

const literal = (text: string): string => `'${text.replace(/'/g, "''")}'`;

/**
 * The folded form of a name column, as SQL text (`column` may be qualified: `a.last_name`).
 * Most names are plain ASCII: they only need lower() and the separators, which costs a tenth of
 * the accent folding (measured: 8 µs a name on SQLite, one replace() per character; 6 µs on
 * PostgreSQL's translate()), paid by every import that writes a name. lower() comes last on the
 * other path: once the accents are gone, it has only ASCII left, which it folds in every locale.
 */
export function foldedName(column: string, dialect: ColumnTypes['dialect']): string {
  const replaceAll = (expr: string, folds: ReadonlyArray<readonly [string, string]>) =>
    folds.reduce((inner, [from, to]) => `replace(${inner}, ${literal(from)}, ${literal(to)})`, expr);
  const ascii = `octet_length(${column}) = length(${column})`;
  const plain = replaceAll(`lower(${column})`, [['-', ' '], ["'", ' ']]);
  let accented: string;
  if (dialect === 'postgres') {
    // One translate() for the single characters, replace() for the ligatures.
    const single = FOLDS.filter(([, to]) => to.length === 1);
    const from = single.map(([c]) => c).join('');
    const to = single.map(([, c]) => c).join('');
    accented = `lower(translate(${replaceAll(column, FOLDS.filter(([, t]) => t.length > 1))}, ${literal(from)}, ${literal(to)}))`;
  } else {
    // SQLite has no translate(): one replace() per character.
    accented = `lower(${replaceAll(column, FOLDS)})`;
  }
  return `case when ${ascii} then ${plain} else ${accented} end`;
}

export async function up(db: AnyDb, types: ColumnTypes): Promise<void> {
  // Groups are read in this order (names, then birth date), only among dated accounts. The
  // index carries what the grouping reads (external id, why disabled, the members' ids) and the
  // raw names, so that neither engine goes to the table nor folds the names again: reading every
  // group of a million accounts took 15.6 s on PostgreSQL and 7.1 s on SQLite without, 1.6 s and
  // 1.0 s with. PostgreSQL needs the raw names to see that it can (it does not look into the
  // expressions); SQLite has no INCLUDE and takes them as trailing key columns.
  const key = `tenant_id, (${foldedName('last_name', types.dialect)}), (${foldedName('first_name', types.dialect)}), birth_date`;
  const carried = 'external_id, disabled_reason, last_name, first_name, id';
  await sql.raw(types.dialect === 'postgres'
    ? `create index accounts_duplicate_key_idx on accounts (${key}) include (${carried}) where birth_date is not null`
    : `create index accounts_duplicate_key_idx on accounts (${key}, ${carried}) where birth_date is not null`).execute(db);

  await db.schema.createTable('account_merges')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('kept_id', 'text', (c) => c.notNull())
    .addColumn('other_id', 'text', (c) => c.notNull())
    /** JSON: MergeLinks (ids by kind). */
    .addColumn('moved', types.json, (c) => c.notNull())
    .addColumn('skipped', types.json, (c) => c.notNull())
    .addColumn('other_status', 'text', (c) => c.notNull())
    .addColumn('other_disabled_reason', 'text')
    .addColumn('merged_at', types.timestamp, (c) => c.notNull())
    .addColumn('merged_by', 'text', (c) => c.notNull())
    .addColumn('undone_at', types.timestamp)
    .addColumn('undone_by', 'text')
    // Deleting an account (the purge) deletes its merges: there is nothing left to undo.
    .addForeignKeyConstraint('account_merges_kept_fk', ['tenant_id', 'kept_id'], 'accounts', ['tenant_id', 'id'], (fk) => fk.onDelete('cascade'))
    .addForeignKeyConstraint('account_merges_other_fk', ['tenant_id', 'other_id'], 'accounts', ['tenant_id', 'id'], (fk) => fk.onDelete('cascade'))
    .execute();
  await db.schema.createIndex('account_merges_tenant_idx').on('account_merges').columns(['tenant_id', 'id']).execute();
  // The cascades of an account's deletion look merges up by either account.
  await db.schema.createIndex('account_merges_kept_idx').on('account_merges').columns(['tenant_id', 'kept_id']).execute();
  await db.schema.createIndex('account_merges_other_idx').on('account_merges').columns(['tenant_id', 'other_id']).execute();

  await db.schema.createTable('duplicate_marks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    /** The smaller account id of the pair. */
    .addColumn('a_id', 'text', (c) => c.notNull())
    .addColumn('b_id', 'text', (c) => c.notNull())
    .addColumn('marked_at', types.timestamp, (c) => c.notNull())
    .addColumn('marked_by', 'text', (c) => c.notNull())
    .addColumn('undone_at', types.timestamp)
    .addColumn('undone_by', 'text')
    .addCheckConstraint('duplicate_marks_ordered', sql`a_id < b_id`)
    .addForeignKeyConstraint('duplicate_marks_a_fk', ['tenant_id', 'a_id'], 'accounts', ['tenant_id', 'id'], (fk) => fk.onDelete('cascade'))
    .addForeignKeyConstraint('duplicate_marks_b_fk', ['tenant_id', 'b_id'], 'accounts', ['tenant_id', 'id'], (fk) => fk.onDelete('cascade'))
    .execute();
  await db.schema.createIndex('duplicate_marks_tenant_idx').on('duplicate_marks').columns(['tenant_id', 'id']).execute();
  // One mark in force per pair; undone ones stay as history.
  await db.schema.createIndex('duplicate_marks_pair_idx').on('duplicate_marks').unique().columns(['tenant_id', 'a_id', 'b_id'])
    .where(sql.ref('undone_at'), 'is', null).execute();
  // Plain indexes too: the cascades of an account's deletion cannot use the partial one.
  await db.schema.createIndex('duplicate_marks_a_idx').on('duplicate_marks').columns(['tenant_id', 'a_id']).execute();
  await db.schema.createIndex('duplicate_marks_b_idx').on('duplicate_marks').columns(['tenant_id', 'b_id']).execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('duplicate_marks').ifExists().execute();
  await db.schema.dropTable('account_merges').ifExists().execute();
  await db.schema.dropIndex('accounts_duplicate_key_idx').ifExists().execute();
}
