/**
 * The admin console in Chromium: a tenant admin signs in through the hub itself with a password
 * and a TOTP code, finds a pupil, issues a new activation code, prints letters, blocks and
 * unblocks, creates a client and sees its secret once, exports the audit log. Screenshots of every
 * page; axe on each kind of page.
 */
import { expect } from 'chai';
import { generate } from 'otplib';
import { grantRole } from '../../src/admin/grants.js';
import { hashPassword } from '../../src/auth/passwords.js';
import { SecretBox } from '../../src/auth/secret-box.js';
import { newTotpSecret } from '../../src/auth/totp.js';
import { hashActivationCode, verifyActivationCode } from '../../src/identity/activation-code.js';
import { CLI_OPERATOR } from '../../src/identity/actor.js';
import type { Account, PlatformStore } from '../../src/storage/ports/index.js';
import { startTestHub, type TestHub } from '../../testing/harness/hub.js';
import { onHub, signInLocally, submitForm, useBrowser, visit, waitForUrl, type BrowserContext, type Page } from './harness.js';

const SECRETS_KEY = 'browser-admin-test secrets key, long enough to be a key';
const PASSWORD = 'une phrase de passe bien longue';
const totp = (secret: string, offsetSteps = 0) => generate({ secret, epoch: Math.floor(Date.now() / 1000) + offsetSteps * 30 });

