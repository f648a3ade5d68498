/**
 * `AccountStore.search` on SQL: the helpdesk finds an account among a million by name, login,
 * external id, e-mail, school or class, one keyset page at a time, on the indexes of migration
 * 0011 (fold.ts says what a folded name is; the database folds with `hub_fold`).
 *
 * A search is one statement, after at most one preparatory read (the structures' members,
 * counted up to a cap; or a first-last prefix's matches, up to a cap), of one of these shapes:
 * - name: the union of two reads, each stopping after a page. Last-first keys in the prefix's
 *   range, read in key order from `accounts_search_last_first_idx`. First-last keys in the
 *   range, in last-first order: when few accounts match (their ids read first from
 *   `accounts_search_first_last_idx`), those accounts, sorted; when many (`m`), along the
 *   last-first index, whose columns hold the first-last key, profile and status, checked there.
 *   A read along that index takes the page's ids from the index alone, then their rows. A
 *   prefix is a range `[prefix, successor)` of byte-wise compared text (`COLLATE "C"` on
 *   PostgreSQL).
 * - login: a range of the logins' index (PostgreSQL: `accounts_search_login_idx`; SQLite: the
 *   unique one), in login order.
 * - a known set of candidates (a school's or class's members, the accounts of an e-mail or an
 *   external id, the members of the `structureIds` when they are few): each candidate's keys
 *   computed once, then filtered and sorted.
 * Each statement names the index it wants (see `Statements`): neither engine's estimate of a
 * prefix's share is good enough to leave the choice to it.
 * The keyset cursor is the last row's order key and id, base64url JSON, checked on the way back.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, sql, type Kysely, type RawBuilder } from 'kysely';
import { foldName } from '../../identity/fold.js';
import { normalizeLogin } from '../../identity/login.js';
import { HubError } from '../../shared/errors.js';
import type { Account, AccountFilters, AccountSearch, KeysetPage, KeysetResult } from '../ports/index.js';
import { dialectOf, type SqlDialect } from './dialect.js';
import { toAccount } from './rows.js';
import type { AccountRow, Database } from './schema.js';

/** The largest page a caller may ask for. */
export const MAX_SEARCH_LIMIT = 200;

/**
 * Up to this many members, a search scoped to structures starts from their members (each
 * folded once, ~10 µs); beyond, from the name index, checking membership row by row, which
 * finds a page sooner once the structures hold a good share of the tenant.
 */
export const MEMBERS_FIRST_MAX = 4000;

/**
 * When up to this many accounts match a first-last prefix (filters included: counted in
 * `accounts_search_first_last_idx`, which holds profile and status), they are read and sorted
 * (each read and folded once, ~10 µs); beyond, they are read along the last-first index in its
 * order, the first-last key, profile and status checked there (~0.2 µs an index entry), where
 * at worst one entry in `accounts / max` matches: 50,000 entries for a page of a million.
 */
export const SORTED_FIRST_NAMES_MAX = 1000;

/** SQLite's `hub_fold`: the fold itself, deterministic so that expression indexes may use it. */
export function registerFold(connection: BetterSqlite3.Database): void {
  connection.function('hub_fold', { deterministic: true }, (text: unknown) => (typeof text === 'string' ? foldName(text) : text));
}

const invalid = (message: string) => new HubError('invalid_argument', message, { status: 400 });

/** The statement a search runs for its page; its rows are accounts and their order key, `sort_key`. */
export interface SearchPlan {
  query: CompiledQuery;
}

/** What tests change to reach every plan on small data. */
export interface SearchTuning {
  /** `MEMBERS_FIRST_MAX` by default. */
  membersFirstMax?: number;
  /** `SORTED_FIRST_NAMES_MAX` by default; -1: never sorted. */
  sortedFirstNamesMax?: number;
}

export async function searchAccounts(
  db: Kysely<Database>, tenantId: string, query: AccountSearch, filters: AccountFilters, page: KeysetPage, tuning: SearchTuning = {},
): Promise<KeysetResult<Account>> {
  const plan = await planAccountSearch(db, tenantId, query, filters, page, tuning);
  if (plan === null) return { items: [], next: null };
  const { rows } = await db.executeQuery<AccountRow & { sort_key: string }>(plan.query);
  const items = rows.slice(0, page.limit);
  const last = items[items.length - 1];
  return {
    items: items.map(toAccount),
    next: rows.length > page.limit && last ? encodeCursor({ key: last.sort_key, id: last.id }) : null,
  };
}

