/**
 * The GAR export's reads, in keyset pages: each page is one range of ids on an index whose key
 * starts with them, however far the export has gone, and nothing is kept between pages but the
 * last id. Accounts and groups are read on (tenant_id, id), a page's memberships on the link
 * tables' primary keys (account_id first). The structures asked for are kept in a set and
 * filtered here, not in SQL: with `structure_id in (…)`, SQLite read every membership of those
 * structures through their index for each page (an export quadratic in the tenant's size), or
 * probed each structure of the list for each account.
 */
import type { Kysely } from 'kysely';
import type {
  GarExportGroup, GarExportMembership, GarExportPerson, GarExportSource, GarExportedProfile, GarPeopleQuery, Structure,
} from '../ports/index.js';
import { GAR_EXPORTED_PROFILES } from '../ports/index.js';
import type { GroupKind } from '../../identity/vocabulary.js';
import { InvariantBroken } from '../../shared/errors.js';
import { toStructure } from './rows.js';
import type { Database } from './schema.js';

const DEFAULT_BATCH = 1000;
/** Pending accounts too: the GAR must know a pupil before the first sign-in, to assign resources. */
const EXPORTED_STATUSES = ['active', 'pending'];

/** What one page read: the rows it keeps, and the id after which the next page starts (null: the end). */
interface KeysetPage<T> {
  rows: T[];
  next: string | null;
}

/** The rows of every page read by `readPage(afterId, limit)`, in order. */
async function* keysetPages<T>(batch: number, readPage: (afterId: string, limit: number) => Promise<KeysetPage<T>>): AsyncGenerator<T> {
  if (!Number.isInteger(batch) || batch < 1) throw new InvariantBroken(`a GAR export page holds at least one row, not ${batch}`);
  // Every id sorts after the empty string.
  let afterId: string | null = '';
  while (afterId !== null) {
    const page: KeysetPage<T> = await readPage(afterId, batch);
    yield* page.rows;
    afterId = page.next;
  }
}

/** Where the page after `read` (`limit` rows asked) starts: after its last row, or nowhere when it came short. */
const nextAfter = (read: readonly { id: string }[], limit: number): string | null => (read.length < limit ? null : read[read.length - 1]!.id);

/** Values of `rows` grouped by `key`. */
function groupBy<R, V>(rows: readonly R[], key: (row: R) => string, value: (row: R) => V): Map<string, V[]> {
  const grouped = new Map<string, V[]>();
  for (const row of rows) {
    const k = key(row);
    const list = grouped.get(k);
    if (list) list.push(value(row));
    else grouped.set(k, [value(row)]);
  }
  return grouped;
}

