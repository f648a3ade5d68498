/**
 * The behaviour every `PlatformStore` adapter must have, tenant isolation first. Run it from a
 * test file with an `open` that returns a fresh, empty store:
 *
 *   runStoreConformance('sqlite', async () => ({ store, cleanup }));
 *
 * The store is opened once per suite; each test creates its own tenants (random ids), so tests
 * are independent without paying for a new database each time, and every isolation check runs
 * next to other tenants' real rows.
 */
import { expect } from 'chai';
import { Conflict, NotFound } from '../../shared/errors.js';
import { randomBytes } from 'node:crypto';
import { newId } from '../../shared/ids.js';
import type { Account, NewAccount, NewStoredConnector, PlatformStore, TenantScope } from '../ports/index.js';

export interface OpenedStore {
  store: PlatformStore;
  cleanup(): Promise<void>;
}

/** Random, not a slice of newId(): time-ordered ids share their first characters. */
const unique = (prefix: string): string => `${prefix}-${randomBytes(4).toString('hex')}`;

function person(overrides: Partial<NewAccount> = {}): NewAccount {
  return { login: unique('jean.dupont'), profile: 'Student', firstName: 'Jean', lastName: 'Dupont', ...overrides };
}

/** Awaits `promise`, expects it to reject with `type`, and returns the error for more checks. */
async function rejection<E extends Error>(promise: Promise<unknown>, type: abstract new (...args: never[]) => E): Promise<E> {
  let outcome: unknown;
  try {
    await promise;
  } catch (error) {
    outcome = error;
  }
  expect(outcome, `expected a ${type.name}`).to.be.instanceOf(type);
  return outcome as E;
}

const ids = (rows: { id: string }[]): string[] => rows.map((row) => row.id);

export function runStoreConformance(name: string, open: () => Promise<OpenedStore>): void {
  describe(`store conformance: ${name}`, () => {
    let opened: OpenedStore | undefined;
    let store: PlatformStore;

    before(async () => {
      opened = await open();
      store = opened.store;
    });
    after(async () => {
      await opened?.cleanup();
    });

    async function newTenant(): Promise<TenantScope> {
      const id = unique('tenant');
      await store.tenants.upsert({ id, name: `Académie ${id}`, academyCode: id.slice(-2) });
      return store.forTenant(id);
    }

    describeTenants(() => store, newTenant);
    describeAccounts(() => store, newTenant);
    describeDirectory(newTenant);
    describeIdentities(newTenant);
    describeMfa(newTenant);
    describeClients(() => store, newTenant);
    describeAudit(() => store, newTenant);
    describeIsolation(() => store, newTenant);
    describeConnectors(() => store, newTenant);
  });
}

type StoreRef = () => PlatformStore;
type TenantFactory = () => Promise<TenantScope>;

function describeTenants(store: StoreRef, newTenant: TenantFactory): void {
  describe('tenants', () => {
    it('upserts, gets and lists tenants', async () => {
      const id = unique('amiens');
      expect(await store().tenants.get(id)).to.equal(null);
      expect(await store().tenants.upsert({ id, name: 'Amiens', academyCode: '20' })).to.deep.equal({ id, name: 'Amiens', academyCode: '20' });
      await store().tenants.upsert({ id, name: 'Académie d’Amiens', academyCode: '20' });
      expect(await store().tenants.get(id)).to.deep.equal({ id, name: 'Académie d’Amiens', academyCode: '20' });
      expect((await store().tenants.list()).filter((t) => t.id === id)).to.have.length(1);
    });

    it('a scope of an unknown tenant sees nothing and cannot write', async () => {
      const ghost = store().forTenant(unique('ghost'));
      expect(await ghost.accounts.list()).to.deep.equal([]);
      expect(await ghost.accounts.count()).to.equal(0);
      await rejection(ghost.accounts.create(person()), NotFound);
      await rejection(ghost.structures.upsert({ uai: '0590001A', name: 'Lycée' }), NotFound);
      expect(await ghost.structures.list()).to.deep.equal([]);
      await newTenant(); // the store still works afterwards
    });
  });
}