/**
 * The statement `searchAccounts` would run for this page, compiled (tests EXPLAIN it); null
 * when the answer is known to be empty without asking (nothing left to search for once folded,
 * an empty `structureIds`). Runs the preparatory reads the choice of statement needs.
 */
export async function planAccountSearch(
  db: Kysely<Database>, tenantId: string, query: AccountSearch, filters: AccountFilters, page: KeysetPage, tuning: SearchTuning = {},
): Promise<SearchPlan | null> {
  if (!Number.isInteger(page.limit) || page.limit < 1 || page.limit > MAX_SEARCH_LIMIT) {
    throw invalid(`a search page holds 1 to ${MAX_SEARCH_LIMIT} accounts (asked for ${page.limit})`);
  }
  const after = page.after === undefined ? undefined : decodeCursor(page.after);
  if (filters.structureIds?.length === 0) return null;
  // No stored text holds a NUL (PostgreSQL refuses it): nothing could match.
  if (Object.values(query).some((value) => value.includes('\0'))) return null;
  const s = new Statements(dialectOf(db as Kysely<any>), tenantId, filters, after, page.limit + 1);
  // Few members: start from them rather than from the name or login index.
  const membersFirstMax = tuning.membersFirstMax ?? MEMBERS_FIRST_MAX;
  const few = async () => filters.structureIds !== undefined && (await countMembers(db, tenantId, filters.structureIds, membersFirstMax)) <= membersFirstMax;
  let statement: RawBuilder<unknown>;
  switch (query.kind) {
    case 'name': {
      const prefix = foldName(query.text);
      if (prefix === '') return null;
      if (await few()) {
        statement = s.fromCandidates(s.membersOf(filters.structureIds!), { prefix, scoped: true });
      } else {
        // The first-last matches, if few: sorted with the rest; if many, read in order instead.
        const max = tuning.sortedFirstNamesMax ?? SORTED_FIRST_NAMES_MAX;
        const { rows } = await s.firstLastMatches(prefix, max).execute(db);
        statement = s.byName(prefix, rows.length <= max ? rows.map((row) => row.account_id) : 'in order');
      }
      break;
    }
    case 'login': {
      const prefix = normalizeLogin(query.text);
      if (prefix === '') return null;
      statement = (await few()) ? s.fromCandidates(s.membersOf(filters.structureIds!), { order: 'login', prefix, scoped: true }) : s.byLogin(prefix);
      break;
    }
    case 'externalId':
      statement = s.fromCandidates(sql`select id as account_id from accounts where tenant_id = ${tenantId} and external_id = ${query.text}`);
      break;
    case 'email': {
      const email = query.text.trim();
      if (email === '') return null;
      statement = s.fromCandidates(sql`select id as account_id from accounts where tenant_id = ${tenantId} and email is not null and lower(email) = lower(${email})
        union select id as account_id from accounts where tenant_id = ${tenantId} and academic_email is not null and lower(academic_email) = lower(${email})`);
      break;
    }
    case 'uai':
      statement = s.fromCandidates(sql`select account_id from account_structures where tenant_id = ${tenantId}
        and structure_id = (select id from structures where tenant_id = ${tenantId} and uai = ${query.uai})`);
      break;
    case 'class':
      statement = s.fromCandidates(sql`select account_id from group_members where tenant_id = ${tenantId}
        and group_id = (select g.id from groups g join structures st on st.id = g.structure_id
          where g.tenant_id = ${tenantId} and st.tenant_id = ${tenantId} and st.uai = ${query.uai} and g.kind = 'class' and g.code = ${query.classCode})`);
      break;
    default:
      throw invalid(`unknown search kind "${(query as { kind: unknown }).kind}"`);
  }
  return { query: statement.compile(db) };
}

/** Members of the structures (of this tenant), counted up to `max + 1`. */
async function countMembers(db: Kysely<Database>, tenantId: string, structureIds: readonly string[], max: number): Promise<number> {
  const { rows } = await sql<{ n: number | string }>`select count(*) as n from (select 1 from account_structures
    where tenant_id = ${tenantId} and structure_id in (${sql.join(structureIds)}) limit ${sql.lit(max + 1)}) as capped`.execute(db);
  return Number(rows[0]?.n ?? 0);
}

interface Cursor {
  key: string;
  id: string;
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.key, cursor.id]), 'utf8').toString('base64url');
}

function decodeCursor(text: string): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  // No key holds a NUL, which PostgreSQL would refuse with an error of its own.
  if (!Array.isArray(parsed) || parsed.length !== 2 || !parsed.every((part) => typeof part === 'string' && !part.includes('\0'))) {
    throw invalid('this search cursor is not one a search gave');
  }
  return { key: parsed[0] as string, id: parsed[1] as string };
}

