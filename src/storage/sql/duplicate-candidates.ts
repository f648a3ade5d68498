/**
 * The search for likely duplicates: one GROUP BY over the covering expression index of 0012
 * (folded last name, folded first name, birth date), read in key order from the cursor on, so a
 * page reads as few index entries as it needs, never a self-join of the accounts. Each group
 * comes with its members' ids; what SQL cannot say well per pair (the marks "not a duplicate")
 * is decided here, on the page's few members.
 */
import { sql, type Expression, type Kysely, type Selectable, type SqlBool } from 'kysely';
import { HubError } from '../../shared/errors.js';
import type { Account, DistinctMark, DuplicateFilters, DuplicateGroup, DuplicateMember, KeysetPage, KeysetResult, Structure } from '../ports/index.js';
import { dialectOf } from './dialect.js';
import { foldedName } from './migrations/0012_duplicates.js';
import { toAccount, toStructure } from './rows.js';
import type { Database, DuplicateMarksTable } from './schema.js';

/** A group's key: folded last name, folded first name, birth date. */
type GroupKey = [string, string, string];

/** A group as SQL finds it: its key and its accounts' ids. */
interface FoundGroup {
  key: GroupKey;
  ids: string[];
}

/** Groups read beyond what the page still needs, once marks have set some aside. */
const READ_AHEAD = 16;
/** A page's members are read by id in one statement: a bound far below the engines' parameter limits. */
const MAX_PAGE = 500;

const badCursor = () => new HubError('invalid_cursor', 'this page cursor was not given by the duplicates list', { status: 400 });

const encodeKey = (key: GroupKey): string => Buffer.from(JSON.stringify(key)).toString('base64url');

function decodeKey(cursor: string): GroupKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  if (!Array.isArray(parsed) || parsed.length !== 3 || !parsed.every((part) => typeof part === 'string')) throw badCursor();
  return parsed as GroupKey;
}

export type MarkRow = Selectable<DuplicateMarksTable>;

/** Two accounts may be one person when their external ids differ, "none" counting as one. */
const differentSources = (a: Account, b: Account): boolean => a.externalId !== b.externalId;

const pairKey = (a: string, b: string): string => (a < b ? `${a} ${b}` : `${b} ${a}`);

/** pg parses a json aggregate; SQLite returns its text. */
const idList = (value: unknown): string[] => (typeof value === 'string' ? JSON.parse(value) : value) as string[];

