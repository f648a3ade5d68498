/**
 * Conformance of the admin dashboard's figures (accounts per profile and status, activation per
 * school, sign-ins per day), tenant isolation included: every backend of the port runs it.
 */
import { expect } from 'chai';
import type { AccountStatus, Profile } from '../../src/identity/vocabulary.js';
import { InvariantBroken } from '../../src/shared/errors.js';
import { newId } from '../../src/shared/ids.js';
import { MAX_SIGN_IN_DAYS, type TenantScope } from '../../src/storage/ports/index.js';
import { atInstant } from '../frozen-clock.js';
import { describeTenantIsolation, person, rejection, type StoreSuite, type TenantFactory } from './kit.js';

export const tenantStatsConformance: StoreSuite = ({ newTenant }) => {
  describeAccountFigures(newTenant);
  describeSignIns(newTenant);
  describeStatsIsolation(newTenant);
};

/**
 * Three schools (created out of UAI order) and a fourth without anyone:
 * - collège 0590001A: pupils active ×2, pending ×1, disabled ×1; a teacher active; a relative pending
 * - lycée 0590002B: a pupil active, a teacher pending; the active teacher of the collège too
 * - école 0590000Z: a pupil disappeared
 * - 0590003C: nobody
 * and, attached nowhere, a guest active and a pupil pending.
 */
async function schoolsTenant(scope: TenantScope) {
  const lycee = await scope.structures.upsert({ uai: '0590002B', name: 'Lycée Faidherbe' });
  const college = await scope.structures.upsert({ uai: '0590001A', name: 'Collège Jean Moulin' });
  const empty = await scope.structures.upsert({ uai: '0590003C', name: 'Collège vide' });
  const ecole = await scope.structures.upsert({ uai: '0590000Z', name: 'École Pasteur' });
  const member = async (profile: Profile, status: AccountStatus, ...schools: { id: string }[]) => {
    const account = await scope.accounts.create(person({ profile, status }));
    for (const school of schools) await scope.memberships.attachToStructure(account.id, school.id);
    return account;
  };
  await member('Student', 'active', college);
  await member('Student', 'active', college);
  await member('Student', 'pending', college);
  await member('Student', 'disabled', college);
  await member('Teacher', 'active', college, lycee);
  await member('Relative', 'pending', college);
  await member('Student', 'active', lycee);
  await member('Teacher', 'pending', lycee);
  await member('Student', 'disappeared', ecole);
  await member('Guest', 'active');
  await member('Student', 'pending');
  return { college, lycee, empty, ecole };
}

type Counts = Array<[string, string, number]>;
const triples = (rows: { profile: string; status: string; count: number }[]): Counts => rows.map((r) => [r.profile, r.status, r.count]);

function describeAccountFigures(newTenant: TenantFactory): void {
  describe('tenant stats: accounts', () => {
    let scope: TenantScope;
    let schools: Awaited<ReturnType<typeof schoolsTenant>>;
    before(async () => {
      scope = await newTenant();
      schools = await schoolsTenant(scope);
    });

    it('counts the tenant’s accounts per profile and status, by profile then status', async () => {
      expect(triples(await scope.stats.accountsByProfileAndStatus({}))).to.deep.equal([
        ['Guest', 'active', 1],
        ['Relative', 'pending', 1],
        ['Student', 'active', 3], ['Student', 'disabled', 1], ['Student', 'disappeared', 1], ['Student', 'pending', 2],
        ['Teacher', 'active', 1], ['Teacher', 'pending', 1],
      ]);
    });

    it('counts only the accounts attached to the structures asked, each once', async () => {
      expect(triples(await scope.stats.accountsByProfileAndStatus({ structureIds: [schools.lycee.id] }))).to.deep.equal([
        ['Student', 'active', 1], ['Teacher', 'active', 1], ['Teacher', 'pending', 1],
      ]);
      // The teacher of both schools counts once.
      expect(triples(await scope.stats.accountsByProfileAndStatus({ structureIds: [schools.college.id, schools.lycee.id] }))).to.deep.equal([
        ['Relative', 'pending', 1],
        ['Student', 'active', 3], ['Student', 'disabled', 1], ['Student', 'pending', 1],
        ['Teacher', 'active', 1], ['Teacher', 'pending', 1],
      ]);
      expect(await scope.stats.accountsByProfileAndStatus({ structureIds: [schools.empty.id] })).to.deep.equal([]);
      expect(await scope.stats.accountsByProfileAndStatus({ structureIds: [newId()] })).to.deep.equal([]);
      expect(await scope.stats.accountsByProfileAndStatus({ structureIds: [] })).to.deep.equal([]);
    });

    it('gives each school its accounts, active and pending ones, by UAI, zeros included', async () => {
      const row = (s: { id: string; uai: string; name: string }, accounts: number, active: number, pending: number) =>
        ({ structureId: s.id, uai: s.uai, name: s.name, accounts, active, pending });
      expect(await scope.stats.activationByStructure({})).to.deep.equal([
        row(schools.ecole, 1, 0, 0),
        row(schools.college, 6, 3, 2),
        row(schools.lycee, 3, 2, 1),
        row(schools.empty, 0, 0, 0),
      ]);
      expect(await scope.stats.activationByStructure({ structureIds: [schools.lycee.id, schools.empty.id, newId()] })).to.deep.equal([
        row(schools.lycee, 3, 2, 1),
        row(schools.empty, 0, 0, 0),
      ]);
      expect(await scope.stats.activationByStructure({ structureIds: [] })).to.deep.equal([]);
    });
  });
}