describe('browser: the admin console', function () {
  this.timeout(90_000);
  const browser = useBrowser();
  let hub: TestHub;
  let store: PlatformStore;
  let totpSecret: string;
  let pupil: Account;
  let signedInState: Awaited<ReturnType<BrowserContext['storageState']>> | undefined;

  before(async function () {
    this.timeout(60_000);
    hub = await startTestHub({ config: { auth: { secretsKey: SECRETS_KEY, throttle: { baseDelayMs: 1, maxDelayMs: 8 } } } });
    store = hub.hub.store;
    const lille = store.forTenant('lille');
    const admin = await lille.accounts.create({ login: 'agnes.admin', profile: 'Personnel', firstName: 'Agnès', lastName: 'Administratrice', status: 'active', source: 'local', passwordHash: await hashPassword(PASSWORD) });
    totpSecret = newTotpSecret();
    await lille.mfa.startTotp(admin.id, new SecretBox(SECRETS_KEY, 'totp').seal(totpSecret));
    await lille.mfa.confirmTotp(admin.id, []);
    await grantRole(store, CLI_OPERATOR, { subjectKind: 'account', subject: 'agnes.admin', role: 'tenant-admin', tenantId: 'lille', uais: [] });
    const school = await lille.structures.upsert({ uai: '0591234K', name: 'Collège Jean-Moulin' });
    const klass = await lille.groups.upsert({ structureId: school.id, kind: 'class', code: '6A', name: '6e A' });
    for (let i = 0; i < 10; i += 1) {
      const account = await lille.accounts.create({
        login: `eleve.navigateur${i}`, profile: 'Student', firstName: i === 0 ? 'Zoé' : `Élève${i}`, lastName: i === 0 ? 'Lefèvre' : `Navigateur${i}`,
        status: 'pending', activationCodeHash: hashActivationCode('abcd-efgh'), source: 'local',
      });
      await lille.memberships.attachToStructure(account.id, school.id);
      await lille.memberships.addToGroup(account.id, klass.id);
      if (i === 0) pupil = account;
    }
  });
  after(() => hub?.stop());

  /** The signed-in console of the first test (cookies only: a TOTP code is good once), in a new context. */
  async function signedIn(): Promise<Page> {
    if (!signedInState) throw new Error('the sign-in test did not pass');
    const context = await browser.newContext({ storageState: signedInState });
    return context.newPage();
  }

  it('signs in through the hub with a second factor and opens the tenant', async () => {
    const { page } = browser;
    await page.goto(`${hub.url}/admin`);
    await onHub(page, hub, /\/interaction\//);
    await visit(page, 'admin-sign-in', 'login');
    await signInLocally(page, 'agnes.admin', PASSWORD);
    await onHub(page, hub, /\/mfa/);
    await submitForm(page, '/mfa', { code: await totp(totpSecret) });
    await waitForUrl(page, (url) => url.pathname.startsWith('/admin/t/lille'), 'the console of lille');
    expect(await page.locator('h1').innerText()).to.not.equal('');
    await visit(page, 'admin-dashboard', 'admin-dashboard');
    signedInState = await page.context().storageState();
  });

  it('finds a pupil by an accent-less name prefix, issues a new code shown once, blocks and unblocks', async () => {
    const page = await signedIn();
    await page.goto(`${hub.url}/admin/t/lille/accounts`);
    await visit(page, 'admin-accounts-search', 'admin-accounts');
    await page.fill('input[name="q"]', 'lefevre z');
    await page.click('form[role="search"] button[type="submit"]');
    await waitForUrl(page, (url) => url.searchParams.get('q') === 'lefevre z', 'the search results');
    await visit(page, 'admin-accounts-results', 'admin-accounts-results');
    await page.click(`a[href$="/accounts/${pupil.id}"]`);
    await waitForUrl(page, (url) => url.pathname.endsWith(`/accounts/${pupil.id}`), 'the account page');
    await visit(page, 'admin-account', 'admin-account');

    await submitForm(page, '/activation-code');
    const code = (await page.locator('[data-code]').innerText()).trim();
    const stored = await store.accounts.findById(pupil.id);
    expect(verifyActivationCode(code, stored!.activationCodeHash!)).to.equal(true);
    await visit(page, 'admin-account-new-code', 'admin-new-code');

    await page.goto(`${hub.url}/admin/t/lille/accounts/${pupil.id}`);
    await submitForm(page, '/block');
    expect((await store.accounts.findById(pupil.id))!).to.include({ status: 'disabled', disabledReason: 'blocked' });
    await visit(page, 'admin-account-blocked');
    await submitForm(page, '/unblock');
    expect((await store.accounts.findById(pupil.id))!).to.include({ status: 'pending', disabledReason: null });
    const events = (await store.forTenant('lille').audit.list()).map((e) => e.type);
    expect(events).to.include.members(['activation.reset', 'account.blocked', 'account.unblocked']);
  });

  it('creates a client and shows its secret once', async () => {
    const page = await signedIn();
    await page.goto(`${hub.url}/admin/t/lille/clients`);
    await visit(page, 'admin-clients', 'admin-clients');
    await page.fill('input[name="clientId"]', 'lille-vie-scolaire');
    await page.fill('input[name="name"]', 'Vie scolaire');
    await page.fill('textarea[name="redirectUris"]', 'https://vie-scolaire.example/callback');
    await submitForm(page, '/clients');
    const secret = (await page.locator('[data-secret]').innerText()).trim();
    expect(secret).to.have.length.greaterThan(30);
    await visit(page, 'admin-client-secret', 'admin-client-secret');
    await page.goto(`${hub.url}/admin/t/lille/clients`);
    expect(await page.content()).not.to.include(secret);
  });

  it('refuses a console sign-in without a second factor for an account without one', async () => {
    const lille = store.forTenant('lille');
    await lille.accounts.create({ login: 'bob.sans2fa', profile: 'Personnel', firstName: 'Bob', lastName: 'Sans', status: 'active', source: 'local', passwordHash: await hashPassword(PASSWORD) });
    await grantRole(store, CLI_OPERATOR, { subjectKind: 'account', subject: 'bob.sans2fa', role: 'helpdesk', tenantId: 'lille', uais: [] });
    const { page } = browser;
    await page.goto(`${hub.url}/admin`);
    await onHub(page, hub, /\/interaction\//);
    await signInLocally(page, 'bob.sans2fa', PASSWORD);
    // The hub asks him to enrol a second factor before the console opens.
    await onHub(page, hub, /\/enrol/);
    await visit(page, 'admin-sign-in-enrol');
  });
});

