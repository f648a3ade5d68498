/**
 * `linkOnly: false`: a federated login that matches no account creates one, once, from what the
 * upstream vouches for; the next login finds it by its link. With the real peers: pysaml2 as
 * ÉduConnect (pupils and parents, routed to the tenant of their académie code) and
 * node-oidc-provider as an académie staff IdP (Teacher or Personnel by FrEduRne function).
 * The link-only default is checked in educonnect.test.ts and academie-oidc.test.ts.
 */
import { expect } from 'chai';
import { rmSync } from 'node:fs';
import type * as oidc from 'openid-client';
import { fetchUserInfo } from 'openid-client';
import { tenantConnectorSchema } from '../../src/federation/config.js';
import type { UpstreamIdentity } from '../../src/federation/core/identity.js';
import { accountPlan } from '../../src/federation/linking/provision.js';
import type { Account, PlatformStore } from '../../src/storage/ports/index.js';
import { REDIRECT, testClients, testResources } from '../../testing/harness/fixtures.js';
import { startTestHub, type TestHub } from '../../testing/harness/hub.js';
import { prepareOidcUpstream, type OidcUpstream } from '../../testing/harness/oidc-upstream.js';
import type { Pysaml2Idp } from '../../testing/harness/pysaml2.js';
import { discover, exchange } from '../../testing/harness/rp.js';
import { lastAudit, OID, openLoginPage, postToAcs, staffStart, tenantsWith, toIdpForm, type Started , startEduconnectHub, type EduconnectSetup } from './helpers.js';

const EDUCONNECT = /\/federation\/start\/educonnect\?/;

/** Every account of the platform's tenants (the test hubs use lille and amiens). */
async function allAccounts(store: PlatformStore): Promise<Account[]> {
  return [...(await store.forTenant('lille').accounts.list()), ...(await store.forTenant('amiens').accounts.list())];
}

/** Types of a tenant's latest audit events, oldest first. */
async function auditTypes(store: PlatformStore, tenantId: string): Promise<string[]> {
  return (await store.forTenant(tenantId).audit.list({ limit: 50 })).map((e) => e.type).reverse();
}

async function tokensOf(portal: oidc.Configuration, s: Started, location: string | null) {
  expect(location, 'the RP callback').to.match(new RegExp(`^${REDIRECT}`));
  return exchange(portal, { callback: new URL(location!), verifier: s.auth.verifier, state: s.auth.state, nonce: s.auth.nonce });
}

