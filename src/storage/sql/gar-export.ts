/**
 * The GAR export's reads. People and groups come in keyset pages on (tenant_id, id), the unique
 * index every tenant-owned table has: each page is one index range, however far the export has
 * gone, and nothing is kept between pages but the last id. A page's memberships are read for
 * the same id range, on the link tables' primary keys (account_id first).
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

/** The rows of every page read by `readPage(afterId, limit)`, in order, until a short page. */
async function* keysetPages<T extends { id: string }>(batch: number, readPage: (afterId: string, limit: number) => Promise<T[]>): AsyncGenerator<T> {
  if (!Number.isInteger(batch) || batch < 1) throw new InvariantBroken(`a GAR export page holds at least one row, not ${batch}`);
  // Every id sorts after the empty string.
  let afterId = '';
  for (;;) {
    const page = await readPage(afterId, batch);
    yield* page;
    if (page.length < batch) return;
    afterId = page[page.length - 1]!.id;
  }
}

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
  /** The exported accounts of one page: after `afterId`, by id. */
  function accountsPage(structureIds: readonly string[], profiles: readonly GarExportedProfile[], afterId: string, limit: number) {
    return db.selectFrom('accounts as a')
      .select(['a.id', 'a.profile', 'a.first_name', 'a.last_name', 'a.birth_date'])
      .where('a.tenant_id', '=', tenantId)
      .where('a.id', '>', afterId)
      .where('a.status', 'in', EXPORTED_STATUSES)
      .where('a.profile', 'in', profiles)
      .where(({ exists, selectFrom }) => exists(selectFrom('account_structures as m').select('m.account_id')
        .where('m.tenant_id', '=', tenantId)
        .whereRef('m.account_id', '=', 'a.id')
        .where('m.structure_id', 'in', structureIds)))
      .orderBy('a.id')
      .limit(limit)
      .execute();
  }

  /** Structure links of the accounts in (afterId, lastId], in `structureIds`. */
  function structureLinks(structureIds: readonly string[], afterId: string, lastId: string) {
    return db.selectFrom('account_structures')
      .select(['account_id', 'structure_id'])
      .where('tenant_id', '=', tenantId)
      .where('account_id', '>', afterId)
      .where('account_id', '<=', lastId)
      .where('structure_id', 'in', structureIds)
      .execute();
  }

  /** Class and group memberships of the accounts in (afterId, lastId], in `structureIds`. */
  function groupLinks(structureIds: readonly string[], afterId: string, lastId: string) {
    return db.selectFrom('group_members as m')
      .innerJoin('groups as g', 'g.id', 'm.group_id')
      .select(['m.account_id', 'g.id', 'g.kind', 'g.code', 'g.structure_id'])
      .where('m.tenant_id', '=', tenantId)
      .where('m.account_id', '>', afterId)
      .where('m.account_id', '<=', lastId)
      .where('g.structure_id', 'in', structureIds)
      .execute();
  }

  async function peoplePage(structureIds: readonly string[], profiles: readonly GarExportedProfile[], afterId: string, limit: number): Promise<GarExportPerson[]> {
    if (structureIds.length === 0 || profiles.length === 0) return [];
    const accounts = await accountsPage(structureIds, profiles, afterId, limit);
    if (accounts.length === 0) return [];
    const lastId = accounts[accounts.length - 1]!.id;
    // The range also holds accounts the page left out (Relatives, disabled ones): their links
    // are read and dropped, which costs less than a list of the page's ids in every query.
    const [structures, groups] = await Promise.all([structureLinks(structureIds, afterId, lastId), groupLinks(structureIds, afterId, lastId)]);
    const structuresOf = groupBy(structures, (l) => l.account_id, (l) => l.structure_id);
    const groupsOf = groupBy(groups, (l) => l.account_id, (l): GarExportMembership => ({
      groupId: l.id, kind: l.kind as GroupKind, code: l.code, structureId: l.structure_id,
    }));
    return accounts.map((a) => ({
      id: a.id,
      profile: a.profile as GarExportedProfile,
      firstName: a.first_name,
      lastName: a.last_name,
      birthDate: a.birth_date,
      structureIds: structuresOf.get(a.id) ?? [],
      groups: groupsOf.get(a.id) ?? [],
    }));
  }

  /** Distinct codes of the classes of the active or pending pupils of the groups (kind group) in (afterId, lastId]. */
  function classCodesOfGroups(structureIds: readonly string[], afterId: string, lastId: string) {
    return db.selectFrom('groups as g')
      .innerJoin('group_members as gm', 'gm.group_id', 'g.id')
      .innerJoin('accounts as a', 'a.id', 'gm.account_id')
      .innerJoin('group_members as cm', 'cm.account_id', 'gm.account_id')
      .innerJoin('groups as c', 'c.id', 'cm.group_id')
      .select(['g.id', 'c.code'])
      .distinct()
      .where('g.tenant_id', '=', tenantId)
      .where('g.id', '>', afterId)
      .where('g.id', '<=', lastId)
      .where('g.kind', '=', 'group')
      .where('g.structure_id', 'in', structureIds)
      .where('a.profile', '=', 'Student')
      .where('a.status', 'in', EXPORTED_STATUSES)
      .where('c.kind', '=', 'class')
      .whereRef('c.structure_id', '=', 'g.structure_id')
      .execute();
  }

  async function groupsPage(structureIds: readonly string[], afterId: string, limit: number): Promise<GarExportGroup[]> {
    if (structureIds.length === 0) return [];
    const groups = await db.selectFrom('groups')
      .select(['id', 'structure_id', 'kind', 'code', 'name'])
      .where('tenant_id', '=', tenantId)
      .where('id', '>', afterId)
      .where('structure_id', 'in', structureIds)
      .orderBy('id')
      .limit(limit)
      .execute();
    if (groups.length === 0) return [];
    const classCodes = groupBy(await classCodesOfGroups(structureIds, afterId, groups[groups.length - 1]!.id), (r) => r.id, (r) => r.code);
    return groups.map((g) => ({
      id: g.id,
      structureId: g.structure_id,
      kind: g.kind as GroupKind,
      code: g.code,
      name: g.name,
      classCodes: (classCodes.get(g.id) ?? []).sort(),
    }));
  }

  return {
    async structures(uais: readonly string[] | 'all'): Promise<Structure[]> {
      if (uais !== 'all' && uais.length === 0) return [];
      let query = db.selectFrom('structures').selectAll().where('tenant_id', '=', tenantId);
      if (uais !== 'all') query = query.where('uai', 'in', uais);
      return (await query.orderBy('uai').execute()).map(toStructure);
    },

    people(structureIds: readonly string[], { batch = DEFAULT_BATCH, profiles = GAR_EXPORTED_PROFILES }: GarPeopleQuery = {}) {
      return keysetPages(batch, (afterId, limit) => peoplePage(structureIds, profiles, afterId, limit));
    },

    groups(structureIds: readonly string[], { batch = DEFAULT_BATCH }: { batch?: number } = {}) {
      return keysetPages(batch, (afterId, limit) => groupsPage(structureIds, afterId, limit));
    },
  };
}