export function tenantGarExport(db: Kysely<Database>, tenantId: string): GarExportSource {
  /** Up to `limit` accounts of `profiles` the export may send, after `afterId`, by id. */
  function accountsPage(profiles: readonly GarExportedProfile[], afterId: string, limit: number) {
    return db.selectFrom('accounts')
      .select(['id', 'profile', 'first_name', 'last_name', 'birth_date', 'academic_email', 'email'])
      .where('tenant_id', '=', tenantId)
      .where('id', '>', afterId)
      .where('status', 'in', EXPORTED_STATUSES)
      .where('profile', 'in', profiles)
      .orderBy('id')
      .limit(limit)
      .execute();
  }

  /** Structure links of the accounts in (afterId, lastId]. */
  function structureLinks(afterId: string, lastId: string) {
    return db.selectFrom('account_structures')
      .select(['account_id', 'structure_id'])
      .where('tenant_id', '=', tenantId)
      .where('account_id', '>', afterId)
      .where('account_id', '<=', lastId)
      .execute();
  }

  /** Class and group memberships of the accounts in (afterId, lastId]. */
  function groupLinks(afterId: string, lastId: string) {
    return db.selectFrom('group_members as m')
      .innerJoin('groups as g', 'g.id', 'm.group_id')
      .select(['m.account_id', 'g.id', 'g.kind', 'g.code', 'g.structure_id'])
      .where('m.tenant_id', '=', tenantId)
      .where('m.account_id', '>', afterId)
      .where('m.account_id', '<=', lastId)
      .execute();
  }

  async function peoplePage(structureIds: ReadonlySet<string>, profiles: readonly GarExportedProfile[], afterId: string, limit: number): Promise<KeysetPage<GarExportPerson>> {
    const accounts = await accountsPage(profiles, afterId, limit);
    const next = nextAfter(accounts, limit);
    if (accounts.length === 0) return { rows: [], next };
    const lastId = accounts[accounts.length - 1]!.id;
    // The range also holds accounts the page left out (Relatives, disabled ones), and the kept
    // ones have links outside the structures asked for: they are read and dropped, which costs
    // less than a list of the page's ids (or of the structures) in every query.
    const [structures, groups] = await Promise.all([structureLinks(afterId, lastId), groupLinks(afterId, lastId)]);
    const asked = <L extends { structure_id: string }>(links: L[]): L[] => links.filter((l) => structureIds.has(l.structure_id));
    const structuresOf = groupBy(asked(structures), (l) => l.account_id, (l) => l.structure_id);
    const groupsOf = groupBy(asked(groups), (l) => l.account_id, (l): GarExportMembership => ({
      groupId: l.id, kind: l.kind as GroupKind, code: l.code, structureId: l.structure_id,
    }));
    const rows = accounts.filter((a) => structuresOf.has(a.id)).map((a) => ({
      id: a.id,
      profile: a.profile as GarExportedProfile,
      firstName: a.first_name,
      lastName: a.last_name,
      birthDate: a.birth_date,
      mail: a.academic_email ?? a.email,
      structureIds: structuresOf.get(a.id)!,
      groups: groupsOf.get(a.id) ?? [],
    }));
    return { rows, next };
  }

  /**
   * Classes of the active or pending pupils of the groups (kind group) in (afterId, lastId],
   * with the structures of both. Whether a class is in its group's structure is checked by the
   * caller: in SQL, SQLite reached the classes through the structure's index and probed each
   * for every pupil, instead of reading the pupil's few memberships.
   */
  function classesOfGroupPupils(afterId: string, lastId: string) {
    return db.selectFrom('groups as g')
      .innerJoin('group_members as gm', 'gm.group_id', 'g.id')
      .innerJoin('accounts as a', 'a.id', 'gm.account_id')
      .innerJoin('group_members as cm', 'cm.account_id', 'gm.account_id')
      .innerJoin('groups as c', 'c.id', 'cm.group_id')
      .select(['g.id', 'g.structure_id', 'c.code', 'c.structure_id as class_structure_id'])
      .distinct()
      .where('g.tenant_id', '=', tenantId)
      .where('g.id', '>', afterId)
      .where('g.id', '<=', lastId)
      .where('g.kind', '=', 'group')
      .where('a.profile', '=', 'Student')
      .where('a.status', 'in', EXPORTED_STATUSES)
      .where('c.kind', '=', 'class')
      .execute();
  }

  async function groupsPage(structureIds: ReadonlySet<string>, afterId: string, limit: number): Promise<KeysetPage<GarExportGroup>> {
    const groups = await db.selectFrom('groups')
      .select(['id', 'structure_id', 'kind', 'code', 'name'])
      .where('tenant_id', '=', tenantId)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
    const next = nextAfter(groups, limit);
    const asked = groups.filter((g) => structureIds.has(g.structure_id));
    if (asked.length === 0) return { rows: [], next };
    const classes = await classesOfGroupPupils(afterId, groups[groups.length - 1]!.id);
    const classCodes = groupBy(classes.filter((c) => c.class_structure_id === c.structure_id), (c) => c.id, (c) => c.code);
    const rows = asked.map((g) => ({
      id: g.id,
      structureId: g.structure_id,
      kind: g.kind as GroupKind,
      code: g.code,
      name: g.name,
      classCodes: (classCodes.get(g.id) ?? []).sort(),
    }));
    return { rows, next };
  }

  return {
    async structures(uais: readonly string[] | 'all'): Promise<Structure[]> {
      if (uais !== 'all' && uais.length === 0) return [];
      let query = db.selectFrom('structures').selectAll().where('tenant_id', '=', tenantId);
      if (uais !== 'all') query = query.where('uai', 'in', uais);
      return (await query.orderBy('uai').execute()).map(toStructure);
    },

    people(structureIds: readonly string[], { batch = DEFAULT_BATCH, profiles = GAR_EXPORTED_PROFILES }: GarPeopleQuery = {}) {
      const asked = new Set(structureIds);
      return keysetPages(batch, async (afterId, limit) => (asked.size === 0 || profiles.length === 0
        ? { rows: [], next: null }
        : peoplePage(asked, profiles, afterId, limit)));
    },

    groups(structureIds: readonly string[], { batch = DEFAULT_BATCH }: { batch?: number } = {}) {
      const asked = new Set(structureIds);
      return keysetPages(batch, async (afterId, limit) => (asked.size === 0 ? { rows: [], next: null } : groupsPage(asked, afterId, limit)));
    },
  };
}