/**
 * The end of a prefix's range: the smallest text greater than every text starting with it
 * (its last character's successor, skipping the surrogate block); null when there is none.
 */
export function prefixEnd(prefix: string): string | null {
  const chars = [...prefix];
  while (chars.length > 0) {
    const code = chars.pop()!.codePointAt(0)!;
    if (code < 0x10ffff) return chars.join('') + String.fromCodePoint(code === 0xd7ff ? 0xe000 : code + 1);
  }
  return null;
}

/** `a` before `b` in code point order, as both engines compare text byte-wise (UTF-8). */
function codePointsBefore(a: string, b: string): boolean {
  const [x, y] = [[...a], [...b]];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const [cx, cy] = [x[i]!.codePointAt(0)!, y[i]!.codePointAt(0)!];
    if (cx !== cy) return cx < cy;
  }
  return x.length < y.length;
}

/**
 * The pieces of a search's statement, for one engine, tenant, filters, cursor and page size.
 *
 * The first-last key is indexed twice, spelled two ways: `first_name || ' ' || last_name` in
 * `accounts_search_first_last_idx`, `first_name || (' ' || last_name)` as the last column of
 * `accounts_search_last_first_idx`. The same value, but not the same expression to a planner:
 * a statement spelling it one way can only be served by that index, which is how this module
 * picks the index (PostgreSQL has no index hint; both engines misjudge how many accounts a short
 * prefix matches, and chose to sort a hundred thousand rows or to read a million index entries).
 */
class Statements {
  /** The folded "last first" key: the order of every name search. */
  readonly lastFirst: RawBuilder<string>;
  /** The folded "first last" key, as `accounts_search_first_last_idx` spells it. */
  readonly firstLast: RawBuilder<string>;
  /** The same key, as `accounts_search_last_first_idx` spells it (its last column). */
  readonly firstLastAlong: RawBuilder<string>;
  readonly login: RawBuilder<string>;
  readonly sortKey: RawBuilder<string>;

  constructor(
    readonly dialect: SqlDialect,
    readonly tenantId: string,
    readonly filters: AccountFilters,
    readonly after: Cursor | undefined,
    /** A page and one more row, which tells whether another page follows. */
    readonly fetch: number,
  ) {
    const bytewise = dialect === 'postgres' ? ' collate "C"' : '';
    this.lastFirst = sql.raw(`hub_fold(last_name || ' ' || first_name)${bytewise}`);
    this.firstLast = sql.raw(`hub_fold(first_name || ' ' || last_name)${bytewise}`);
    this.firstLastAlong = sql.raw(`hub_fold(first_name || (' ' || last_name))${bytewise}`);
    this.login = sql.raw(`login${bytewise}`);
    this.sortKey = sql.raw(`sort_key${bytewise}`);
  }

  /**
   * `accounts`, read through `index` on SQLite: its planner, even with ANALYZE's samples, took a
   * whole tenant's (tenant_id, id) index for a first-name prefix's few rows. PostgreSQL is told by
   * the keys' spelling alone.
   */
  private accountsBy(index: 'accounts_search_last_first_idx' | 'accounts_search_first_last_idx'): RawBuilder<unknown> {
    return sql.raw(this.dialect === 'sqlite' ? `accounts indexed by ${index}` : 'accounts');
  }

  /** `key` within `[prefix, prefixEnd(prefix))`. */
  private inRange(key: RawBuilder<string>, prefix: string): RawBuilder<unknown> {
    const end = prefixEnd(prefix);
    return end === null ? sql`${key} >= ${prefix}` : sql`${key} >= ${prefix} and ${key} < ${end}`;
  }

  /**
   * After the cursor in (key, id) order. PostgreSQL reads a row comparison from an index on
   * (…, key, id); SQLite does not start an expression index's range at one (it read from the
   * tenant's first entry), but does at `key >= cursor`, the rest checked in the index.
   */
  private afterCursor(key: RawBuilder<string>): RawBuilder<unknown> {
    if (!this.after) return sql`1 = 1`;
    const { key: last, id } = this.after;
    return this.dialect === 'postgres'
      ? sql`(${key}, id) > (${last}, ${id})`
      : sql`${key} >= ${last} and (${key} > ${last} or id > ${id})`;
  }