export function duplicateCandidates(db: Kysely<Database>, tenantId: string, toMark: (row: MarkRow) => DistinctMark) {
  const dialect = dialectOf(db as unknown as Kysely<unknown>);
  // Spelled exactly as the index: SQLite matches expressions by their text.
  const last = sql<string>`${sql.raw(foldedName('a.last_name', dialect))}`;
  const first = sql<string>`${sql.raw(foldedName('a.first_name', dialect))}`;
  const notMerged = sql<SqlBool>`(a.disabled_reason is null or a.disabled_reason <> 'merged')`;
  const dated = sql<SqlBool>`a.birth_date is not null`;
  const ids = sql<unknown>`${sql.raw(dialect === 'postgres' ? 'json_agg' : 'json_group_array')}(a.id)`;
  // Two different external ids, or one account with and one without (min/max: count(distinct)
  // sorts each group apart, which doubled the time of a whole read).
  const twoSources = sql<SqlBool>`count(*) >= 2 and (min(a.external_id) <> max(a.external_id) or count(a.external_id) between 1 and count(*) - 1)`;

  /**
   * After the cursor's key, spelled out rather than as a row comparison `(a, b, c) > (x, y, z)`:
   * SQLite does not use an index on expressions for that, and read every group from the first
   * one again at each page. `a >= x` is the bound both engines start the index at.
   */
  const after = (cursor: GroupKey | null, lk: Expression<string>, fk: Expression<string>, bd: Expression<string | null>) => {
    if (!cursor) return sql<SqlBool>`1 = 1`;
    const [x, y, z] = cursor;
    return sql<SqlBool>`${lk} >= ${x} and (${lk} > ${x} or (${lk} = ${x} and (${fk} > ${y} or (${fk} = ${y} and ${bd} > ${z}))))`;
  };

  /** The next `limit` groups after `cursor`, read along the index from the cursor on. */
  async function tenantGroups(cursor: GroupKey | null, limit: number): Promise<FoundGroup[]> {
    const rows = await db.selectFrom('accounts as a')
      .select([last.as('lk'), first.as('fk'), 'a.birth_date as bd', ids.as('ids')])
      .where('a.tenant_id', '=', tenantId)
      .where(dated)
      .where(notMerged)
      .where(after(cursor, last, first, sql.ref('a.birth_date')))
      .groupBy([last, first, 'a.birth_date'])
      .having(twoSources)
      .orderBy(last).orderBy(first).orderBy('a.birth_date')
      .limit(limit)
      .execute();
    return rows.map((row) => ({ key: [row.lk, row.fk, row.bd!], ids: idList(row.ids) }));
  }

  /**
   * The same, for groups with an account of these structures: the keys of the structures'
   * accounts first (a school's few thousand), then each group through the index. Filtering the
   * whole tenant's groups instead read all of them (25 s on a million accounts).
   */
  async function structureGroups(structureIds: readonly string[], cursor: GroupKey | null, limit: number): Promise<FoundGroup[]> {
    const sLast = sql<string>`${sql.raw(foldedName('s.last_name', dialect))}`;
    const sFirst = sql<string>`${sql.raw(foldedName('s.first_name', dialect))}`;
    const keys = db.selectFrom('accounts as s')
      .innerJoin('account_structures as m', (join) => join.onRef('m.account_id', '=', 's.id').onRef('m.tenant_id', '=', 's.tenant_id'))
      .select([sLast.as('lk'), sFirst.as('fk'), 's.birth_date as bd'])
      .distinct()
      .where('s.tenant_id', '=', tenantId)
      .where('m.structure_id', 'in', structureIds)
      .where(sql<SqlBool>`s.birth_date is not null and (s.disabled_reason is null or s.disabled_reason <> 'merged')`)
      .where(after(cursor, sLast, sFirst, sql.ref('s.birth_date')));
    const rows = await db.selectFrom(keys.as('k'))
      .innerJoin('accounts as a', (join) => join.on(sql<SqlBool>`a.tenant_id = ${tenantId} and ${last} = k.lk and ${first} = k.fk and a.birth_date = k.bd and a.birth_date is not null`))
      .select(['k.lk', 'k.fk', 'k.bd', ids.as('ids')])
      .where(notMerged)
      .groupBy(['k.lk', 'k.fk', 'k.bd'])
      .having(twoSources)
      .orderBy('k.lk').orderBy('k.fk').orderBy('k.bd')
      .limit(limit)
      .execute();
    return rows.map((row) => ({ key: [row.lk, row.fk, row.bd!], ids: idList(row.ids) }));
  }

  const findGroups = (filters: DuplicateFilters, cursor: GroupKey | null, limit: number): Promise<FoundGroup[]> =>
    (filters.structureIds ? structureGroups(filters.structureIds, cursor, limit) : tenantGroups(cursor, limit));

  /** The accounts, oldest first, by id. */
  async function accountsOf(accountIds: string[]): Promise<Map<string, Account>> {
    const rows = await db.selectFrom('accounts').selectAll().where('tenant_id', '=', tenantId).where('id', 'in', accountIds)
      .orderBy('created_at').orderBy('id').execute();
    return new Map(rows.map((row) => [row.id, toAccount(row)]));
  }

  async function structuresOf(accountIds: string[]): Promise<Map<string, Structure[]>> {
    const rows = await db.selectFrom('account_structures as m')
      .innerJoin('structures as s', 's.id', 'm.structure_id')
      .select(['m.account_id', 's.id', 's.tenant_id', 's.uai', 's.name', 's.external_id'])
      .where('m.tenant_id', '=', tenantId)
      .where('m.account_id', 'in', accountIds)
      .orderBy('s.uai')
      .execute();
    const byAccount = new Map<string, Structure[]>();
    for (const row of rows) byAccount.set(row.account_id, [...(byAccount.get(row.account_id) ?? []), toStructure(row)]);
    return byAccount;
  }

  async function marksBetween(accountIds: string[]): Promise<DistinctMark[]> {
    const rows = await db.selectFrom('duplicate_marks')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('undone_at', 'is', null)
      .where('a_id', 'in', accountIds)
      .where('b_id', 'in', accountIds)
      .execute();
    return rows.map(toMark);
  }

  /** Each group as offered, or null when marks leave no pair of it to look at. */
  async function offered(found: FoundGroup[], filters: DuplicateFilters): Promise<(DuplicateGroup | null)[]> {
    const everyone = found.flatMap((g) => g.ids);
    const [accounts, structures, marks] = await Promise.all([accountsOf(everyone), structuresOf(everyone), marksBetween(everyone)]);
    const marked = new Set(marks.map((m) => pairKey(...m.accountIds)));
    const scope = filters.structureIds ? new Set(filters.structureIds) : null;
    return found.map(({ key, ids: groupIds }) => {
      const inGroup = new Set(groupIds);
      // In the accounts' order (oldest first); one deleted meanwhile is simply not there.
      const members = [...accounts.values()].filter((a) => inGroup.has(a.id));
      const eligible = new Set<string>();
      for (const [i, a] of members.entries()) {
        for (const b of members.slice(i + 1)) {
          if (differentSources(a, b) && !marked.has(pairKey(a.id, b.id))) eligible.add(a.id).add(b.id);
        }
      }
      const shown: DuplicateMember[] = members.filter((a) => eligible.has(a.id)).map((account) => ({ account, structures: structures.get(account.id) ?? [] }));
      if (shown.length === 0) return null;
      // A structure admin's group must still have one of their accounts once marks are applied.
      if (scope && !shown.some((m) => m.structures.some((s) => scope.has(s.id)))) return null;
      return { key: encodeKey(key), birthDate: key[2], members: shown, marks: marks.filter((m) => m.accountIds.every((id) => inGroup.has(id))) };
    });
  }

  return async function candidates(filters: DuplicateFilters, page: KeysetPage): Promise<KeysetResult<DuplicateGroup>> {
    const limit = Math.min(MAX_PAGE, Math.max(1, Math.floor(page.limit)));
    if (filters.structureIds?.length === 0) return { items: [], next: null };
    let cursor = page.after === undefined ? null : decodeKey(page.after);
    // One more than asked, to know whether there is a next page; more groups are read only
    // when marks set some aside.
    const items: DuplicateGroup[] = [];
    for (let round = 0; ; round += 1) {
      const wanted = limit + 1 - items.length + (round === 0 ? 0 : READ_AHEAD);
      const found = await findGroups(filters, cursor, wanted);
      if (found.length === 0) break;
      for (const [i, group] of (await offered(found, filters)).entries()) {
        cursor = found[i]!.key;
        if (group) items.push(group);
        if (items.length > limit) break;
      }
      if (items.length > limit || found.length < wanted) break;
    }
    const more = items.length > limit;
    return { items: items.slice(0, limit), next: more ? items[limit - 1]!.key : null };
  };
}