function describeAccounts(store: StoreRef, newTenant: TenantFactory): void {
  describe('accounts', () => {
    it('creates an account with defaults and reads it back', async () => {
      const lille = await newTenant();
      const created = await lille.accounts.create(person({ firstName: 'Léa', lastName: 'Martin' }));
      expect(created.id).to.be.a('string').and.not.equal('');
      expect(created).to.include({
        tenantId: lille.tenantId, profile: 'Student', displayName: 'Léa Martin', status: 'active', source: 'local',
        birthDate: null, email: null, externalId: null, passwordHash: null, disappearedAt: null,
      });
      expect(created.createdAt).to.be.instanceOf(Date);
      expect(Math.abs(created.createdAt.getTime() - Date.now())).to.be.below(60_000);
      expect(await lille.accounts.get(created.id)).to.deep.equal(created);
    });

    it('stores every field as given', async () => {
      const lille = await newTenant();
      const input = person({
        id: newId(), profile: 'Teacher', displayName: 'M. Dupont', birthDate: '1980-02-29', email: 'j@example.org',
        academicEmail: 'jean.dupont@ac-lille.fr', status: 'pending', passwordHash: '$argon2id$x', externalId: 'AC-LILLE-42',
        source: 'AC-LILLE',
      });
      const created = await lille.accounts.create(input);
      const { id, ...rest } = input;
      expect(created.id).to.equal(id);
      expect(created).to.include(rest);
      expect(await lille.accounts.findByExternalId('AC-LILLE-42')).to.deep.equal(created);
      expect(await lille.accounts.findByExternalId('AC-LILLE-43')).to.equal(null);
    });

    it('updates the given fields only and bumps updatedAt', async () => {
      const lille = await newTenant();
      const created = await lille.accounts.create(person({ email: 'old@example.org' }));
      await new Promise((resolve) => setTimeout(resolve, 5));
      const gone = new Date('2025-09-01T02:00:00.000Z');
      const updated = await lille.accounts.update(created.id, { status: 'disappeared', disappearedAt: gone, email: null });
      expect(updated).to.include({ status: 'disappeared', email: null, login: created.login, firstName: 'Jean' });
      expect(updated.disappearedAt?.toISOString()).to.equal(gone.toISOString());
      expect(updated.createdAt.getTime()).to.equal(created.createdAt.getTime());
      expect(updated.updatedAt.getTime()).to.be.above(created.updatedAt.getTime());
      expect(await lille.accounts.get(created.id)).to.deep.equal(updated);
      const revived = await lille.accounts.update(created.id, { disappearedAt: null, status: 'active' });
      expect(revived.disappearedAt).to.equal(null);
    });

    it('reports unknown accounts as NotFound', async () => {
      const lille = await newTenant();
      await rejection(lille.accounts.get(newId()), NotFound);
      await rejection(lille.accounts.update(newId(), { firstName: 'X' }), NotFound);
      await rejection(lille.accounts.delete(newId()), NotFound);
    });

    it('lists by login with paging, and counts', async () => {
      const lille = await newTenant();
      const suffix = unique('');
      for (const login of ['c', 'a', 'd', 'b']) await lille.accounts.create(person({ login: `${login}${suffix}` }));
      const logins = (accounts: Account[]) => accounts.map((a) => a.login[0]);
      expect(logins(await lille.accounts.list())).to.deep.equal(['a', 'b', 'c', 'd']);
      expect(logins(await lille.accounts.list({ limit: 2 }))).to.deep.equal(['a', 'b']);
      expect(logins(await lille.accounts.list({ limit: 2, offset: 1 }))).to.deep.equal(['b', 'c']);
      expect(logins(await lille.accounts.list({ offset: 3 }))).to.deep.equal(['d']);
      expect(await lille.accounts.count()).to.equal(4);
    });

    it('deletes an account with its memberships, relations and identities', async () => {
      const lille = await newTenant();
      const child = await lille.accounts.create(person());
      const parent = await lille.accounts.create(person({ profile: 'Relative' }));
      const school = await lille.structures.upsert({ uai: '0590001A', name: 'Collège' });
      const klass = await lille.groups.upsert({ structureId: school.id, kind: 'class', code: '3A', name: '3e A' });
      await lille.memberships.attachToStructure(child.id, school.id);
      await lille.memberships.addToGroup(child.id, klass.id);
      await lille.relations.link(parent.id, child.id);
      await lille.identities.link(child.id, 'educonnect', 'sub-child');

      await lille.accounts.delete(child.id);

      await rejection(lille.accounts.get(child.id), NotFound);
      expect(await lille.accounts.count()).to.equal(1);
      expect(await lille.relations.childrenOf(parent.id)).to.deep.equal([]);
      expect(await lille.identities.find('educonnect', 'sub-child')).to.equal(null);
      expect(await lille.memberships.structuresOf(child.id)).to.deep.equal([]);
      expect(await lille.memberships.groupsOf(child.id)).to.deep.equal([]);
      // The same subject can be linked again: the old identity row is really gone.
      await lille.identities.link(parent.id, 'educonnect', 'sub-child');
      await rejection(lille.accounts.delete(child.id), NotFound);
    });

    it('keeps logins unique platform-wide', async () => {
      const [lille, amiens] = [await newTenant(), await newTenant()];
      const login = unique('jean.dupont');
      await lille.accounts.create(person({ login }));
      const conflict = await rejection(amiens.accounts.create(person({ login })), Conflict);
      expect(conflict.field).to.equal('login');
      expect(conflict.message).to.contain(`"${login}"`);
      expect(await amiens.accounts.count()).to.equal(0);
    });

    it('refuses to rename an account to a taken login, changing nothing', async () => {
      const lille = await newTenant();
      const [jean, lea] = [await lille.accounts.create(person()), await lille.accounts.create(person({ firstName: 'Léa' }))];
      const conflict = await rejection(lille.accounts.update(lea.id, { login: jean.login, firstName: 'Changed' }), Conflict);
      expect(conflict.field).to.equal('login');
      expect(await lille.accounts.get(lea.id)).to.deep.equal(lea);
    });

    it('keeps external ids unique per tenant only', async () => {
      const [lille, amiens] = [await newTenant(), await newTenant()];
      const mine = await lille.accounts.create(person({ externalId: 'SRC-1' }));
      const conflict = await rejection(lille.accounts.create(person({ externalId: 'SRC-1' })), Conflict);
      expect(conflict.field).to.equal('externalId');
      expect(await lille.accounts.count()).to.equal(1);
      const other = await lille.accounts.create(person({ externalId: 'SRC-2' }));
      expect((await rejection(lille.accounts.update(other.id, { externalId: 'SRC-1' }), Conflict)).field).to.equal('externalId');

      const theirs = await amiens.accounts.create(person({ externalId: 'SRC-1' }));
      expect((await lille.accounts.findByExternalId('SRC-1'))?.id).to.equal(mine.id);
      expect((await amiens.accounts.findByExternalId('SRC-1'))?.id).to.equal(theirs.id);
    });

    it('allows many accounts without an external id', async () => {
      const lille = await newTenant();
      await lille.accounts.create(person());
      await lille.accounts.create(person());
      expect(await lille.accounts.count()).to.equal(2);
    });

    it('lists the accounts of a structure or of one of its classes, by login, whatever their status', async () => {
      const [lille, amiens] = [await newTenant(), await newTenant()];
      const school = await lille.structures.upsert({ uai: '0590001A', name: 'Lycée A' });
      const other = await lille.structures.upsert({ uai: '0590002B', name: 'Lycée B' });
      const sixA = await lille.groups.upsert({ structureId: school.id, kind: 'class', code: '6A', name: '6A' });
      const club = await lille.groups.upsert({ structureId: school.id, kind: 'group', code: '6A', name: 'club 6A' });
      const otherSixA = await lille.groups.upsert({ structureId: other.id, kind: 'class', code: '6A', name: '6A' });
      const [b, a, c, d] = await Promise.all(['b', 'a', 'c', 'd'].map((l) => lille.accounts.create(person({ login: unique(l), status: l === 'c' ? 'active' : 'pending' }))));
      for (const account of [a!, b!, c!]) await lille.memberships.attachToStructure(account.id, school.id);
      await lille.memberships.attachToStructure(d!.id, other.id);
      await lille.memberships.addToGroup(a!.id, sixA.id);
      await lille.memberships.addToGroup(c!.id, sixA.id);
      await lille.memberships.addToGroup(b!.id, club.id);
      await lille.memberships.addToGroup(d!.id, otherSixA.id);
      expect(ids(await lille.accounts.listInStructure('0590001A'))).to.deep.equal(ids([a!, b!, c!]));
      expect(ids(await lille.accounts.listInStructure('0590001A', undefined, { offset: 1, limit: 1 }))).to.deep.equal([b!.id]);
      expect(ids(await lille.accounts.listInStructure('0590001A', '6A'))).to.deep.equal(ids([a!, c!]));
      expect(await lille.accounts.listInStructure('0590001A', '5B')).to.deep.equal([]);
      expect(await lille.accounts.listInStructure('0000000X')).to.deep.equal([]);
      expect(await amiens.accounts.listInStructure('0590001A')).to.deep.equal([]);
    });

    it('lists the accounts of a source created within a time window', async () => {
      const [lille, amiens] = [await newTenant(), await newTenant()];
      const pause = () => new Promise((resolve) => setTimeout(resolve, 15));
      await lille.accounts.create(person({ source: 'AC-LILLE' }));
      await pause();
      const from = new Date();
      const inside = [await lille.accounts.create(person({ login: unique('b'), source: 'AC-LILLE' })), await lille.accounts.create(person({ login: unique('a'), source: 'AC-LILLE', status: 'active' }))];
      await lille.accounts.create(person({ source: 'local' }));
      await amiens.accounts.create(person({ source: 'AC-LILLE' }));
      const to = new Date();
      await pause();
      await lille.accounts.create(person({ source: 'AC-LILLE' }));
      expect(ids(await lille.accounts.listCreatedBySource('AC-LILLE', from, to))).to.deep.equal(ids([inside[1]!, inside[0]!]));
      expect(ids(await lille.accounts.listCreatedBySource('AC-LILLE', from, to, { limit: 1 }))).to.deep.equal([inside[1]!.id]);
      expect(await lille.accounts.listCreatedBySource('AC-AMIENS', from, to)).to.deep.equal([]);
    });

    it('updates an account only while it is pending (updatePending)', async () => {
      const lille = await newTenant();
      const pending = await lille.accounts.create(person({ status: 'pending' }));
      const active = await lille.accounts.create(person({ status: 'active' }));
      const expires = new Date('2030-01-01T00:00:00.000Z');
      const updated = await lille.accounts.updatePending(pending.id, { activationCodeHash: 'h1', activationExpiresAt: expires });
      expect(updated?.activationExpiresAt?.toISOString()).to.equal(expires.toISOString());
      expect(updated?.status).to.equal('pending');
      expect(await lille.accounts.updatePending(active.id, { activationCodeHash: 'h2' })).to.equal(null);
      expect(await lille.accounts.get(active.id)).to.deep.equal(active);
      expect(await lille.accounts.updatePending(newId(), { activationCodeHash: 'h3' })).to.equal(null);
    });

    it('finds accounts platform-wide by login and id', async () => {
      const [lille, amiens] = [await newTenant(), await newTenant()];
      const jean = await lille.accounts.create(person());
      const lea = await amiens.accounts.create(person());
      expect(await store().accounts.findByLogin(jean.login)).to.deep.equal(jean);
      expect(await store().accounts.findById(lea.id)).to.deep.equal(lea);
      expect(await store().accounts.findByLogin(unique('nobody'))).to.equal(null);
      expect(await store().accounts.findById(newId())).to.equal(null);
    });
  });
}

