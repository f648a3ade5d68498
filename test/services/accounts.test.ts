/**
 * The account operations (src/auth) with each kind of actor, against a real SQLite store: what
 * they write, what they return, and where their audit records land, with whom as the actor.
 */
import { expect } from 'chai';
import { checkNewLogin, createLocalAccount, resetActivation, unlockLogin, type AccountPorts } from '../../src/auth/account-service.js';
import { resetPendingActivations, selectForReset } from '../../src/auth/bulk-activation-reset.js';
import { authConfigSchema } from '../../src/auth/config.js';
import { AuthPolicies } from '../../src/auth/policy.js';
import type { Actor } from '../../src/identity/actor.js';
import { CLI_OPERATOR } from '../../src/identity/actor.js';
import { hashActivationCode } from '../../src/identity/activation-code.js';
import { HubError, NotFound } from '../../src/shared/errors.js';
import { openSqlStore, type SqlStore } from '../../src/storage/sql/index.js';

const ADMIN: Actor = { kind: 'admin', accountId: 'admin-1', clientId: 'hub-admin', role: 'tenant-admin', tenantId: 'lille' };
const NIGHTLY: Actor = { kind: 'system', job: 'nightly' };

describe('services: accounts', () => {
  let store: SqlStore;
  let ports: AccountPorts;

  beforeEach(async () => {
    store = await openSqlStore('sqlite::memory:');
    for (const [id, code] of [['lille', '09'], ['amiens', '20']] as const) await store.tenants.upsert({ id, name: id, academyCode: code });
    ports = { store, policies: new AuthPolicies(authConfigSchema.parse({}), new Map()) };
  });
  afterEach(() => store.close());

  const person = { tenantId: 'lille', login: 'jean.dupont', firstName: 'Jean', lastName: 'Dupont', profile: 'Teacher' as const, email: null };
  const auditOf = async (tenant: string | null) => (tenant === null ? store.audit : store.forTenant(tenant).audit).list();

  it('creates a pending account with a code; an operator is recorded as today (by: cli)', async () => {
    const { account, activation } = await createLocalAccount(ports, CLI_OPERATOR, { ...person, password: null });
    expect(account).to.include({ tenantId: 'lille', status: 'pending', source: 'local', displayName: 'Jean Dupont' });
    expect(account.activationCodeHash).to.equal(hashActivationCode(activation!.code));
    const [event] = await auditOf('lille');
    expect(event).to.include({ type: 'account.created', accountId: account.id });
    expect(event!.details).to.deep.equal({ by: 'cli' });
  });

  it('records an admin actor with the admin, in the account\'s tenant only', async () => {
    const { account, activation } = await createLocalAccount(ports, ADMIN, { ...person, password: 'a long enough passphrase' });
    expect(account.status).to.equal('active');
    expect(activation).to.equal(null);
    const [event] = await auditOf('lille');
    expect(event!.details).to.deep.equal({ by: 'admin', admin: 'admin-1', client: 'hub-admin', role: 'tenant-admin', adminTenant: 'lille' });
    expect(await auditOf(null)).to.deep.equal([]);
    expect(await auditOf('amiens')).to.deep.equal([]);
  });

  it('refuses a bad login, an unknown tenant and a weak password, writing nothing', async () => {
    expect(() => checkNewLogin('Jean Dupont')).to.throw(HubError, /invalid --login/);
    const refusals = [
      { ...person, login: 'Jean Dupont', password: null },
      { ...person, tenantId: 'atlantis', password: null },
      { ...person, password: 'short' },
    ];
    for (const input of refusals) {
      const err = await createLocalAccount(ports, CLI_OPERATOR, input).then(() => null, (e: unknown) => e);
      expect(err).to.be.instanceOf(HubError).with.property('code', 'invalid_argument');
    }
    expect(await store.accounts.findByLogin('jean.dupont')).to.equal(null);
    expect(await auditOf('lille')).to.deep.equal([]);
  });

  it('resets one account\'s activation: new code, password voided; a disabled account is refused', async () => {
    const created = await createLocalAccount(ports, CLI_OPERATOR, { ...person, password: 'a long enough passphrase' });
    const { account, activation } = await resetActivation(ports, ADMIN, 'Jean.Dupont');
    expect(account).to.include({ status: 'pending', passwordHash: null, activationCodeHash: hashActivationCode(activation.code) });
    const [event] = await auditOf('lille');
    expect(event).to.include({ type: 'activation.reset', accountId: account.id });
    expect(event!.details).to.include({ by: 'admin', admin: 'admin-1' });
    await store.forTenant('lille').accounts.update(created.account.id, { status: 'disabled' });
    await resetActivation(ports, ADMIN, 'jean.dupont').then(() => expect.fail('refused'), (e: HubError) => expect(e.message).to.match(/is disabled/));
    await resetActivation(ports, ADMIN, 'nobody').then(() => expect.fail('refused'), (e: unknown) => expect(e).to.be.instanceOf(NotFound));
  });

  it('unlocks a login: audited in the account\'s tenant, or the platform\'s when no account has it', async () => {
    const { account } = await createLocalAccount(ports, CLI_OPERATOR, { ...person, password: null });
    const unlocked: string[] = [];
    const throttle = { unlock: async (login: string) => (unlocked.push(login), login === 'JEAN.DUPONT') };
    expect(await unlockLogin({ store, throttle }, NIGHTLY, 'JEAN.DUPONT')).to.deep.equal({ wasLimited: true });
    expect(await unlockLogin({ store, throttle }, NIGHTLY, 'ghost')).to.deep.equal({ wasLimited: false });
    expect(unlocked).to.deep.equal(['JEAN.DUPONT', 'ghost']);
    const [inTenant] = await auditOf('lille');
    expect(inTenant).to.include({ type: 'account.unlocked', accountId: account.id });
    expect(inTenant!.details).to.deep.equal({ by: 'system', job: 'nightly', login: 'JEAN.DUPONT', wasLimited: true });
    const [onPlatform] = await auditOf(null);
    expect(onPlatform).to.include({ type: 'account.unlocked', accountId: null });
    expect(onPlatform!.details).to.deep.equal({ by: 'system', job: 'nightly', login: 'ghost', wasLimited: false });
  });

  describe('in bulk', () => {
    beforeEach(async () => {
      const lille = store.forTenant('lille');
      const school = await lille.structures.upsert({ uai: '0590001A', name: 'Collège' });
      for (const [login, status] of [['eleve.a', 'pending'], ['eleve.b', 'pending'], ['eleve.c', 'active']] as const) {
        const account = await lille.accounts.create({ login, firstName: 'É', lastName: login, profile: 'Student', status, activationCodeHash: 'old' });
        await lille.memberships.attachToStructure(account.id, school.id);
      }
    });

    it('refuses a selection naming nothing that exists', async () => {
      for (const query of [{ structure: '0000000X' }, { structure: '0590001A', class: '9Z' }, { run: 'no-such-run' }, { tenant: 'atlantis', structure: '0590001A' }]) {
        const err = await selectForReset(store, query).then(() => null, (e: unknown) => e);
        expect(err, JSON.stringify(query)).to.be.instanceOf(HubError).with.property('code', 'invalid_argument');
      }
    });

    it('issues codes to the pending accounts only, to the sink, audited per account and once for the operation', async () => {
      const selection = await selectForReset(store, { structure: '0590001a ' });
      expect(selection).to.deep.include({ tenantId: 'lille', describe: { structure: '0590001A' } });
      const rows: Array<{ login: string; code: string }> = [];
      const outcome = await resetPendingActivations(ports, ADMIN, selection, { write: (r) => rows.push(...r) });
      expect(outcome).to.deep.equal({ issued: 2, skipped: { active: 1 } });
      expect(rows.map((r) => r.login)).to.deep.equal(['eleve.a', 'eleve.b']);
      const stored = await store.accounts.findByLogin('eleve.a');
      expect(stored!.activationCodeHash).to.equal(hashActivationCode(rows[0]!.code));
      const events = await auditOf('lille');
      expect(events.filter((e) => e.type === 'activation.reset').map((e) => e.details)).to.deep.equal([
        { by: 'admin', admin: 'admin-1', client: 'hub-admin', role: 'tenant-admin', adminTenant: 'lille', bulk: true, structure: '0590001A' },
        { by: 'admin', admin: 'admin-1', client: 'hub-admin', role: 'tenant-admin', adminTenant: 'lille', bulk: true, structure: '0590001A' },
      ]);
      expect(events.find((e) => e.type === 'activation.reset_bulk')!.details)
        .to.deep.equal({ by: 'admin', admin: 'admin-1', client: 'hub-admin', role: 'tenant-admin', adminTenant: 'lille', structure: '0590001A', issued: 2, skipped: { active: 1 } });
    });

    it('records the operation with what was issued when the sink fails halfway', async () => {
      const selection = await selectForReset(store, { structure: '0590001A' });
      let writes = 0;
      const failing = { write: () => { if (++writes === 2) throw new Error('disk full'); } };
      await resetPendingActivations(ports, CLI_OPERATOR, selection, failing).then(() => expect.fail('failed'), (e: Error) => expect(e.message).to.equal('disk full'));
      const summary = (await auditOf('lille')).find((e) => e.type === 'activation.reset_bulk');
      expect(summary!.details).to.deep.equal({ by: 'cli', structure: '0590001A', issued: 1, skipped: {} });
    });
  });
});