describe('linkOnly: false — accounts created from what the upstream vouches for', function () {
  this.timeout(90_000);

  describe('the plan (pure)', () => {
    const rules = tenantConnectorSchema.parse({ id: 'x-agents', type: 'oidc', displayName: 'X', linkOnly: false }).accountCreation;
    const staff = (rne: string[], extra: Partial<UpstreamIdentity> = {}): UpstreamIdentity => ({
      connectorId: 'x-agents', subject: 's', tenantIds: ['lille'], match: { kind: 'academicEmail', tenantId: 'lille', email: 'a.b@ac-lille.fr' },
      givenName: 'Anne', familyName: 'Bé', kind: 'staff', structures: rne.map((r) => ({ uai: r.split('$')[0]!, fields: r.split('$').slice(1) })), authnContexts: [], auditDetails: {}, ...extra,
    });
    const connector = { id: 'x-agents', tenantId: 'lille', accountCreation: rules };

    it('makes teachers from ENS/DOC functions, others Personnel, or what the connector says', () => {
      expect(accountPlan(staff(['0590121L$UAJ$PU$ENS']), connector)).to.deep.include({ ok: true, tenantId: 'lille' });
      const teacher = accountPlan(staff(['0590121L$UAJ$PU$DIR', '0590122M$UAJ$PU$DOC']), connector);
      expect(teacher.ok && teacher.fields).to.include({ profile: 'Teacher', academicEmail: 'a.b@ac-lille.fr', externalId: null, email: null, birthDate: null, passwordHash: null, status: 'active', source: 'x-agents' });
      const head = accountPlan(staff(['0590121L$UAJ$PU$DIR']), connector);
      expect(head.ok && head.fields.profile).to.equal('Personnel');
      const always = accountPlan(staff(['0590121L$UAJ$PU$DIR']), { ...connector, accountCreation: { ...rules, staffProfile: 'Teacher' } });
      expect(always.ok && always.fields.profile).to.equal('Teacher');
    });

    it('creates nothing without a vouched identifier, a name, a known affiliation or a single tenant', () => {
      expect(accountPlan(staff([], { match: null }), connector)).to.deep.equal({ ok: false, reason: 'no_vouched_identifier' });
      expect(accountPlan(staff([], { familyName: ' \u0007 ' }), connector)).to.deep.equal({ ok: false, reason: 'no_name' });
      expect(accountPlan(staff([], { kind: undefined }), connector)).to.deep.equal({ ok: false, reason: 'affiliation' });
      const ec = (candidates: Array<{ tenantId: string; externalId: string }>): UpstreamIdentity => ({ ...staff([]), kind: 'pupil', match: { kind: 'externalId', candidates } });
      const platform = { ...connector, tenantId: null };
      expect(accountPlan(ec([{ tenantId: 'lille', externalId: 'LILLE-1' }, { tenantId: 'amiens', externalId: 'AMIENS-1' }]), platform)).to.deep.equal({ ok: false, reason: 'several_tenants' });
      expect(accountPlan(ec([{ tenantId: 'amiens', externalId: 'AMIENS-1' }]), connector)).to.deep.equal({ ok: false, reason: 'no_tenant' });
      const pupil = accountPlan(ec([{ tenantId: 'amiens', externalId: 'AMIENS-1' }]), platform);
      expect(pupil).to.deep.include({ ok: true, tenantId: 'amiens' });
      expect(pupil.ok && pupil.fields).to.include({ profile: 'Student', externalId: 'AMIENS-1', academicEmail: null });
    });
  });

  describe('ÉduConnect (pysaml2)', () => {
    let idp: Pysaml2Idp;
    let hub: TestHub;
    let portal: oidc.Configuration;
    let setup: EduconnectSetup;

    const pupil = (id: string, refIds: string[], affiliation = 'eleve2d') => ({
      attributes: {
        [`${OID}57`]: [id], [`${OID}7`]: [affiliation], [`${OID}72`]: ['0590121L'], [`${OID}67`]: ['2012-04-03'], [`${OID}64`]: ['0123456789abcdef0123456789abcdef'],
        'urn:oid:2.5.4.4': ['Lefèvre'], 'urn:oid:2.5.4.42': ['Inès'], FrEduCtRefId: refIds,
      },
      name_id: id,
    });
    const login = async (): Promise<{ s: Started; page: Awaited<ReturnType<typeof postToAcs>> }> => {
      const s = await openLoginPage(portal);
      return { s, page: await postToAcs(s, await toIdpForm(s, EDUCONNECT)) };
    };

    before(async () => {
      setup = await startEduconnectHub({ linkOnly: false });
      ({ idp, hub, portal } = setup);
      // A homonym in another tenant: logins are unique platform-wide.
      await hub.hub.store.forTenant('amiens').accounts.create({ login: 'ines.lefevre', firstName: 'Inès', lastName: 'Lefèvre', profile: 'Student', status: 'active', source: 'local' });
    });
    after(() => setup?.stop());

    it('creates a pupil once in the tenant of the académie code, without birth date or e-mail, and logs in', async () => {
      const before = (await allAccounts(hub.hub.store)).length;
      await idp.scenario(pupil('ec-new-pupil', ['{AAF}9|X|7654321']));
      const { s, page } = await login();
      expect(page.location, page.body.slice(0, 400)).to.be.a('string');
      const tokens = await tokensOf(portal, s, page.location);
      const created = await hub.hub.store.forTenant('lille').accounts.findByExternalId('LILLE-7654321');
      expect(created).to.not.equal(null);
      expect(tokens.claims()!.sub).to.equal(created!.id);
      expect(created).to.include({
        tenantId: 'lille', login: 'ines.lefevre2', profile: 'Student', firstName: 'Inès', lastName: 'Lefèvre', displayName: 'Inès Lefèvre',
        status: 'active', source: 'educonnect', passwordHash: null, birthDate: null, email: null, academicEmail: null, activationCodeHash: null,
      });
      expect((await allAccounts(hub.hub.store)).length).to.equal(before + 1);
      const info = await fetchUserInfo(portal, tokens.access_token, created!.id);
      expect(info).to.include({ ent_profile: 'Student', tenant: 'lille', preferred_username: 'ines.lefevre2' });
      expect(info).not.to.have.property('birthdate');
      expect(await hub.hub.store.forTenant('lille').identities.find('educonnect', 'ec-new-pupil')).to.include({ accountId: created!.id });
      const types = await auditTypes(hub.hub.store, 'lille');
      expect(types.slice(types.indexOf('account.created'))).to.deep.equal(['account.created', 'federation.link', 'login.success']);
      expect(await lastAudit(hub.hub.store, 'lille', 'account.created')).to.deep.include({ by: 'federation', connector: 'educonnect', subject: 'ec-new-pupil', profile: 'Student', externalId: 'LILLE-7654321' });
    });

    it('finds it by its link on the next login (no second account, even without FrEduCtRefId)', async () => {
      const before = (await allAccounts(hub.hub.store)).length;
      const account = await hub.hub.store.forTenant('lille').accounts.findByExternalId('LILLE-7654321');
      await idp.scenario(pupil('ec-new-pupil', []));
      const { s, page } = await login();
      expect((await tokensOf(portal, s, page.location)).claims()!.sub).to.equal(account!.id);
      expect((await allAccounts(hub.hub.store)).length).to.equal(before);
      const created = (await hub.hub.store.forTenant('lille').audit.list({ limit: 50 })).filter((e) => e.type === 'account.created');
      expect(created).to.have.length(1);
    });

    it('creates a parent as Relative in Amiens (académie code 20)', async () => {
      await idp.scenario(pupil('ec-new-parent', ['{AAF}20|X|424242'], 'resp2d'));
      const { s, page } = await login();
      const tokens = await tokensOf(portal, s, page.location);
      const parent = await hub.hub.store.forTenant('amiens').accounts.findByExternalId('AMIENS-424242');
      expect(parent).to.include({ id: tokens.claims()!.sub, profile: 'Relative', tenantId: 'amiens', source: 'educonnect' });
    });

    it('creates nothing when the académie is ambiguous or unknown, or the affiliation is not one it knows', async () => {
      const before = (await allAccounts(hub.hub.store)).length;
      for (const [scenario, reason] of [
        [pupil('ec-two', ['{AAF}9|X|1111', '{AAF}20|X|2222']), 'several_tenants'],
        [pupil('ec-none', ['{AAF}99|X|3333']), 'no_vouched_identifier'],
        [pupil('ec-odd', ['{AAF}9|X|4444'], 'autre'), 'affiliation'],
      ] as const) {
        await idp.scenario(scenario);
        const { page } = await login();
        expect(page.status).to.equal(200);
        expect(page.body).to.include('Aucun compte ENT trouvé');
        expect(await lastAudit(hub.hub.store, null, 'federation.no_account'), reason).to.include({ subject: scenario.name_id, notCreated: reason });
      }
      expect((await allAccounts(hub.hub.store)).length).to.equal(before);
    });
  });

  describe('académie staff IdP (node-oidc-provider)', () => {
    const CONNECTOR = 'lille-agents';
    let upstream: OidcUpstream;
    let hub: TestHub;
    let portal: oidc.Configuration;
    let tenantsDir: string;

    before(async () => {
      upstream = await prepareOidcUpstream();
      tenantsDir = tenantsWith({
        lille: [{
          id: CONNECTOR, type: 'oidc', displayName: 'Personnel de l’académie de Lille', enabled: true, linkOnly: false,
          oidc: { issuer: upstream.issuer, clientId: upstream.clientId, clientSecret: { env: upstream.secretEnv }, scopes: ['openid', 'profile', 'email', 'academie'], allowInsecureHttp: true },
        }],
      });
      hub = await startTestHub({ config: { clients: testClients(), oidc: { resources: testResources }, tenants: { dir: tenantsDir } } });
      await upstream.serve(`${hub.url}/federation/${CONNECTOR}/callback`);
      portal = await discover(hub.url, 'portal');
    });
    after(async () => {
      await hub?.stop();
      await upstream?.stop();
      if (tenantsDir) rmSync(tenantsDir, { recursive: true, force: true });
    });

    const staffLogin = async () => {
      const s = await openLoginPage(portal);
      return { s, page: await s.browser.follow(await staffStart(s, CONNECTOR), REDIRECT) };
    };

    it('creates a teacher (ENS function) once, with the académie e-mail as its only address, then finds it by its link', async () => {
      upstream.user({ sub: 'fim-new-teacher', claims: { given_name: 'Paul', family_name: 'Martin', mail: 'Paul.Martin@ac-lille.fr', email: 'paul@gmail.example', email_verified: false, FrEduRne: ['0590121L$UAJ$PU$ENS$0590121L$T3$LYC$3000'] } });
      const first = await staffLogin();
      const tokens = await tokensOf(portal, first.s, first.page.location);
      const lille = hub.hub.store.forTenant('lille');
      const [created] = await lille.accounts.findByAcademicEmail('paul.martin@ac-lille.fr');
      expect(created).to.include({ id: tokens.claims()!.sub, login: 'paul.martin', profile: 'Teacher', status: 'active', source: CONNECTOR, externalId: null, email: null, passwordHash: null });
      expect(await lastAudit(hub.hub.store, 'lille', 'federation.link')).to.include({ connector: CONNECTOR, subject: 'fim-new-teacher', via: 'academicEmail' });
      const count = await lille.accounts.count();

      const again = await staffLogin();
      expect((await tokensOf(portal, again.s, again.page.location)).claims()!.sub).to.equal(created!.id);
      expect(await lille.accounts.count()).to.equal(count);
      expect((await lille.audit.list({ limit: 50 })).filter((e) => e.type === 'account.created' && e.details.subject === 'fim-new-teacher')).to.have.length(1);
    });

    it('creates other staff (DIR function) as Personnel', async () => {
      upstream.user({ sub: 'fim-new-head', claims: { given_name: 'Claire', family_name: 'Roux', mail: 'claire.roux@ac-lille.fr', FrEduRne: ['0590121L$UAJ$PU$DIR$0590121L$T3$LYC$3000'] } });
      const { s, page } = await staffLogin();
      const tokens = await tokensOf(portal, s, page.location);
      expect(await hub.hub.store.forTenant('lille').accounts.get(tokens.claims()!.sub)).to.include({ profile: 'Personnel', login: 'claire.roux' });
    });

    it('creates nothing for an address outside the académie or without names', async () => {
      const count = await hub.hub.store.forTenant('lille').accounts.count();
      for (const [claims, reason] of [
        [{ given_name: 'Eve', family_name: 'Out', mail: 'eve@gmail.com' }, 'no_vouched_identifier'],
        [{ mail: 'nameless@ac-lille.fr' }, 'no_name'],
      ] as const) {
        upstream.user({ sub: `fim-${reason}`, claims });
        const { page } = await staffLogin();
        expect(page.location).to.equal(null);
        expect(page.body).to.include('Aucun compte ENT trouvé');
        expect(await lastAudit(hub.hub.store, 'lille', 'federation.no_account')).to.include({ subject: `fim-${reason}`, notCreated: reason });
      }
      expect(await hub.hub.store.forTenant('lille').accounts.count()).to.equal(count);
    });
  });
});