function describeSignIns(newTenant: TenantFactory): void {
  describe('tenant stats: sign-ins per day', () => {
    /** Records `type` at each instant. */
    const recordAt = async (scope: TenantScope, type: string, instants: string[]) => {
      for (const instant of instants) await atInstant(instant, () => scope.audit.record({ type, accountId: newId() }));
    };

    it('counts login.success per UTC day over the last days, `now`’s day included, zero-filled', async () => {
      const scope = await newTenant();
      await recordAt(scope, 'login.success', [
        '2031-03-03T23:59:59.999Z', // the day before the 7 days: left out
        '2031-03-04T00:00:00.000Z', '2031-03-04T12:00:00.000Z',
        '2031-03-06T08:30:00.000Z',
        '2031-03-10T00:00:00.000Z', '2031-03-10T07:59:59.999Z', '2031-03-10T23:59:59.999Z', // later than now, same day
        '2031-03-11T00:00:00.000Z', // tomorrow: left out
      ]);
      // Not sign-ins: a failure, an assertion sent to an SP from a session, a refusal.
      await recordAt(scope, 'login.failure', ['2031-03-06T08:00:00.000Z']);
      await recordAt(scope, 'saml.sso', ['2031-03-06T08:00:00.000Z']);
      await recordAt(scope, 'login.refused', ['2031-03-06T08:00:00.000Z']);
      const now = new Date('2031-03-10T08:00:00.000Z');
      expect(await scope.stats.signInsPerDay(7, now)).to.deep.equal([
        { day: '2031-03-04', count: 2 },
        { day: '2031-03-05', count: 0 },
        { day: '2031-03-06', count: 1 },
        { day: '2031-03-07', count: 0 },
        { day: '2031-03-08', count: 0 },
        { day: '2031-03-09', count: 0 },
        { day: '2031-03-10', count: 3 },
      ]);
      expect(await scope.stats.signInsPerDay(1, now)).to.deep.equal([{ day: '2031-03-10', count: 3 }]);
      expect(await scope.stats.signInsPerDay(1, new Date('2031-03-05T23:00:00.000Z'))).to.deep.equal([{ day: '2031-03-05', count: 0 }]);
    });

    it('crosses months and years by UTC days', async () => {
      const scope = await newTenant();
      await recordAt(scope, 'login.success', ['2030-12-31T23:30:00.000Z', '2031-01-01T00:30:00.000Z', '2031-02-28T10:00:00.000Z', '2031-03-01T10:00:00.000Z']);
      const days = await scope.stats.signInsPerDay(62, new Date('2031-03-01T12:00:00.000Z'));
      expect(days).to.have.length(62);
      expect(days[0]).to.deep.equal({ day: '2030-12-30', count: 0 });
      expect(days.filter((d) => d.count > 0)).to.deep.equal([
        { day: '2030-12-31', count: 1 }, { day: '2031-01-01', count: 1 }, { day: '2031-02-28', count: 1 }, { day: '2031-03-01', count: 1 },
      ]);
      expect(days.at(-1)).to.deep.equal({ day: '2031-03-01', count: 1 });
    });

    it('answers for 1 to MAX_SIGN_IN_DAYS days, and refuses any other range', async () => {
      const scope = await newTenant();
      expect(await scope.stats.signInsPerDay(MAX_SIGN_IN_DAYS, new Date())).to.have.length(MAX_SIGN_IN_DAYS);
      for (const days of [0, -1, 1.5, MAX_SIGN_IN_DAYS + 1, Number.NaN]) {
        await rejection(scope.stats.signInsPerDay(days, new Date()), InvariantBroken);
      }
    });
  });
}

function describeStatsIsolation(newTenant: TenantFactory): void {
  describeTenantIsolation(newTenant, (t) => {
    it('stats: figures count only the tenant’s own', async () => {
      // B: a pupil attached to its school and one login.success today (populate); A: one account, nowhere.
      expect(triples(await t.a.stats.accountsByProfileAndStatus({}))).to.deep.equal([['Student', 'active', 1]]);
      expect(await t.a.stats.accountsByProfileAndStatus({ structureIds: [t.theirs.school.id] })).to.deep.equal([]);
      expect(await t.a.stats.activationByStructure({})).to.deep.equal([]);
      expect(await t.a.stats.activationByStructure({ structureIds: [t.theirs.school.id] })).to.deep.equal([]);
      expect(await t.a.stats.signInsPerDay(2, new Date())).to.satisfy((days: { count: number }[]) => days.every((d) => d.count === 0));
      // B sees its own, through its scope.
      expect((await t.b.stats.activationByStructure({})).map((s) => [s.uai, s.accounts])).to.deep.equal([[t.theirs.school.uai, 1]]);
      expect((await t.b.stats.signInsPerDay(1, new Date())).map((d) => d.count)).to.deep.equal([1]);
      await t.expectTheirsIntact();
    });
  });
}