function describeDirectory(newTenant: TenantFactory): void {
  describe('structures, groups, memberships and relations', () => {
    it('upserts structures by UAI, keeping the id', async () => {
      const lille = await newTenant();
      const first = await lille.structures.upsert({ uai: '0590002B', name: 'Lycée Faidherbe', externalId: 'S-1' });
      const second = await lille.structures.upsert({ uai: '0590002B', name: 'Lycée Faidherbe (Lille)' });
      expect(second).to.deep.equal({ ...first, name: 'Lycée Faidherbe (Lille)' });
      expect(await lille.structures.findByUai('0590002B')).to.deep.equal(second);
      expect(await lille.structures.findByUai('0590003C')).to.equal(null);
      await lille.structures.upsert({ uai: '0590001A', name: 'Collège' });
      expect((await lille.structures.list()).map((s) => s.uai)).to.deep.equal(['0590001A', '0590002B']);
      expect((await lille.structures.list({ limit: 1, offset: 1 })).map((s) => s.uai)).to.deep.equal(['0590002B']);
    });

    it('upserts groups by (structure, kind, code)', async () => {
      const lille = await newTenant();
      const school = await lille.structures.upsert({ uai: '0590001A', name: 'Collège' });
      const klass = await lille.groups.upsert({ structureId: school.id, kind: 'class', code: '3A', name: '3e A' });
      const renamed = await lille.groups.upsert({ structureId: school.id, kind: 'class', code: '3A', name: 'Troisième A' });
      expect(renamed).to.deep.equal({ ...klass, name: 'Troisième A' });
      const group = await lille.groups.upsert({ structureId: school.id, kind: 'group', code: '3A', name: 'Latin', externalId: 'G-1' });
      expect(group.id).to.not.equal(klass.id);
      expect(group).to.include({ tenantId: lille.tenantId, structureId: school.id, externalId: 'G-1' });
      expect(await lille.groups.listByStructure(school.id)).to.deep.equal([renamed, group]);
      await rejection(lille.groups.upsert({ structureId: newId(), kind: 'class', code: '3B', name: '3e B' }), NotFound);
    });

    it('attaches accounts to structures and groups, idempotently', async () => {
      const lille = await newTenant();
      const pupil = await lille.accounts.create(person());
      const [college, lycee] = [
        await lille.structures.upsert({ uai: '0590001A', name: 'Collège' }),
        await lille.structures.upsert({ uai: '0590002B', name: 'Lycée' }),
      ];
      const klass = await lille.groups.upsert({ structureId: college.id, kind: 'class', code: '3A', name: '3e A' });
      const latin = await lille.groups.upsert({ structureId: lycee.id, kind: 'group', code: 'LAT', name: 'Latin' });
      for (let i = 0; i < 2; i += 1) {
        await lille.memberships.attachToStructure(pupil.id, lycee.id);
        await lille.memberships.attachToStructure(pupil.id, college.id);
        await lille.memberships.addToGroup(pupil.id, latin.id);
        await lille.memberships.addToGroup(pupil.id, klass.id);
      }
      expect(await lille.memberships.structuresOf(pupil.id)).to.deep.equal([college, lycee]);
      expect(await lille.memberships.groupsOf(pupil.id)).to.deep.equal([
        { ...klass, structure: college },
        { ...latin, structure: lycee },
      ]);
      await lille.memberships.removeFromGroup(pupil.id, klass.id);
      await lille.memberships.removeFromGroup(pupil.id, klass.id);
      expect(ids(await lille.memberships.groupsOf(pupil.id))).to.deep.equal([latin.id]);
    });

    it('refuses memberships to unknown rows', async () => {
      const lille = await newTenant();
      const pupil = await lille.accounts.create(person());
      const school = await lille.structures.upsert({ uai: '0590001A', name: 'Collège' });
      await rejection(lille.memberships.attachToStructure(newId(), school.id), NotFound);
      await rejection(lille.memberships.attachToStructure(pupil.id, newId()), NotFound);
      await rejection(lille.memberships.addToGroup(pupil.id, newId()), NotFound);
      expect(await lille.memberships.structuresOf(pupil.id)).to.deep.equal([]);
    });

    it('links parents and children', async () => {
      const lille = await newTenant();
      const [mother, father] = [await lille.accounts.create(person({ profile: 'Relative' })), await lille.accounts.create(person({ profile: 'Relative' }))];
      const [lea, tom] = [await lille.accounts.create(person()), await lille.accounts.create(person())];
      await lille.relations.link(mother.id, lea.id);
      await lille.relations.link(mother.id, lea.id);
      await lille.relations.link(mother.id, tom.id);
      await lille.relations.link(father.id, tom.id);
      expect(ids(await lille.relations.childrenOf(mother.id)).sort()).to.deep.equal([lea.id, tom.id].sort());
      expect(ids(await lille.relations.parentsOf(tom.id)).sort()).to.deep.equal([mother.id, father.id].sort());
      expect(await lille.relations.childrenOf(mother.id)).to.deep.include(lea);
      await lille.relations.unlink(mother.id, tom.id);
      expect(ids(await lille.relations.childrenOf(mother.id))).to.deep.equal([lea.id]);
      expect(ids(await lille.relations.parentsOf(tom.id))).to.deep.equal([father.id]);
      await rejection(lille.relations.link(mother.id, newId()), NotFound);
      await rejection(lille.relations.link(newId(), lea.id), NotFound);
    });
  });
}