  /**
   * The prefix's range of `key` after the cursor, for a read in (key, id) order: the cursor's
   * row comparison replaces the range's start once the cursor is inside the range, so the read
   * starts at the cursor (given both, an engine may start at the range's start and step over
   * every earlier page's entries).
   */
  private rangeAfterCursor(key: RawBuilder<string>, prefix: string): RawBuilder<unknown> {
    if (!this.after || codePointsBefore(this.after.key, prefix)) return this.inRange(key, prefix);
    const end = prefixEnd(prefix);
    return end === null ? this.afterCursor(key) : sql`${this.afterCursor(key)} and ${key} < ${end}`;
  }

  /** Profile and status, on the `accounts` row at hand. */
  private attributes(): RawBuilder<unknown> {
    const { profile, status } = this.filters;
    const parts: RawBuilder<unknown>[] = [];
    if (profile !== undefined) parts.push(sql`profile = ${profile}`);
    if (status !== undefined) parts.push(sql`status = ${status}`);
    return parts.length === 0 ? sql`1 = 1` : sql.join(parts, sql` and `);
  }

  /**
   * The structure scope, on the account whose id is `id`. `rows`: how many rows the condition
   * will see. `few`: membership probed row by row. `many` (thousands of candidates, or an index
   * read in order): the members gathered once, each row looked up among them. PostgreSQL would
   * turn a plain IN into a semi-join probing the membership index for every row: wrapped
   * (`coalesce`), it stays a subplan, hashed once. SQLite would drive the read from an IN's
   * members: `+` keeps its left side from an index, so the IN is a lookup in the list it built.
   */
  private membership(id: RawBuilder<string>, rows: 'few' | 'many'): RawBuilder<unknown> {
    const { structureIds } = this.filters;
    if (structureIds === undefined) return sql`1 = 1`;
    if (rows === 'few') {
      return sql`exists (select 1 from account_structures m where m.account_id = ${id} and m.tenant_id = ${this.tenantId}
        and m.structure_id in (${sql.join(structureIds)}))`;
    }
    return this.dialect === 'postgres'
      ? sql`coalesce(${id} in (${this.membersOf(structureIds)}), false)`
      : sql`+${id} in (${this.membersOf(structureIds)})`;
  }

  /** Members of the structures of `structureIds`: the candidates of a narrowly scoped search. */
  membersOf(structureIds: readonly string[]): RawBuilder<unknown> {
    return sql`select account_id from account_structures where tenant_id = ${this.tenantId} and structure_id in (${sql.join(structureIds)})`;
  }

  /**
   * The ids of the accounts (of the filters) whose first-last key is in the prefix's range, up
   * to `max + 1`, from `accounts_search_first_last_idx` alone (it holds profile and status).
   */
  firstLastMatches(prefix: string, max: number): RawBuilder<{ account_id: string }> {
    return sql`select id as account_id from ${this.accountsBy('accounts_search_first_last_idx')}
      where tenant_id = ${this.tenantId} and ${this.inRange(this.firstLast, prefix)} and ${this.attributes()}
        and ${this.membership(sql.raw('accounts.id'), 'many')}
      limit ${sql.lit(max + 1)}`;
  }

  /**
   * A page read along `accounts_search_last_first_idx` in its order: the page's ids and keys
   * from the index alone (the filters are its columns too; PostgreSQL needs the visibility map
   * for that, as autovacuum keeps it), then their rows by primary key. Read with the rows, every
   * index entry passed over would cost a row read, as many as a selective filter skips.
   */
  private alongLastFirst(range: RawBuilder<unknown>): RawBuilder<unknown> {
    const page = sql`select id as account_id, ${this.lastFirst} as sort_key from ${this.accountsBy('accounts_search_last_first_idx')}
      where tenant_id = ${this.tenantId} and ${range} and ${this.attributes()} and ${this.membership(sql.raw('accounts.id'), 'many')}
      order by ${this.lastFirst}, id limit ${sql.lit(this.fetch)}`;
    return sql`select a.*, p.sort_key from (${page}) as p cross join ${this.accountOf('p')}`;
  }

  /** Each row of `alias`'s account, by primary key, as `a` (see `fromCandidates` for the spelling). */
  private accountOf(alias: string): RawBuilder<unknown> {
    const id = sql.raw(`${alias}.account_id`);
    return this.dialect === 'postgres'
      ? sql`lateral (select * from accounts where id = ${id} and tenant_id = ${this.tenantId} limit 1) a`
      : sql`accounts a on a.id = ${id} and a.tenant_id = ${this.tenantId}`;
  }

