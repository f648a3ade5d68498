/**
 * The search for likely duplicates: one GROUP BY over the expression index of 0012 (folded last
 * name, folded first name, birth date), read in key order from the cursor on, so that a page
 * reads as few index entries as it needs, never a self-join of the accounts. What SQL cannot say
 * well per pair (the marks "not a duplicate") is decided here on the page's few members.
 */
import { sql, type Expression, type Kysely, type SqlBool } from 'kysely';
import { HubError } from '../../shared/errors.js';
import type { Account, DistinctMark, DuplicateFilters, DuplicateGroup, DuplicateMember, KeysetPage, KeysetResult, Structure } from '../ports/index.js';
import { dialectOf } from './dialect.js';
import { foldedName } from './migrations/0012_duplicates.js';
import { toAccount, toStructure } from './rows.js';
import type { AccountRow, Database, DuplicateMarksTable } from './schema.js';
import type { Selectable } from 'kysely';

/** A group's key: folded last name, folded first name, birth date. */
type GroupKey = [string, string, string];

/** Groups read per query beyond what the page still needs: marks may set some aside. */
const READ_AHEAD = 16;

const badCursor = () => new HubError('invalid_cursor', 'this page cursor was not given by the duplicates list', { status: 400 });

export const encodeKey = (key: GroupKey): string => Buffer.from(JSON.stringify(key)).toString('base64url');

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

export type ToMark = (row: MarkRow) => DistinctMark;

/** Two accounts are a possible duplicate when their external ids differ, "none" counting as one. */
const differentSources = (a: Account, b: Account): boolean => a.externalId !== b.externalId;

export const pairKey = (a: string, b: string): string => (a < b ? `${a} ${b}` : `${b} ${a}`);