function describeIdentities(newTenant: TenantFactory): void {
  describe('federated identities', () => {
    it('links, finds, lists and unlinks identities', async () => {
      const lille = await newTenant();
      const jean = await lille.accounts.create(person());
      const linked = await lille.identities.link(jean.id, 'educonnect', 'sub-1');
      expect(linked).to.include({ tenantId: lille.tenantId, accountId: jean.id, connectorId: 'educonnect', subject: 'sub-1' });
      expect(linked.createdAt).to.be.instanceOf(Date);
      const staff = await lille.identities.link(jean.id, 'ac-lille', 'sub-1');
      expect(await lille.identities.find('educonnect', 'sub-1')).to.deep.equal(linked);
      expect(await lille.identities.find('educonnect', 'sub-2')).to.equal(null);
      expect(ids(await lille.identities.listForAccount(jean.id)).sort()).to.deep.equal([linked.id, staff.id].sort());
      await lille.identities.unlink(linked.id);
      expect(await lille.identities.find('educonnect', 'sub-1')).to.equal(null);
      await rejection(lille.identities.unlink(linked.id), NotFound);
    });

    it('refuses a subject already linked in the tenant, but not in another tenant', async () => {
      const [lille, amiens] = [await newTenant(), await newTenant()];
      const [jean, lea] = [await lille.accounts.create(person()), await lille.accounts.create(person())];
      await lille.identities.link(jean.id, 'educonnect', 'sub-1');
      const conflict = await rejection(lille.identities.link(lea.id, 'educonnect', 'sub-1'), Conflict);
      expect(conflict.field).to.equal('subject');
      expect(await lille.identities.listForAccount(lea.id)).to.deep.equal([]);
      const tom = await amiens.accounts.create(person());
      expect((await amiens.identities.link(tom.id, 'educonnect', 'sub-1')).accountId).to.equal(tom.id);
      await rejection(lille.identities.link(newId(), 'educonnect', 'sub-9'), NotFound);
    });
  });
}

