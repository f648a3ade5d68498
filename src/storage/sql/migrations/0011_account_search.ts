/**
 * The helpdesk's account search (`AccountStore.search`, src/storage/sql/account-search.ts):
 * indexes on what it compares, computed by the database from the columns, so that no writer
 * (the LDAP import writes accounts with its own SQL) has anything new to write.
 *
 * - `hub_fold(text)`: the name fold of src/identity/fold.ts. On PostgreSQL an IMMUTABLE SQL
 *   function generated here from the fold's tables; on SQLite the
 *   JavaScript function itself, registered as deterministic on every connection the store
 *   opens (database.ts), before this migration runs.
 * - Names: `(tenant_id, hub_fold(last_name || ' ' || first_name), id, <first-last key>, status,
 *   profile)` and `(tenant_id, hub_fold(first_name || ' ' || last_name), id, status, profile)`
 *   (PostgreSQL: status, profile and the names included, not keys).
 *   Text compared byte-wise on both engines (`COLLATE "C"` on PostgreSQL, whose default
 *   collation may be a locale's), so a prefix is a range `[prefix, successor)`.
 * - Logins, on PostgreSQL: `(tenant_id, login COLLATE "C")`; the platform-wide unique index on
 *   `login` has the default collation and cannot serve a range there. SQLite's can (byte-wise).
 * - E-mails: `(tenant_id, lower(email))` and `(tenant_id, lower(academic_email))`, partial.
 *
 * The fold's table is frozen (see fold.ts): this function is what the indexes were built with.
 */
import { sql, type Kysely } from 'kysely';
import { FOLD_LETTERS, FOLD_MARKS, FOLD_MAX_LENGTH, FOLD_SEPARATORS } from '../../../identity/fold.js';
import type { ColumnTypes } from '../dialect.js';

type AnyDb = Kysely<any>;

const quote = (text: string): string => `'${text.replaceAll("'", "''")}'`;

/**
 * `hub_fold` for PostgreSQL, step by step as `foldName` (fold.ts): NFD, marks dropped, ASCII
 * lower-cased (`lower` under the "C" collation touches nothing else), ligatures by `replace`,
 * the other whole letters by one `translate`, separator runs made one space, cut, ends trimmed.
 * Every piece is IMMUTABLE, so the function is, and expression indexes may use it.
 */
export function postgresFoldFunction(): string {
  const letters = [...FOLD_LETTERS];
  const marks = `[${String.fromCharCode(FOLD_MARKS.first)}-${String.fromCharCode(FOLD_MARKS.last)}]`;
  let body = `lower(regexp_replace(normalize(t, NFD), ${quote(marks)}, '', 'g') collate "C")`;
  for (const [from, to] of letters.filter(([, to]) => to.length > 1)) body = `replace(${body}, ${quote(from)}, ${quote(to)})`;
  const single = letters.filter(([, to]) => to.length === 1);
  body = `translate(${body}, ${quote(single.map(([c]) => c).join(''))}, ${quote(single.map(([, c]) => c).join(''))})`;
  body = `regexp_replace(${body}, ${quote(`[${FOLD_SEPARATORS}]+`)}, ' ', 'g')`;
  body = `btrim(left(${body}, ${FOLD_MAX_LENGTH}), ' ')`;
  return `create or replace function hub_fold(t text) returns text language sql immutable parallel safe as $fold$ select ${body} $fold$`;
}

export async function up(db: AnyDb, types: ColumnTypes): Promise<void> {
  const postgres = types.dialect === 'postgres';
  if (postgres) await sql.raw(postgresFoldFunction()).execute(db);
  const bytewise = postgres ? ' collate "C"' : '';
  const key = (expression: string) => (postgres ? `(${expression})${bytewise}` : expression);
  const lastFirst = key(`hub_fold(last_name || ' ' || first_name)`);
  // The first-last key, spelled two ways (see account-search.ts: a statement picks its index by
  // the spelling it uses): the same value, not the same expression to a planner.
  const firstLast = key(`hub_fold(first_name || ' ' || last_name)`);
  const firstLastAlong = key(`hub_fold(first_name || (' ' || last_name))`);
  // Profile and status ride along in both: the search's filters are then checked in the index.
  // On PostgreSQL the names too, so that a page's ids are read from the index alone (an
  // index-only scan needs every column the query names, those under the keys included).
  const names = postgres ? ' include (first_name, last_name)' : '';
  const firstLastRest = postgres ? ', id) include (first_name, last_name, status, profile)' : ', id, status, profile)';
  const statements = [
    // The first-last key rides along as well: a frequent first-name prefix is checked in this
    // index, read in last-first order, without fetching the rows.
    `create index accounts_search_last_first_idx on accounts (tenant_id, ${lastFirst}, id, ${firstLastAlong}, status, profile)${names}`,
    `create index accounts_search_first_last_idx on accounts (tenant_id, ${firstLast}${firstLastRest}`,
    ...(postgres ? [`create index accounts_search_login_idx on accounts (tenant_id, login${bytewise})`] : []),
    'create index accounts_search_email_idx on accounts (tenant_id, lower(email)) where email is not null',
    'create index accounts_search_academic_email_idx on accounts (tenant_id, lower(academic_email)) where academic_email is not null',
  ];
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: AnyDb, types: ColumnTypes): Promise<void> {
  for (const index of ['accounts_search_last_first_idx', 'accounts_search_first_last_idx', 'accounts_search_login_idx', 'accounts_search_email_idx', 'accounts_search_academic_email_idx']) {
    await db.schema.dropIndex(index).ifExists().execute();
  }
  if (types.dialect === 'postgres') await sql`drop function if exists hub_fold(text)`.execute(db);
}
