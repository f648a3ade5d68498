/**
 * Conformance of the stores of accounts and what hangs on them (tenants, federated identities,
 * second factors), tenant isolation included: every backend of these ports runs it.
 */
import { expect } from 'chai';
import { Conflict, NotFound } from '../../src/shared/errors.js';
import { newId } from '../../src/shared/ids.js';
import type { Account } from '../../src/storage/ports/index.js';
import { describeTenantIsolation, ids, person, rejection, unique, type StoreSuite, type StoreRef, type TenantFactory } from './kit.js';

export const accountStoreConformance: StoreSuite = ({ store, newTenant }) => {
  describeTenants(store, newTenant);
  describeAccounts(store, newTenant);
  describeIdentities(newTenant);
  describeMfa(newTenant);
  describeAccountIsolation(newTenant);
};

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

function describeAccountIsolation(newTenant: TenantFactory): void {
  describeTenantIsolation(newTenant, (t) => {
    it('accounts: cannot read, find, list or count another tenant’s accounts', async () => {
      await rejection(t.a.accounts.get(t.theirs.child.id), NotFound);
      expect(await t.a.accounts.findByExternalId(t.theirs.parent.externalId!)).to.equal(null);
      expect(await t.a.accounts.findByAcademicEmail(t.theirs.parent.academicEmail!)).to.deep.equal([]);
      expect(ids(await t.a.accounts.list())).to.deep.equal([t.mine.id]);
      expect(await t.a.accounts.count()).to.equal(1);
    });

    it('mfa: cannot read, enrol, confirm, use or remove another tenant’s second factor', async () => {
      await t.b.mfa.startTotp(t.theirs.child.id, 'their-secret');
      await t.b.mfa.confirmTotp(t.theirs.child.id, ['their-code']);
      expect(await t.a.mfa.totpOf(t.theirs.child.id)).to.equal(null);
      await rejection(t.a.mfa.startTotp(t.theirs.child.id, 'planted'), NotFound);
      await rejection(t.a.mfa.confirmTotp(t.theirs.child.id, ['planted']), NotFound);
      expect(await t.a.mfa.useRecoveryCode(t.theirs.child.id, 'their-code')).to.equal(false);
      expect(await t.a.mfa.remainingRecoveryCodes(t.theirs.child.id)).to.equal(0);
      await t.a.mfa.removeTotp(t.theirs.child.id);
      expect(await t.b.mfa.totpOf(t.theirs.child.id)).to.include({ secret: 'their-secret' });
      expect(await t.b.mfa.remainingRecoveryCodes(t.theirs.child.id)).to.equal(1);
    });

    it('accounts: cannot update or delete another tenant’s accounts', async () => {
      await rejection(t.a.accounts.update(t.theirs.child.id, { firstName: 'Hacked', status: 'disabled' }), NotFound);
      await rejection(t.a.accounts.delete(t.theirs.child.id), NotFound);
      await t.expectTheirsIntact();
    });

    it('accounts: an external id of another tenant does not conflict, a login does', async () => {
      await t.a.accounts.create(person({ externalId: t.theirs.parent.externalId! }));
      await rejection(t.a.accounts.create(person({ login: t.theirs.child.login })), Conflict);
      await rejection(t.a.accounts.update(t.mine.id, { login: t.theirs.child.login }), Conflict);
      await t.expectTheirsIntact();
    });

    it('identities: cannot link to, find, list or unlink another tenant’s', async () => {
      await rejection(t.a.identities.link(t.theirs.child.id, 'educonnect', unique('sub')), NotFound);
      expect(await t.a.identities.find('educonnect', t.theirs.identity.subject)).to.equal(null);
      expect(await t.a.identities.listForAccount(t.theirs.child.id)).to.deep.equal([]);
      await rejection(t.a.identities.unlink(t.theirs.identity.id), NotFound);
      // The same subject is free in A: identities are per tenant.
      await t.a.identities.link(t.mine.id, 'educonnect', t.theirs.identity.subject);
      await t.expectTheirsIntact();
    });
  });
}