function describeMfa(newTenant: TenantFactory): void {
  describe('TOTP enrolments and recovery codes', () => {
    it('starts, confirms with recovery codes, uses each code once, and removes', async () => {
      const lille = await newTenant();
      const jean = await lille.accounts.create(person());
      expect(await lille.mfa.totpOf(jean.id)).to.equal(null);
      await rejection(lille.mfa.confirmTotp(jean.id, ['h1']), NotFound);
      await lille.mfa.startTotp(jean.id, 'enc-1');
      await lille.mfa.startTotp(jean.id, 'enc-2'); // a restarted enrolment replaces the pending one
      expect(await lille.mfa.totpOf(jean.id)).to.include({ secret: 'enc-2', confirmedAt: null });
      await lille.mfa.confirmTotp(jean.id, ['h1', 'h2']);
      expect((await lille.mfa.totpOf(jean.id))?.confirmedAt).to.be.instanceOf(Date);
      await rejection(lille.mfa.startTotp(jean.id, 'enc-3'), Conflict);
      await rejection(lille.mfa.confirmTotp(jean.id, ['h9']), NotFound);
      expect(await lille.mfa.remainingRecoveryCodes(jean.id)).to.equal(2);
      const twice = await Promise.all([lille.mfa.useRecoveryCode(jean.id, 'h1'), lille.mfa.useRecoveryCode(jean.id, 'h1')]);
      expect(twice.filter(Boolean)).to.have.length(1);
      expect(await lille.mfa.useRecoveryCode(jean.id, 'unknown')).to.equal(false);
      expect(await lille.mfa.remainingRecoveryCodes(jean.id)).to.equal(1);
      await lille.mfa.removeTotp(jean.id);
      expect(await lille.mfa.totpOf(jean.id)).to.equal(null);
      expect(await lille.mfa.remainingRecoveryCodes(jean.id)).to.equal(0);
      expect(await lille.mfa.useRecoveryCode(jean.id, 'h2')).to.equal(false);
      await rejection(lille.mfa.startTotp(newId(), 'enc'), NotFound);
    });

    it('keeps the activation and password fields of an account', async () => {
      const lille = await newTenant();
      const expires = new Date('2027-01-31T00:00:00.000Z');
      const lea = await lille.accounts.create(person({ status: 'pending', activationCodeHash: 'a'.repeat(64), activationExpiresAt: expires }));
      expect(lea).to.include({ activationCodeHash: 'a'.repeat(64), termsVersion: null, termsAcceptedAt: null, passwordChangedAt: null });
      expect(lea.activationExpiresAt?.toISOString()).to.equal(expires.toISOString());
      const now = new Date();
      const active = await lille.accounts.update(lea.id, { status: 'active', activationCodeHash: null, activationExpiresAt: null, termsVersion: '2026-09', termsAcceptedAt: now, passwordChangedAt: now });
      expect(active).to.include({ status: 'active', activationCodeHash: null, activationExpiresAt: null, termsVersion: '2026-09' });
      expect(active.passwordChangedAt?.toISOString()).to.equal(now.toISOString());
    });

    it('consumes an activation code once, and only for a pending account of the tenant', async () => {
      const [lille, amiens] = [await newTenant(), await newTenant()];
      const hash = 'c'.repeat(64);
      const tom = await lille.accounts.create(person({ status: 'pending', activationCodeHash: hash }));
      const patch = { status: 'active' as const, activationCodeHash: null, passwordHash: 'h' };
      expect(await amiens.accounts.consumeActivationCode(tom.id, hash, patch)).to.equal(null);
      expect(await lille.accounts.consumeActivationCode(tom.id, 'd'.repeat(64), patch)).to.equal(null);
      const both = await Promise.all([lille.accounts.consumeActivationCode(tom.id, hash, patch), lille.accounts.consumeActivationCode(tom.id, hash, patch)]);
      expect(both.filter((a) => a !== null)).to.have.length(1);
      expect(await lille.accounts.get(tom.id)).to.include({ status: 'active', activationCodeHash: null, passwordHash: 'h' });
      expect(await lille.accounts.consumeActivationCode(tom.id, hash, patch)).to.equal(null);
    });

    it('finds staff by académie e-mail, whatever its case', async () => {
      const lille = await newTenant();
      const marie = await lille.accounts.create(person({ profile: 'Teacher', academicEmail: 'Marie.Curie@AC-LILLE.fr' }));
      expect(ids(await lille.accounts.findByAcademicEmail(' marie.curie@ac-lille.FR'))).to.deep.equal([marie.id]);
      expect(await lille.accounts.findByAcademicEmail('pierre.curie@ac-lille.fr')).to.deep.equal([]);
    });
  });
}