  /**
   * Both name orders' ranges, each read in last-first order up to a page, then merged. First
   * names: the ids of their few matches (`firstLastMatches`), sorted; or `in order`, along the
   * last-first index, the first-last key checked there.
   */
  byName(prefix: string, firstNames: readonly string[] | 'in order'): RawBuilder<unknown> {
    const byLastName = this.alongLastFirst(this.rangeAfterCursor(this.lastFirst, prefix));
    let byFirstName: RawBuilder<unknown>;
    if (firstNames === 'in order') {
      // PostgreSQL estimates a short first-last prefix from too coarse statistics (one row for
      // 4,000 `hug…`), and would then read every account rather than the index in order: bounds
      // it cannot see at planning time get its default share (0.5 %), which keeps the index.
      const bound = (value: string) => (this.dialect === 'postgres' ? sql`(select ${value}::text)` : sql`${value}`);
      const end = prefixEnd(prefix);
      const range = sql`${this.firstLastAlong} >= ${bound(prefix)}${end === null ? sql`` : sql` and ${this.firstLastAlong} < ${bound(end)}`}`;
      byFirstName = this.alongLastFirst(sql`${this.afterCursor(this.lastFirst)} and ${range}`);
    }
    else if (firstNames.length === 0) return sql`select * from (${byLastName}) as by_last_name order by sort_key, id`;
    // The matches are within the filters already.
    else byFirstName = this.fromCandidates(sql`select column1 as account_id from (values ${sql.join(firstNames.map((id) => sql`(${id})`))}) as matches`, { scoped: true });
    // UNION, not UNION ALL: `Martin Marie` is in both ranges of `m`. Its ORDER BY names output
    // columns only; `sort_key` is byte-wise already (its expressions are).
    return sql`select * from (${byLastName}) as by_last_name union select * from (${byFirstName}) as by_first_name
      order by sort_key, id limit ${sql.lit(this.fetch)}`;
  }

  /** Logins are unique: the login alone orders them, and the cursor's key is enough. */
  byLogin(prefix: string): RawBuilder<unknown> {
    const end = prefixEnd(prefix);
    const range = !this.after || codePointsBefore(this.after.key, prefix)
      ? this.inRange(this.login, prefix)
      : sql`${this.login} > ${this.after.key}${end === null ? sql`` : sql` and ${this.login} < ${end}`}`;
    return sql`select accounts.*, login as sort_key from accounts
      where tenant_id = ${this.tenantId} and ${range} and ${this.attributes()} and ${this.membership(sql.raw('accounts.id'), 'many')}
      order by ${this.login} limit ${sql.lit(this.fetch)}`;
  }

  /**
   * The accounts of `candidates` (a statement giving `account_id`s), their order key computed
   * once each (a materialized step: PostgreSQL and SQLite would otherwise fold again in every
   * condition and the sort), then `prefix`'s condition, the cursor, the filters, the order (by
   * name unless said). `scoped`: the candidates are the members of the `structureIds`; `rows`:
   * `many` when they may be thousands (see `membership`).
   */
  fromCandidates(candidates: RawBuilder<unknown>, { order = 'name', prefix, scoped = false, rows = 'few' }: {
    order?: 'name' | 'login'; prefix?: string; scoped?: boolean; rows?: 'few' | 'many';
  } = {}): RawBuilder<unknown> {
    const keys = order === 'login'
      ? sql`a.login as sort_key`
      : sql`${this.lastFirst} as sort_key${prefix === undefined ? sql`` : sql`, ${this.firstLast} as other_key`}`;
    let condition: RawBuilder<unknown> = sql`1 = 1`;
    if (prefix !== undefined) {
      condition = order === 'login'
        ? this.inRange(this.sortKey, prefix)
        : sql`(${this.inRange(this.sortKey, prefix)} or ${this.inRange(sql.raw<string>(this.dialect === 'postgres' ? 'other_key collate "C"' : 'other_key'), prefix)})`;
    }
    // Each candidate's account by its primary key, whatever the planner thinks of reading them
    // all: SQLite keeps the order of a CROSS JOIN; PostgreSQL would hash-join a few thousand
    // candidates with a full read of the accounts, which a LATERAL with a LIMIT cannot become.
    const accounts = sql`candidates c cross join ${this.accountOf('c')}`;
    // The structure scope on the candidates' ids, before any account is read: what it drops
    // costs nothing more.
    const inScope = scoped ? sql`1 = 1` : this.membership(sql.raw('found.account_id'), rows);
    return sql`with candidates as materialized (select distinct account_id from (${candidates}) as found where ${inScope}),
      keyed as materialized (select a.*, ${keys} from ${accounts} where ${this.attributes()})
      select * from keyed where ${condition} and ${this.afterCursor(this.sortKey)}
      order by ${this.sortKey}, id limit ${sql.lit(this.fetch)}`;
  }
}
