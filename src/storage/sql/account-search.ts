/**
 * `AccountStore.search` on SQL: the helpdesk finds an account among a million by name, login,
 * external id, e-mail, school or class, one keyset page at a time, on the indexes of migration
 * 0011 (fold.ts says what a folded name is; the database folds with `hub_fold`).
 *
 * Every search is one statement (plus, with `structureIds`, a capped count), of one of three shapes:
 * - name (no small structure scope): the union of two ordered index reads, each stopping after
 *   a page: last-first keys in the prefix's range, read in key order from
 *   `accounts_search_last_first_idx`; first-last keys in the range, in last-first order, which
 *   the planner reads either from that same index (the first-last key is its last column, so a
 *   frequent prefix such as `m` is checked in the index, without the row) or, for a rare one,
 *   from `accounts_search_first_last_idx` and then sorted. A prefix is a range
 *   `[prefix, successor)` of byte-wise compared text (`COLLATE "C"` on PostgreSQL).
 * - login: a range of `accounts_search_login_idx`, in login order.
 * - a known set of candidates (a school's or class's members, the accounts of an e-mail or an
 *   external id, the members of the `structureIds` when they are few): each candidate's keys
 *   computed once, then filtered and sorted; a few thousand rows at most.
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
 * an empty `structureIds`). With `structureIds`, counts their members first (capped).
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
  let statement: RawBuilder<unknown> | null;
  switch (query.kind) {
    case 'name': {
      const prefix = foldName(query.text);
      if (prefix === '') return null;
      statement = (await few()) ? s.fromCandidates(s.membersOf(filters.structureIds!), 'name', prefix) : s.byName(prefix);
      break;
    }
    case 'login': {
      const prefix = normalizeLogin(query.text);
      if (prefix === '') return null;
      statement = (await few()) ? s.fromCandidates(s.membersOf(filters.structureIds!), 'login', prefix) : s.byLogin(prefix);
      break;
    }
    case 'externalId':
      statement = s.fromCandidates(sql`select id as account_id from accounts where tenant_id = ${tenantId} and external_id = ${query.text}`, 'name');
      break;
    case 'email': {
      const email = query.text.trim();
      if (email === '') return null;
      statement = s.fromCandidates(sql`select id as account_id from accounts where tenant_id = ${tenantId} and email is not null and lower(email) = lower(${email})
        union select id as account_id from accounts where tenant_id = ${tenantId} and academic_email is not null and lower(academic_email) = lower(${email})`, 'name');
      break;
    }
    case 'uai':
      statement = s.fromCandidates(sql`select account_id from account_structures where tenant_id = ${tenantId}
        and structure_id = (select id from structures where tenant_id = ${tenantId} and uai = ${query.uai})`, 'name');
      break;
    case 'class':
      statement = s.fromCandidates(sql`select account_id from group_members where tenant_id = ${tenantId}
        and group_id = (select g.id from groups g join structures st on st.id = g.structure_id
          where g.tenant_id = ${tenantId} and st.tenant_id = ${tenantId} and st.uai = ${query.uai} and g.kind = 'class' and g.code = ${query.classCode})`, 'name');
      break;
    default:
      throw invalid(`unknown search kind "${(query as { kind: unknown }).kind}"`);
  }
  return statement && { query: statement.compile(db) };
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
  if (!Array.isArray(parsed) || parsed.length !== 2 || !parsed.every((part) => typeof part === 'string')) {
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

/** The pieces of a search's statement, for one engine, tenant, filters, cursor and page size. */
class Statements {
  /** The folded "last first" key, as the index spells it. */
  readonly lastFirst: RawBuilder<string>;
  readonly firstLast: RawBuilder<string>;
  readonly login: RawBuilder<string>;

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
    this.login = sql.raw(`login${bytewise}`);
  }

  /** `key` within `[prefix, prefixEnd(prefix))`. */
  private inRange(key: RawBuilder<string>, prefix: string): RawBuilder<unknown> {
    const end = prefixEnd(prefix);
    return end === null ? sql`${key} >= ${prefix}` : sql`${key} >= ${prefix} and ${key} < ${end}`;
  }

  /** After the cursor in (key, id) order: a row comparison, which both engines read from an index on (…, key, id). */
  private afterCursor(key: RawBuilder<string>): RawBuilder<unknown> {
    return this.after ? sql`(${key}, id) > (${this.after.key}, ${this.after.id})` : sql`1 = 1`;
  }

  /**
   * Profile, status and structure scope, on the account whose id is `id`. `rows`: how many rows
   * the condition will see. `few` (candidates): membership probed row by row. `many` (an index
   * read in order, the structures holding more than `MEMBERS_FIRST_MAX` members): on PostgreSQL,
   * the members hashed once — a plain IN would become a semi-join probing the membership index
   * for every row read, so it is wrapped (`coalesce`) to stay a subplan, which PostgreSQL hashes;
   * SQLite has no hashed subplan (it would plan an IN as a walk through the members) and probes.
   */
  private filtered(id: RawBuilder<string>, rows: 'few' | 'many'): RawBuilder<unknown> {
    const { profile, status, structureIds } = this.filters;
    const parts: RawBuilder<unknown>[] = [];
    if (profile !== undefined) parts.push(sql`profile = ${profile}`);
    if (status !== undefined) parts.push(sql`status = ${status}`);
    if (structureIds !== undefined) {
      parts.push(rows === 'many' && this.dialect === 'postgres'
        ? sql`coalesce(${id} in (${this.membersOf(structureIds)}), false)`
        : sql`exists (select 1 from account_structures m where m.account_id = ${id} and m.tenant_id = ${this.tenantId}
          and m.structure_id in (${sql.join(structureIds)}))`);
    }
    return parts.length === 0 ? sql`1 = 1` : sql.join(parts, sql` and `);
  }

  /** Members of the structures of `structureIds`: the candidates of a narrowly scoped search. */
  membersOf(structureIds: readonly string[]): RawBuilder<unknown> {
    return sql`select account_id from account_structures where tenant_id = ${this.tenantId} and structure_id in (${sql.join(structureIds)})`;
  }

  /** Both name orders' ranges, each read in last-first order up to a page, then merged. */
  byName(prefix: string): RawBuilder<unknown> {
    const branch = (key: RawBuilder<string>) => sql`select accounts.*, ${this.lastFirst} as sort_key from accounts
      where tenant_id = ${this.tenantId} and ${this.inRange(key, prefix)} and ${this.afterCursor(this.lastFirst)} and ${this.filtered(sql.raw('accounts.id'), 'many')}
      order by ${this.lastFirst}, id limit ${sql.lit(this.fetch)}`;
    // UNION, not UNION ALL: `Martin Marie` is in both ranges of `m`.
    return sql`select * from (${branch(this.lastFirst)}) as by_last_name
      union select * from (${branch(this.firstLast)}) as by_first_name
      order by sort_key, id limit ${sql.lit(this.fetch)}`;
  }

  byLogin(prefix: string): RawBuilder<unknown> {
    return sql`select accounts.*, login as sort_key from accounts
      where tenant_id = ${this.tenantId} and ${this.inRange(this.login, prefix)} and ${this.afterCursor(this.login)} and ${this.filtered(sql.raw('accounts.id'), 'many')}
      order by ${this.login}, id limit ${sql.lit(this.fetch)}`;
  }

  /**
   * The accounts of `candidates` (a statement giving `account_id`s), their order key computed
   * once each (a materialized step: PostgreSQL and SQLite would otherwise fold again in every
   * condition and the sort), then `prefix`'s condition, the cursor, the filters, the order.
   */
  fromCandidates(candidates: RawBuilder<unknown>, order: 'name' | 'login', prefix?: string): RawBuilder<unknown> {
    const keys = order === 'login'
      ? sql`a.login as sort_key`
      : sql`${this.lastFirst} as sort_key${prefix === undefined ? sql`` : sql`, ${this.firstLast} as other_key`}`;
    const sortKey = sql.raw<string>(this.dialect === 'postgres' ? 'sort_key collate "C"' : 'sort_key');
    let condition: RawBuilder<unknown> = sql`1 = 1`;
    if (prefix !== undefined) {
      condition = order === 'login'
        ? this.inRange(sortKey, prefix)
        : sql`(${this.inRange(sortKey, prefix)} or ${this.inRange(sql.raw<string>(this.dialect === 'postgres' ? 'other_key collate "C"' : 'other_key'), prefix)})`;
    }
    // Each candidate's account by its primary key, whatever the planner thinks of reading them
    // all: SQLite keeps the order of a CROSS JOIN; PostgreSQL would hash-join a few thousand
    // candidates with a full read of the accounts, which a LATERAL with a LIMIT cannot become.
    const accounts = this.dialect === 'postgres'
      ? sql`candidates c cross join lateral (select * from accounts where id = c.account_id and tenant_id = ${this.tenantId} limit 1) a`
      : sql`candidates c cross join accounts a on a.id = c.account_id and a.tenant_id = ${this.tenantId}`;
    return sql`with candidates as materialized (select distinct account_id from (${candidates}) as found),
      keyed as materialized (select a.*, ${keys} from ${accounts} where ${this.filtered(sql.raw('a.id'), 'few')})
      select * from keyed where ${condition} and ${this.afterCursor(sortKey)}
      order by ${sortKey}, id limit ${sql.lit(this.fetch)}`;
  }
}