function describeClients(store: StoreRef, newTenant: TenantFactory): void {
  const client = (clientId: string, extra: { firstParty?: boolean; secretHash?: string | null } = {}) => ({
    clientId,
    name: `Client ${clientId}`,
    firstParty: extra.firstParty ?? false,
    secretHash: extra.secretHash === undefined ? 'ab'.repeat(32) : extra.secretHash,
    metadata: { redirect_uris: ['https://rp.example/cb'], grant_types: ['authorization_code'], nested: { a: 1 } },
  });

  describe('oidc clients', () => {
    it('creates and lists a tenant client, found platform-wide', async () => {
      const lille = await newTenant();
      const id = unique('manuel');
      const created = await lille.clients.create(client(id), 'cli');
      expect(created).to.deep.include({ ...client(id), tenantId: lille.tenantId, origin: 'cli', disabledAt: null });
      expect(created.createdAt).to.be.instanceOf(Date);
      expect(await lille.clients.list()).to.deep.equal([created]);
      expect(await store().clients.find(id)).to.deep.equal(created);
      expect(await store().clients.find(unique('nothing'))).to.equal(null);
      expect((await store().clients.list()).map((c) => c.clientId)).to.not.include(id);
    });

    it('upserts platform clients', async () => {
      const id = unique('neo');
      const created = await store().clients.upsert(client(id, { firstParty: true, secretHash: null }), 'cli');
      expect(created).to.include({ tenantId: null, firstParty: true, secretHash: null, origin: 'cli', disabledAt: null });
      // Declared in the configuration later: the configuration owns it from then on.
      const replaced = await store().clients.upsert({ ...client(id, { firstParty: false }), metadata: { redirect_uris: [] } }, 'config');
      expect(replaced).to.deep.include({ clientId: id, firstParty: false, secretHash: 'ab'.repeat(32), metadata: { redirect_uris: [] }, origin: 'config' });
      expect(await store().clients.find(id)).to.deep.equal(replaced);
      expect((await store().clients.list()).filter((c) => c.clientId === id)).to.deep.equal([replaced]);
    });

    it('updates a tenant client in its own tenant only', async () => {
      const [lille, amiens] = [await newTenant(), await newTenant()];
      const id = unique('editor');
      const original = await lille.clients.create(client(id), 'cli');
      const changed = { ...client(id, { firstParty: true, secretHash: null }), name: 'Renamed', metadata: { redirect_uris: ['https://rp.example/other'] } };
      const updated = await lille.clients.update(changed);
      expect(updated).to.deep.include({ ...changed, tenantId: lille.tenantId, createdAt: original.createdAt });
      expect(await store().clients.find(id)).to.deep.equal(updated);
      // Another tenant cannot change it, nor a platform client through a tenant.
      await rejection(amiens.clients.update(client(id)), NotFound);
      expect(await store().clients.find(id)).to.deep.equal(updated);
      const platformId = unique('one');
      const platform = await store().clients.upsert(client(platformId), 'cli');
      await rejection(lille.clients.update({ ...client(platformId), name: 'Taken over' }), NotFound);
      expect(await store().clients.find(platformId)).to.deep.equal(platform);
    });

    it('keeps client ids unique across tenants and the platform', async () => {
      const [lille, amiens] = [await newTenant(), await newTenant()];
      const id = unique('partner');
      const original = await lille.clients.create(client(id), 'cli');
      expect((await rejection(amiens.clients.create(client(id), 'cli'), Conflict)).field).to.equal('clientId');
      expect((await rejection(lille.clients.create(client(id), 'cli'), Conflict)).field).to.equal('clientId');
      // The platform mirror must not take over a tenant's client.
      expect((await rejection(store().clients.upsert(client(id, { firstParty: true }), 'config'), Conflict)).field).to.equal('clientId');
      expect(await store().clients.find(id)).to.deep.equal(original);

      const platformId = unique('one');
      await store().clients.upsert(client(platformId), 'cli');
      expect((await rejection(lille.clients.create(client(platformId), 'cli'), Conflict)).field).to.equal('clientId');
      expect(await amiens.clients.list()).to.deep.equal([]);
    });

    it('disables the platform clients of an origin no longer declared: not found, still listed, enabled again by upsert', async () => {
      const lille = await newTenant();
      const [kept, dropped, cli, tenantOwned] = [unique('one'), unique('neo'), unique('partner'), unique('lille-app')];
      await store().clients.upsert(client(kept), 'config');
      const before = await store().clients.upsert(client(dropped), 'config');
      await store().clients.upsert(client(cli), 'cli');
      await lille.clients.create(client(tenantOwned), 'config');
      // The suite shares one store: other tests' config clients may be disabled here too.
      const disabled = await store().clients.disableUndeclared('config', [kept]);
      const mine = disabled.filter((c) => [kept, dropped, cli, tenantOwned].includes(c.clientId));
      expect(mine.map((c) => c.clientId)).to.deep.equal([dropped]);
      expect(mine[0]).to.deep.include({ origin: 'config', createdAt: before.createdAt });
      expect(mine[0]!.disabledAt).to.be.instanceOf(Date);

      expect(await store().clients.find(dropped), 'oidc-provider no longer finds it').to.equal(null);
      expect(await store().clients.get(dropped)).to.deep.equal(mine[0]);
      expect((await store().clients.list()).find((c) => c.clientId === dropped)).to.deep.equal(mine[0]);
      for (const id of [kept, cli, tenantOwned]) expect((await store().clients.find(id))?.disabledAt, id).to.equal(null);
      expect(await store().clients.disableUndeclared('config', [kept]), 'already disabled: nothing more').to.deep.equal([]);
      // A tenant's client keeps its id even from a disabled platform client.
      expect((await rejection(lille.clients.create(client(dropped), 'cli'), Conflict)).field).to.equal('clientId');

      const again = await store().clients.upsert(client(dropped), 'config');
      expect(again).to.deep.include({ origin: 'config', disabledAt: null, createdAt: before.createdAt });
      expect(await store().clients.find(dropped)).to.deep.equal(again);
    });

    it('disables every client of an origin when none is declared, and only that origin', async () => {
      const [demo, cli] = [unique('demo'), unique('partner')];
      await store().clients.upsert(client(demo), 'development');
      await store().clients.upsert(client(cli), 'cli');
      const disabled = await store().clients.disableUndeclared('development', []);
      expect(disabled.map((c) => c.clientId)).to.include(demo).and.not.include(cli);
      expect(disabled.every((c) => c.origin === 'development' && c.tenantId === null)).to.equal(true);
      expect(await store().clients.find(demo)).to.equal(null);
      expect(await store().clients.find(cli)).to.not.equal(null);
    });

    it('keeps a tenant client\'s origin and state through an update', async () => {
      const lille = await newTenant();
      const id = unique('editor');
      const created = await lille.clients.create(client(id), 'cli');
      const updated = await lille.clients.update({ ...client(id), name: 'Renamed' });
      expect(updated).to.deep.include({ origin: 'cli', disabledAt: null, createdAt: created.createdAt, name: 'Renamed' });
    });
  });
}

function describeAudit(store: StoreRef, newTenant: TenantFactory): void {
  describe('audit', () => {
    it('records events and lists them newest first', async () => {
      const lille = await newTenant();
      const first = await lille.audit.record({ type: 'login.failure', ip: '10.0.0.1', userAgent: 'UA', details: { reason: 'bad password' } });
      const second = await lille.audit.record({ type: 'login.success', accountId: newId(), clientId: 'neo' });
      const third = await lille.audit.record({ type: 'logout' });
      expect(first).to.include({ tenantId: lille.tenantId, type: 'login.failure', ip: '10.0.0.1', accountId: null });
      expect(third.details).to.deep.equal({});
      expect(await lille.audit.list()).to.deep.equal([third, second, first]);
      expect(await lille.audit.list({ limit: 1, offset: 1 })).to.deep.equal([second]);
    });

    it('keeps the recording order of events of the same millisecond', async () => {
      const lille = await newTenant();
      const recorded = [];
      for (let i = 0; i < 30; i += 1) recorded.push(await lille.audit.record({ type: `burst.${i}` }));
      expect(ids(await lille.audit.list())).to.deep.equal(ids(recorded).reverse());
    });

    it('keeps platform events apart from tenant events', async () => {
      const lille = await newTenant();
      const platformEvent = await store().audit.record({ type: 'keys.rotated', details: { kid: 'k1' } });
      const tenantEvent = await lille.audit.record({ type: 'import.done' });
      expect(platformEvent.tenantId).to.equal(null);
      const platform = await store().audit.list();
      expect(ids(platform)).to.include(platformEvent.id).and.not.include(tenantEvent.id);
      expect(platform.find((e) => e.id === platformEvent.id)).to.deep.equal(platformEvent);
      expect(ids(await lille.audit.list())).to.deep.equal([tenantEvent.id]);
    });
  });
}