export function duplicateCandidates(db: Kysely<Database>, tenantId: string, toMark: ToMark) {
  const dialect = dialectOf(db as unknown as Kysely<unknown>);
  // Spelled exactly as the index: SQLite matches expressions by their text.
  const last = sql<string>`${sql.raw(foldedName('a.last_name', dialect))}`;
  const first = sql<string>`${sql.raw(foldedName('a.first_name', dialect))}`;
  const notMerged = sql<SqlBool>`(a.disabled_reason is null or a.disabled_reason <> 'merged')`;
  const dated = sql<SqlBool>`a.birth_date is not null`;

  // Two different external ids, or one account with and one without (min/max: count(distinct)
  // sorts each group apart, which doubled the time of a whole read).
  const twoSources = sql<SqlBool>`count(*) >= 2 and (min(a.external_id) <> max(a.external_id) or count(a.external_id) between 1 and count(*) - 1)`;
  const after = (cursor: GroupKey | null, lk: Expression<string>, fk: Expression<string>, bd: Expression<string | null>) =>
    (cursor ? sql<SqlBool>`(${lk}, ${fk}, ${bd}) > (${cursor[0]}, ${cursor[1]}, ${cursor[2]})` : sql<SqlBool>`1 = 1`);

  /** The next `limit` group keys after `cursor`, read along the index from the cursor on. */
  async function tenantGroupKeys(cursor: GroupKey | null, limit: number): Promise<GroupKey[]> {
    const rows = await db.selectFrom('accounts as a')
      .select([last.as('lk'), first.as('fk'), 'a.birth_date as bd'])
      .where('a.tenant_id', '=', tenantId)
      .where(dated)
      .where(notMerged)
      .where(after(cursor, last, first, sql.ref('a.birth_date')))
      .groupBy([last, first, 'a.birth_date'])
      .having(twoSources)
      .orderBy(last).orderBy(first).orderBy('a.birth_date')
      .limit(limit)
      .execute();
    return rows.map((row) => [row.lk, row.fk, row.bd!]);
  }

  /**
   * The same, for groups with an account of these structures: the keys of the structures'
   * accounts first (a school's few thousand), then each group through the index. Filtering the
   * whole tenant's groups instead read all of them (25 s on a million accounts).
   */
  async function structureGroupKeys(structureIds: readonly string[], cursor: GroupKey | null, limit: number): Promise<GroupKey[]> {
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
      .select(['k.lk', 'k.fk', 'k.bd'])
      .where(notMerged)
      .groupBy(['k.lk', 'k.fk', 'k.bd'])
      .having(twoSources)
      .orderBy('k.lk').orderBy('k.fk').orderBy('k.bd')
      .limit(limit)
      .execute();
    return rows.map((row) => [row.lk, row.fk, row.bd!]);
  }

  const groupKeys = (filters: DuplicateFilters, cursor: GroupKey | null, limit: number): Promise<GroupKey[]> =>
    (filters.structureIds ? structureGroupKeys(filters.structureIds, cursor, limit) : tenantGroupKeys(cursor, limit));

  /** The accounts of these groups (merged ones aside), with their keys; through the same index. */
  async function membersOf(keys: GroupKey[]): Promise<(AccountRow & { lk: string; fk: string })[]> {
    return db.selectFrom('accounts as a')
      .selectAll('a')
      .select([last.as('lk'), first.as('fk')])
      .where('a.tenant_id', '=', tenantId)
      .where(dated)
      .where(notMerged)
      .where(sql<SqlBool>`(${sql.join(keys.map(([lk, fk, bd]) => sql`(${last} = ${lk} and ${first} = ${fk} and a.birth_date = ${bd})`), sql` or `)})`)
      .orderBy('a.created_at').orderBy('a.id')
      .execute();
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

  /** Each key's group as offered, or null when marks leave no pair of it to look at. */
  async function groupsOf(keys: GroupKey[], filters: DuplicateFilters): Promise<(DuplicateGroup | null)[]> {
    const rows = await membersOf(keys);
    const ids = rows.map((row) => row.id);
    const [structures, marks] = await Promise.all([structuresOf(ids), marksBetween(ids)]);
    const marked = new Set(marks.map((m) => pairKey(...m.accountIds)));
    const scope = filters.structureIds ? new Set(filters.structureIds) : null;
    return keys.map(([lk, fk, bd]) => {
      const accounts = rows.filter((row) => row.lk === lk && row.fk === fk && row.birth_date === bd).map(toAccount);
      const eligible = new Set<string>();
      for (const [i, a] of accounts.entries()) {
        for (const b of accounts.slice(i + 1)) {
          if (differentSources(a, b) && !marked.has(pairKey(a.id, b.id))) eligible.add(a.id).add(b.id);
        }
      }
      const members: DuplicateMember[] = accounts.filter((a) => eligible.has(a.id)).map((account) => ({ account, structures: structures.get(account.id) ?? [] }));
      if (members.length === 0) return null;
      // A structure admin's group must still have one of their accounts once marks are applied.
      if (scope && !members.some((m) => m.structures.some((s) => scope.has(s.id)))) return null;
      const inGroup = new Set(accounts.map((a) => a.id));
      return { key: encodeKey([lk, fk, bd]), birthDate: bd, members, marks: marks.filter((m) => m.accountIds.every((id) => inGroup.has(id))) };
    });
  }

  return async function candidates(filters: DuplicateFilters, page: KeysetPage): Promise<KeysetResult<DuplicateGroup>> {
    const limit = Math.max(1, Math.floor(page.limit));
    if (filters.structureIds?.length === 0) return { items: [], next: null };
    let after = page.after === undefined ? null : decodeKey(page.after);
    // One more than asked, to know whether there is a next page.
    const items: DuplicateGroup[] = [];
    for (;;) {
      const wanted = limit + 1 - items.length + READ_AHEAD;
      const keys = await groupKeys(filters, after, wanted);
      if (keys.length === 0) break;
      const groups = await groupsOf(keys, filters);
      for (const [i, group] of groups.entries()) {
        after = keys[i]!;
        if (group) items.push(group);
        if (items.length > limit) break;
      }
      if (items.length > limit || keys.length < wanted) break;
    }
    const more = items.length > limit;
    return { items: items.slice(0, limit), next: more ? items[limit - 1]!.key : null };
  };
}
