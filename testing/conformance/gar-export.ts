/**
 * Conformance of the GAR export's source (what the annuaire export streams from a tenant's
 * store), tenant isolation included: every backend of the port runs it.
 */
import { expect } from 'chai';
import { InvariantBroken } from '../../src/shared/errors.js';
import type { AccountStatus, Profile } from '../../src/identity/vocabulary.js';
import type { Account, GarExportGroup, GarExportPerson, Group, Structure, TenantScope } from '../../src/storage/ports/index.js';
import { describeTenantIsolation, ids, person, rejection, type StoreSuite, type TenantFactory } from './kit.js';

export const garExportSourceConformance: StoreSuite = ({ newTenant }) => {
  describeGarExportSource(newTenant);
  describeGarExportIsolation(newTenant);
};

export async function collect<T>(rows: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const row of rows) all.push(row);
  return all;
}

const byId = <T extends { id: string }>(rows: T[]): T[] => [...rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
const sortedMemberships = (p: GarExportPerson) => ({ ...p, structureIds: [...p.structureIds].sort(), groups: byId(p.groups.map((g) => ({ ...g, id: g.groupId }))) });

/**
 * Two GAR schools and one that does not use the GAR, a class and a group in each GAR school, a
 * class in the other; a pupil in both GAR schools, people the export leaves out around them.
 */
/** The schools of the GAR fixtures: two GAR schools (0590001A, 0590002B), one without the GAR (0620003C), their classes and groups. */
export async function garSchools(scope: TenantScope) {
  const college = await scope.structures.upsert({ uai: '0590001A', name: 'Collège Jean Moulin' });
  const lycee = await scope.structures.upsert({ uai: '0590002B', name: 'Lycée Faidherbe' });
  const outside = await scope.structures.upsert({ uai: '0620003C', name: 'Collège sans GAR' });
  const c3a = await scope.groups.upsert({ structureId: college.id, kind: 'class', code: '3A', name: '3e A' });
  const latin = await scope.groups.upsert({ structureId: college.id, kind: 'group', code: 'LATIN', name: 'Latin' });
  const c2nd = await scope.groups.upsert({ structureId: lycee.id, kind: 'class', code: '2ND1', name: 'Seconde 1' });
  const outsideClass = await scope.groups.upsert({ structureId: outside.id, kind: 'class', code: '4B', name: '4e B' });
  return { college, lycee, outside, c3a, latin, c2nd, outsideClass };
}

async function garTenant(scope: TenantScope) {
  const { college, lycee, outside, c3a, latin, c2nd, outsideClass } = await garSchools(scope);

  const member = async (profile: Profile, structures: Structure[], groups: Group[], status: AccountStatus = 'active'): Promise<Account> => {
    const account = await scope.accounts.create(person({ profile, status, birthDate: '2011-05-04' }));
    for (const s of structures) await scope.memberships.attachToStructure(account.id, s.id);
    for (const g of groups) await scope.memberships.addToGroup(account.id, g.id);
    return account;
  };
  const pupil = await member('Student', [college, lycee, outside], [c3a, latin, c2nd, outsideClass]);
  const pendingPupil = await member('Student', [college], [c3a], 'pending');
  const teacher = await member('Teacher', [college], [c3a, latin]);
  const staff = await member('Personnel', [lycee], []);
  // The académie address wins over the personal one.
  const staffWithMail = await scope.accounts.update(staff.id, { email: 'perso@example.org', academicEmail: 'staff@ac-lille.fr' });
  const teacherWithMail = await scope.accounts.update(teacher.id, { email: 'prof@example.org' });
  // Left out: a Relative, a Guest, disabled and disappeared accounts, someone only outside.
  await member('Relative', [college], []);
  await member('Guest', [college], []);
  const disabled = await member('Student', [college], [c3a, latin], 'disabled');
  const disappeared = await member('Teacher', [college], [c3a]);
  await scope.accounts.update(disappeared.id, { status: 'disappeared', disappearedAt: new Date() });
  await member('Student', [outside], [outsideClass]);
  await member('Teacher', [], []);
  return { college, lycee, outside, c3a, latin, c2nd, pupil, pendingPupil, teacher: teacherWithMail, staff: staffWithMail, disabled };
}

type GarTenant = Awaited<ReturnType<typeof garTenant>>;

function expectedPeople(t: GarTenant): GarExportPerson[] {
  const membership = (g: Group) => ({ groupId: g.id, kind: g.kind, code: g.code, structureId: g.structureId });
  const exported = (a: Account, structures: Structure[], groups: Group[]): GarExportPerson => ({
    id: a.id, profile: a.profile as GarExportPerson['profile'], firstName: a.firstName, lastName: a.lastName, birthDate: a.birthDate,
    mail: a.academicEmail ?? a.email, structureIds: structures.map((s) => s.id), groups: groups.map(membership),
  });
  return byId([
    exported(t.pupil, [t.college, t.lycee], [t.c3a, t.latin, t.c2nd]),
    exported(t.pendingPupil, [t.college], [t.c3a]),
    exported(t.teacher, [t.college], [t.c3a, t.latin]),
    exported(t.staff, [t.lycee], []),
  ]).map(sortedMemberships);
}

function describeGarExportSource(newTenant: TenantFactory): void {
  describe('GAR export source', () => {
    it('finds the structures by UAI, or all of them, by UAI', async () => {
      const lille = await newTenant();
      const t = await garTenant(lille);
      expect(await lille.garExport.structures('all')).to.deep.equal([t.college, t.lycee, t.outside]);
      expect(await lille.garExport.structures(['0590002B', '0590001A', '0590009Z'])).to.deep.equal([t.college, t.lycee]);
      expect(await lille.garExport.structures([])).to.deep.equal([]);
    });

    it('streams the active and pending pupils, teachers and staff of the GAR structures, with their memberships there', async () => {
      const lille = await newTenant();
      const t = await garTenant(lille);
      const people = await collect(lille.garExport.people([t.college.id, t.lycee.id]));
      expect(people.map((p) => p.id)).to.deep.equal(ids(byId(people)));
      expect(people.map(sortedMemberships)).to.deep.equal(expectedPeople(t));
    });

    it('streams only the profiles asked for, and nothing for no structure', async () => {
      const lille = await newTenant();
      const t = await garTenant(lille);
      const structureIds = [t.college.id, t.lycee.id];
      expect(ids(await collect(lille.garExport.people(structureIds, { profiles: ['Student'] })))).to.have.members([t.pupil.id, t.pendingPupil.id]);
      expect(ids(await collect(lille.garExport.people(structureIds, { profiles: ['Teacher', 'Personnel'] })))).to.have.members([t.teacher.id, t.staff.id]);
      expect(ids(await collect(lille.garExport.people([t.lycee.id])))).to.have.members([t.pupil.id, t.staff.id]);
      expect(await collect(lille.garExport.people([]))).to.deep.equal([]);
      expect(await collect(lille.garExport.groups([]))).to.deep.equal([]);
    });

    it('streams the classes and groups of the GAR structures, a group with its pupils\u2019 classes', async () => {
      const lille = await newTenant();
      const t = await garTenant(lille);
      const group = (g: Group, classCodes: string[]): GarExportGroup => ({ id: g.id, structureId: g.structureId, kind: g.kind, code: g.code, name: g.name, classCodes });
      // Latin's classes: its active pupil's in the same school (3A); not the teacher's, not the
      // lycée's class of the same pupil, not a disabled pupil's.
      const disabledClass = await lille.groups.upsert({ structureId: t.college.id, kind: 'class', code: '3C', name: '3e C' });
      await lille.memberships.addToGroup(t.disabled.id, disabledClass.id);
      const teacherClass = await lille.groups.upsert({ structureId: t.college.id, kind: 'class', code: '3D', name: '3e D' });
      await lille.memberships.addToGroup(t.teacher.id, teacherClass.id);
      const groups = await collect(lille.garExport.groups([t.college.id, t.lycee.id]));
      expect(groups).to.deep.equal(byId([
        group(t.c3a, []), group(t.latin, ['3A']), group(t.c2nd, []), group(disabledClass, []), group(teacherClass, []),
      ]));
    });

    for (const batch of [1, 7, 1000]) {
      it(`covers every account and group once in keyset pages of ${batch}`, async () => {
        const lille = await newTenant();
        const t = await garTenant(lille);
        const structureIds = [t.college.id, t.lycee.id];
        // Enough rows for several pages of 7, excluded ones in between.
        for (let i = 0; i < 12; i += 1) {
          const extra = await lille.accounts.create(person({ profile: i % 3 === 0 ? 'Relative' : 'Student', status: i % 4 === 0 ? 'disabled' : 'active' }));
          await lille.memberships.attachToStructure(extra.id, t.college.id);
          await lille.memberships.addToGroup(extra.id, t.c3a.id);
          await lille.groups.upsert({ structureId: i % 2 === 0 ? t.college.id : t.outside.id, kind: 'group', code: `G${i}`, name: `Groupe ${i}` });
        }
        const whole = await collect(lille.garExport.people(structureIds, { batch: 100_000 }));
        expect(whole).to.have.length(4 + 6);
        expect(await collect(lille.garExport.people(structureIds, { batch }))).to.deep.equal(whole);
        const wholeGroups = await collect(lille.garExport.groups(structureIds, { batch: 100_000 }));
        expect(wholeGroups).to.have.length(3 + 6);
        expect(await collect(lille.garExport.groups(structureIds, { batch }))).to.deep.equal(wholeGroups);
      });
    }

    it('refuses a page of no row', async () => {
      const lille = await newTenant();
      await rejection(collect(lille.garExport.people(['x'], { batch: 0 })), InvariantBroken);
      await rejection(collect(lille.garExport.groups(['x'], { batch: 0.5 })), InvariantBroken);
    });
  });
}

function describeGarExportIsolation(newTenant: TenantFactory): void {
  describeTenantIsolation(newTenant, (t) => {
    it('GAR export: streams the tenant\u2019s own schools, people and groups, nothing of another tenant', async () => {
      // B has a school of the same UAI as A's, with its pupil and class.
      const mine = await garTenant(t.a);
      const theirs = await garTenant(t.b);
      expect(await t.a.garExport.structures('all')).to.deep.equal([mine.college, mine.lycee, mine.outside]);
      expect(await t.a.garExport.structures([t.theirs.school.uai])).to.deep.equal([mine.college]);
      const people = await collect(t.a.garExport.people([mine.college.id, mine.lycee.id]));
      expect(people.map(sortedMemberships)).to.deep.equal(expectedPeople(mine));
      const groups = await collect(t.a.garExport.groups([mine.college.id, mine.lycee.id]));
      expect(ids(groups)).to.have.members([mine.c3a.id, mine.latin.id, mine.c2nd.id]);
      // B's structure ids, read through A's scope: nothing.
      const theirStructures = [t.theirs.school.id, theirs.college.id, theirs.lycee.id];
      expect(await collect(t.a.garExport.people(theirStructures))).to.deep.equal([]);
      expect(await collect(t.a.garExport.groups(theirStructures))).to.deep.equal([]);
      expect(ids(await collect(t.b.garExport.people(theirStructures)))).to.include(t.theirs.child.id).and.include(theirs.pupil.id);
    });
  });
}