/** Tenant B's rows, which every check below tries to reach from tenant A. */
async function populate(scope: TenantScope) {
  const parent = await scope.accounts.create(person({ profile: 'Relative', externalId: unique('EXT'), academicEmail: `${unique('p')}@ac-b.fr` }));
  const child = await scope.accounts.create(person());
  const school = await scope.structures.upsert({ uai: '0590001A', name: 'Collège de B' });
  const klass = await scope.groups.upsert({ structureId: school.id, kind: 'class', code: '3A', name: '3e A de B' });
  await scope.memberships.attachToStructure(child.id, school.id);
  await scope.memberships.addToGroup(child.id, klass.id);
  await scope.relations.link(parent.id, child.id);
  const identity = await scope.identities.link(child.id, 'educonnect', unique('sub'));
  const client = await scope.clients.create({ clientId: unique('b-client'), name: 'B', firstParty: false, secretHash: null, metadata: {} }, 'cli');
  const event = await scope.audit.record({ type: 'login.success', accountId: child.id });
  return { parent, child, school, klass, identity, client, event };
}

function describeIsolation(store: StoreRef, newTenant: TenantFactory): void {
  describe('tenant isolation', () => {
    let a: TenantScope;
    let b: TenantScope;
    let theirs: Awaited<ReturnType<typeof populate>>;
    let mine: Account;

    beforeEach(async () => {
      [a, b] = [await newTenant(), await newTenant()];
      theirs = await populate(b);
      mine = await a.accounts.create(person());
    });

    /** B's data, read through B's own scope, is exactly what populate() wrote. */
    async function expectTheirsIntact(): Promise<void> {
      expect(await b.accounts.get(theirs.parent.id)).to.deep.equal(theirs.parent);
      expect(await b.accounts.get(theirs.child.id)).to.deep.equal(theirs.child);
      expect(await b.structures.list()).to.deep.equal([theirs.school]);
      expect(await b.groups.listByStructure(theirs.school.id)).to.deep.equal([theirs.klass]);
      expect(await b.memberships.structuresOf(theirs.child.id)).to.deep.equal([theirs.school]);
      expect(ids(await b.memberships.groupsOf(theirs.child.id))).to.deep.equal([theirs.klass.id]);
      expect(ids(await b.relations.childrenOf(theirs.parent.id))).to.deep.equal([theirs.child.id]);
      expect(await b.identities.listForAccount(theirs.child.id)).to.deep.equal([theirs.identity]);
      expect(await b.clients.list()).to.deep.equal([theirs.client]);
      expect(await b.audit.list()).to.deep.equal([theirs.event]);
    }

    it('accounts: cannot read, find, list or count another tenant’s accounts', async () => {
      await rejection(a.accounts.get(theirs.child.id), NotFound);
      expect(await a.accounts.findByExternalId(theirs.parent.externalId!)).to.equal(null);
      expect(await a.accounts.findByAcademicEmail(theirs.parent.academicEmail!)).to.deep.equal([]);
      expect(ids(await a.accounts.list())).to.deep.equal([mine.id]);
      expect(await a.accounts.count()).to.equal(1);
    });

    it('mfa: cannot read, enrol, confirm, use or remove another tenant’s second factor', async () => {
      await b.mfa.startTotp(theirs.child.id, 'their-secret');
      await b.mfa.confirmTotp(theirs.child.id, ['their-code']);
      expect(await a.mfa.totpOf(theirs.child.id)).to.equal(null);
      await rejection(a.mfa.startTotp(theirs.child.id, 'planted'), NotFound);
      await rejection(a.mfa.confirmTotp(theirs.child.id, ['planted']), NotFound);
      expect(await a.mfa.useRecoveryCode(theirs.child.id, 'their-code')).to.equal(false);
      expect(await a.mfa.remainingRecoveryCodes(theirs.child.id)).to.equal(0);
      await a.mfa.removeTotp(theirs.child.id);
      expect(await b.mfa.totpOf(theirs.child.id)).to.include({ secret: 'their-secret' });
      expect(await b.mfa.remainingRecoveryCodes(theirs.child.id)).to.equal(1);
    });

    it('accounts: cannot update or delete another tenant’s accounts', async () => {
      await rejection(a.accounts.update(theirs.child.id, { firstName: 'Hacked', status: 'disabled' }), NotFound);
      await rejection(a.accounts.delete(theirs.child.id), NotFound);
      await expectTheirsIntact();
    });

    it('accounts: an external id of another tenant does not conflict, a login does', async () => {
      await a.accounts.create(person({ externalId: theirs.parent.externalId! }));
      await rejection(a.accounts.create(person({ login: theirs.child.login })), Conflict);
      await rejection(a.accounts.update(mine.id, { login: theirs.child.login }), Conflict);
      await expectTheirsIntact();
    });

    it('structures and groups: cannot see or change another tenant’s', async () => {
      expect(await a.structures.findByUai(theirs.school.uai)).to.equal(null);
      expect(await a.structures.list()).to.deep.equal([]);
      expect(await a.groups.listByStructure(theirs.school.id)).to.deep.equal([]);
      await rejection(a.groups.upsert({ structureId: theirs.school.id, kind: 'class', code: '3A', name: 'Hacked' }), NotFound);
      await rejection(a.groups.upsert({ structureId: theirs.school.id, kind: 'class', code: '3Z', name: 'Planted' }), NotFound);
      // The same UAI in A is A's own structure, not B's.
      const own = await a.structures.upsert({ uai: theirs.school.uai, name: 'Collège de A' });
      expect(own.id).to.not.equal(theirs.school.id);
      expect(own.tenantId).to.equal(a.tenantId);
      await expectTheirsIntact();
    });

    it('memberships: cannot attach across tenants, read or remove another tenant’s', async () => {
      const ownSchool = await a.structures.upsert({ uai: '0590009Z', name: 'Collège de A' });
      const ownClass = await a.groups.upsert({ structureId: ownSchool.id, kind: 'class', code: '3A', name: '3e A' });
      await rejection(a.memberships.attachToStructure(mine.id, theirs.school.id), NotFound);
      await rejection(a.memberships.attachToStructure(theirs.child.id, ownSchool.id), NotFound);
      await rejection(a.memberships.attachToStructure(theirs.child.id, theirs.school.id), NotFound);
      await rejection(a.memberships.addToGroup(mine.id, theirs.klass.id), NotFound);
      await rejection(a.memberships.addToGroup(theirs.child.id, ownClass.id), NotFound);
      await rejection(a.memberships.addToGroup(theirs.child.id, theirs.klass.id), NotFound);
      await a.memberships.removeFromGroup(theirs.child.id, theirs.klass.id);
      expect(await a.memberships.structuresOf(theirs.child.id)).to.deep.equal([]);
      expect(await a.memberships.groupsOf(theirs.child.id)).to.deep.equal([]);
      expect(await a.memberships.structuresOf(mine.id)).to.deep.equal([]);
      expect(await a.memberships.groupsOf(mine.id)).to.deep.equal([]);
      await expectTheirsIntact();
    });

    it('relations: cannot link across tenants, read or unlink another tenant’s', async () => {
      await rejection(a.relations.link(mine.id, theirs.child.id), NotFound);
      await rejection(a.relations.link(theirs.parent.id, mine.id), NotFound);
      await rejection(a.relations.link(theirs.parent.id, theirs.child.id), NotFound);
      await a.relations.unlink(theirs.parent.id, theirs.child.id);
      expect(await a.relations.childrenOf(theirs.parent.id)).to.deep.equal([]);
      expect(await a.relations.parentsOf(theirs.child.id)).to.deep.equal([]);
      expect(await a.relations.childrenOf(mine.id)).to.deep.equal([]);
      await expectTheirsIntact();
    });

    it('identities: cannot link to, find, list or unlink another tenant’s', async () => {
      await rejection(a.identities.link(theirs.child.id, 'educonnect', unique('sub')), NotFound);
      expect(await a.identities.find('educonnect', theirs.identity.subject)).to.equal(null);
      expect(await a.identities.listForAccount(theirs.child.id)).to.deep.equal([]);
      await rejection(a.identities.unlink(theirs.identity.id), NotFound);
      // The same subject is free in A: identities are per tenant.
      await a.identities.link(mine.id, 'educonnect', theirs.identity.subject);
      await expectTheirsIntact();
    });

    it('clients and audit: lists show only the tenant’s own', async () => {
      expect(await a.clients.list()).to.deep.equal([]);
      expect(await a.audit.list()).to.deep.equal([]);
      await a.audit.record({ type: 'login.failure', accountId: theirs.child.id });
      expect(await a.audit.list()).to.have.length(1);
      expect(ids(await store().audit.list())).to.not.include(theirs.event.id);
      await expectTheirsIntact();
    });
  });
}

