/**
 * What the per-store conformance suites share: a store opened once per backend, tenants of
 * random ids (tests stay independent without a new database each, and every isolation check
 * runs next to other tenants' real rows), and tenant B's rows that isolation checks try to reach.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { Account, NewAccount, PlatformStore, TenantScope } from '../../src/storage/ports/index.js';

export interface OpenedStore {
  store: PlatformStore;
  cleanup(): Promise<void>;
}

/** The store under test, as a suite sees it once it is open. */
export interface StoreSubject {
  store(): PlatformStore;
  /** A new tenant with a random id, and its scope. */
  newTenant(): Promise<TenantScope>;
}

/** One port's suite, run inside a backend's describe. */
export type StoreSuite = (subject: StoreSubject) => void;

/**
 * Runs `suites` against one backend: `open` returns a fresh, empty store, opened once for all.
 *
 *   runStoreConformance('sqlite', async () => ({ store, cleanup }), [accountStoreConformance, …]);
 */
export function runStoreConformance(name: string, open: () => Promise<OpenedStore>, suites: readonly StoreSuite[]): void {
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

    const subject: StoreSubject = {
      store: () => store,
      async newTenant() {
        const id = unique('tenant');
        await store.tenants.upsert({ id, name: `Académie ${id}`, academyCode: id.slice(-2) });
        return store.forTenant(id);
      },
    };
    for (const suite of suites) suite(subject);
  });
}

/** Random, not a slice of newId(): time-ordered ids share their first characters. */
export const unique = (prefix: string): string => `${prefix}-${randomBytes(4).toString('hex')}`;

export function person(overrides: Partial<NewAccount> = {}): NewAccount {
  return { login: unique('jean.dupont'), profile: 'Student', firstName: 'Jean', lastName: 'Dupont', ...overrides };
}

/** Awaits `promise`, expects it to reject with `type`, and returns the error for more checks. */
export async function rejection<E extends Error>(promise: Promise<unknown>, type: abstract new (...args: never[]) => E): Promise<E> {
  let outcome: unknown;
  try {
    await promise;
  } catch (error) {
    outcome = error;
  }
  expect(outcome, `expected a ${type.name}`).to.be.instanceOf(type);
  return outcome as E;
}

export const ids = (rows: { id: string }[]): string[] => rows.map((row) => row.id);

/** Tenant B's rows, which every isolation check tries to reach from tenant A. */
export async function populate(scope: TenantScope) {
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

export type Theirs = Awaited<ReturnType<typeof populate>>;

/** Two tenants: B populated, A with one account of its own. */
export interface TwoTenants {
  a: TenantScope;
  b: TenantScope;
  theirs: Theirs;
  mine: Account;
}

export async function twoTenants(newTenant: TenantFactory): Promise<TwoTenants> {
  const [a, b] = [await newTenant(), await newTenant()];
  const theirs = await populate(b);
  const mine = await a.accounts.create(person());
  return { a, b, theirs, mine };
}

/** B's data, read through B's own scope, is exactly what populate() wrote. */
export async function expectIntact(b: TenantScope, theirs: Theirs): Promise<void> {
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

/** What each test of a `tenant isolation` block reads: fresh tenants, and B's check. */
export interface TenantIsolation extends TwoTenants {
  /** B's data is exactly what populate() wrote (expectIntact through B's scope). */
  expectTheirsIntact(): Promise<void>;
}

/**
 * The `tenant isolation` block of a port's suite: before each test, two new tenants (B
 * populated, A with `mine`), read through `t` inside the tests.
 *
 *   describeTenantIsolation(newTenant, (t) => {
 *     it('…', async () => { expect(await t.a.clients.list()).to.deep.equal([]); await t.expectTheirsIntact(); });
 *   });
 */
export function describeTenantIsolation(newTenant: TenantFactory, tests: (t: TenantIsolation) => void): void {
  describe('tenant isolation', () => {
    let tenants: TwoTenants | undefined;
    const current = (): TwoTenants => {
      if (!tenants) throw new Error('tenant isolation: read `t` inside a test, not while declaring the tests');
      return tenants;
    };
    const t: TenantIsolation = {
      get a() { return current().a; },
      get b() { return current().b; },
      get theirs() { return current().theirs; },
      get mine() { return current().mine; },
      expectTheirsIntact: () => expectIntact(current().b, current().theirs),
    };

    beforeEach(async () => {
      tenants = await twoTenants(newTenant);
    });
    tests(t);
  });
}

export type StoreRef = () => PlatformStore;
export type TenantFactory = () => Promise<TenantScope>;
