/**
 * The records of one tenant's GAR export, built from its store (`GarExportSource`) as it streams:
 * each generator holds one page of the store's rows at a time, never the tenant's people. The
 * schools are those of the tenant's GAR section (`gar.structures`) that the store knows.
 */
import { garPersonIdentifier } from '../identity/gar-identifier.js';
import type { TenantGar } from '../identity/gar.js';
import { InvariantBroken } from '../shared/errors.js';
import type { GarExportGroup, GarExportPerson, GarExportSource, GarExportedProfile, Structure } from '../storage/ports/index.js';
import type { GarAssigner, GarGroup, GarPerson, GarProfile, GarStructure } from './model.js';

/**
 * The hub's profile → the GAR's. The store keeps no SDET function (`ENTPersonFonctions`) yet,
 * so every Personnel is `National_eta`: a documentalist (`National_doc`), a head of school
 * (`National_dir`) or a school life assistant (`National_evs`) cannot be told apart until the
 * import keeps the functions.
 */
const GAR_PROFILE: Record<GarExportedProfile, GarProfile> = {
  Student: 'National_elv',
  Teacher: 'National_ens',
  Personnel: 'National_eta',
};

export interface GarRecordsOptions {
  /** Rows the store reads per query; the store's default when absent. */
  batch?: number;
}

/** The tenant's GAR schools by structure id, and their UAIs. */
class GarSchools {
  private constructor(private readonly byId: ReadonlyMap<string, Structure>) {}

  static async of(source: GarExportSource, gar: TenantGar): Promise<GarSchools> {
    const structures = await source.structures(gar.settings.structures);
    return new GarSchools(new Map(structures.map((s) => [s.id, s])));
  }

  get ids(): string[] {
    return [...this.byId.keys()];
  }

  get structures(): Structure[] {
    return [...this.byId.values()];
  }

  uaiOf(structureId: string): string {
    const structure = this.byId.get(structureId);
    // The source returns only memberships in the structures it was asked about.
    if (!structure) throw new InvariantBroken(`the GAR export source returned structure ${structureId}, which it was not asked about`);
    return structure.uai;
  }
}

/** Code-unit order, as `sort()`: the same files whatever the machine's locale. */
const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const byUaiThenCode = (a: { uai: string; code: string }, b: { uai: string; code: string }): number =>
  compareText(a.uai, b.uai) || compareText(a.code, b.code);

/**
 * One person's record. The store keeps no order of a person's structures (the import sorts
 * them and does not keep `ENTPersonStructRattach`), so the main school is the first by UAI.
 */
function garPerson(person: GarExportPerson, schools: GarSchools, identifierKey: string): GarPerson {
  const uais = person.structureIds.map((id) => schools.uaiOf(id)).sort();
  const profile = GAR_PROFILE[person.profile];
  return {
    id: garPersonIdentifier(identifierKey, person),
    profiles: uais.map((uai) => ({ uai, profile })),
    lastName: person.lastName,
    firstName: person.firstName,
    mainUai: uais[0]!,
    uais,
    // The GAR asks a birth date of pupils only (to tell namesakes apart); nothing more of anyone.
    ...(person.profile === 'Student' && person.birthDate !== null && { birthDate: person.birthDate }),
    groups: person.groups.map((g) => ({ uai: schools.uaiOf(g.structureId), code: g.code })).sort(byUaiThenCode),
  };
}

function garGroup(group: GarExportGroup, schools: GarSchools): GarGroup {
  const record = { uai: schools.uaiOf(group.structureId), code: group.code, label: group.name };
  return group.kind === 'class' ? { ...record, status: 'DIVISION' } : { ...record, status: 'GROUPE', classCodes: group.classCodes };
}

/**
 * The people of `profiles` in the GAR schools. The source returns only accounts attached to at
 * least one of them: a person with no GAR school is not exported.
 */
async function* garPeople(source: GarExportSource, gar: TenantGar, profiles: readonly GarExportedProfile[], { batch }: GarRecordsOptions): AsyncGenerator<GarPerson> {
  const schools = await GarSchools.of(source, gar);
  for await (const person of source.people(schools.ids, { profiles, batch })) yield garPerson(person, schools, gar.identifierKey);
}

/** The `GAR-ENT-Etab` records: the tenant's GAR schools, by UAI. */
export async function* garStructures(source: GarExportSource, gar: TenantGar): AsyncGenerator<GarStructure> {
  for (const structure of (await GarSchools.of(source, gar)).structures) yield { uai: structure.uai, name: structure.name };
}

/** The `GAR-ENT-Eleve` records. */
export const garPupils = (source: GarExportSource, gar: TenantGar, options: GarRecordsOptions = {}): AsyncGenerator<GarPerson> =>
  garPeople(source, gar, ['Student'], options);

/** The `GAR-ENT-Enseignant` records: teachers and the other staff. */
export const garStaff = (source: GarExportSource, gar: TenantGar, options: GarRecordsOptions = {}): AsyncGenerator<GarPerson> =>
  garPeople(source, gar, ['Teacher', 'Personnel'], options);

/**
 * The `GAR-ENT-RespAff` records: the people who assign resources in their schools, with the mail
 * the GAR requires (the académie address first, as gar-connector does). For now the Personnel of
 * each GAR school that have an address; the SDET function that names them (the head, the
 * documentalist…) is not in the store yet.
 */
export async function* garAssigners(source: GarExportSource, gar: TenantGar, { batch }: GarRecordsOptions = {}): AsyncGenerator<GarAssigner> {
  const schools = await GarSchools.of(source, gar);
  for await (const person of source.people(schools.ids, { profiles: ['Personnel'], batch })) {
    if (person.mail !== null) yield { ...garPerson(person, schools, gar.identifierKey), mail: person.mail };
  }
}

/** The `GAR-ENT-Groupe` records: classes (`DIVISION`) and groups (`GROUPE`, with their pupils' classes). */
export async function* garGroups(source: GarExportSource, gar: TenantGar, { batch }: GarRecordsOptions = {}): AsyncGenerator<GarGroup> {
  const schools = await GarSchools.of(source, gar);
  for await (const group of source.groups(schools.ids, { batch })) yield garGroup(group, schools);
}