function describeConnectors(store: StoreRef, newTenant: TenantFactory): void {
  const connector = (id: string, extra: Partial<NewStoredConnector> = {}): NewStoredConnector => ({
    id,
    type: 'oidc',
    profile: 'academie',
    displayName: `Personnel ${id}`,
    enabled: true,
    config: { id, type: 'oidc', displayName: `Personnel ${id}`, enabled: true, oidc: { issuer: 'https://fim.example', clientId: 'hub', clientSecret: { env: 'FIM_SECRET' }, scopes: ['openid', 'email'] } },
    ...extra,
  });

  describe('connectors', () => {
    it('creates, gets, lists and removes a tenant connector, keeping its config document intact', async () => {
      const lille = await newTenant();
      const [first, second] = [unique('agents'), unique('agents')].sort() as [string, string];
      const created = await lille.connectors.create(connector(second));
      expect(created).to.deep.include({ ...connector(second), tenantId: lille.tenantId });
      expect(created.createdAt).to.be.instanceOf(Date);
      expect(created.updatedAt).to.be.instanceOf(Date);
      const disabled = await lille.connectors.create(connector(first, { enabled: false, type: 'saml' }));
      expect(disabled).to.include({ enabled: false, type: 'saml' });
      expect(await lille.connectors.get(second)).to.deep.equal(created);
      expect(await lille.connectors.get(unique('nothing'))).to.equal(null);
      expect(await lille.connectors.list()).to.deep.equal([disabled, created]);
      await lille.connectors.remove(second);
      expect(await lille.connectors.get(second)).to.equal(null);
      await rejection(lille.connectors.remove(second), NotFound);
      expect(await lille.connectors.list()).to.deep.equal([disabled]);
    });

    it('keeps platform connectors apart from tenant connectors', async () => {
      const lille = await newTenant();
      const [platformId, tenantId] = [unique('educonnect'), unique('agents')];
      const platform = await store().connectors.create(connector(platformId, { profile: 'educonnect', type: 'saml' }));
      expect(platform.tenantId).to.equal(null);
      await lille.connectors.create(connector(tenantId));
      expect(await store().connectors.get(platformId)).to.deep.equal(platform);
      expect(ids(await store().connectors.list())).to.include(platformId).and.not.include(tenantId);
      expect(await store().connectors.get(tenantId)).to.equal(null);
      expect(await lille.connectors.get(platformId)).to.equal(null);
      expect(ids(await lille.connectors.list())).to.deep.equal([tenantId]);
      await rejection(store().connectors.remove(tenantId), NotFound);
      await rejection(lille.connectors.remove(platformId), NotFound);
      await store().connectors.remove(platformId);
      expect(await store().connectors.get(platformId)).to.equal(null);
    });

    it('keeps connector ids unique across tenants and the platform', async () => {
      const [lille, amiens] = [await newTenant(), await newTenant()];
      const id = unique('agents');
      const original = await lille.connectors.create(connector(id));
      expect((await rejection(amiens.connectors.create(connector(id)), Conflict)).field).to.equal('connectorId');
      expect((await rejection(lille.connectors.create(connector(id)), Conflict)).field).to.equal('connectorId');
      expect((await rejection(store().connectors.create(connector(id)), Conflict)).field).to.equal('connectorId');
      expect(await lille.connectors.get(id)).to.deep.equal(original);
      expect(await amiens.connectors.list()).to.deep.equal([]);
      await rejection(store().forTenant(unique('atlantis')).connectors.create(connector(unique('agents'))), NotFound);
    });

    it('tenant isolation: cannot get, list or remove another tenant’s connectors', async () => {
      const [a, b] = [await newTenant(), await newTenant()];
      const theirs = await b.connectors.create(connector(unique('agents')));
      expect(await a.connectors.get(theirs.id)).to.equal(null);
      expect(await a.connectors.list()).to.deep.equal([]);
      await rejection(a.connectors.remove(theirs.id), NotFound);
      // Taking the id over is refused too, and B's row is unchanged.
      await rejection(a.connectors.create(connector(theirs.id, { displayName: 'Hijacked' })), Conflict);
      expect(await b.connectors.list()).to.deep.equal([theirs]);
    });
  });
}
