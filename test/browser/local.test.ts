/**
 * Local accounts in a real browser (Chromium through Playwright): every flow starts at the web
 * RP, goes through the hub's pages and ends back at the RP (or on the hub's logged-out page).
 * Elements are found by input names, form actions, button types and roles, never by wording.
 * Every page is screenshotted (artifacts/screenshots) and each kind of page goes through axe.
 */
import { expect } from 'chai';
import { generate } from 'otplib';
import { hashPassword } from '../../src/auth/passwords.js';
import { generateActivationCode, hashActivationCode } from '../../src/identity/activation-code.js';
import { ACR_ONE_FACTOR, ACR_TWO_FACTORS } from '../../src/identity/acr.js';
import type { Account, NewAccount, PlatformStore } from '../../src/storage/ports/index.js';
import { PASSWORD, seedPeople, type Fixture } from '../../testing/harness/fixtures.js';
import {
  alertText, followLink, onHub, rpBye, rpResult, signInLocally, startHubWithRp, startLogin, submitForm, useBrowser, visit,
  type HubWithRp, type Page,
} from './harness.js';
import { AMIENS_ONLY, PARTNER, WEB_PUBLIC, WEB_RP, type WebRp } from './web-rp.js';

const NEW_PASSWORD = 'trois petits chats gris';
/** Small brute-force delays: a wrong password must not slow the suite. */
const THROTTLE = { baseDelayMs: 1, maxDelayMs: 8 };

const totp = (secret: string, offsetSteps = 0) => generate({ secret, epoch: Math.floor(Date.now() / 1000) + offsetSteps * 30 });

/** The TOTP key as the enrolment page prints it for manual entry (base32, in groups of 4). */
async function manualKeyOf(page: Page): Promise<string> {
  const text = await page.locator('main').innerText();
  const key = /\b([A-Z2-7]{4}(?: [A-Z2-7]{1,4}){5,})\b/.exec(text)?.[1];
  if (!key) throw new Error(`no TOTP key in the enrolment page:\n${text}`);
  return key.replace(/\s/g, '');
}

describe('browser: local accounts, from the web RP through the hub and back', function () {
  this.timeout(60_000);
  const browser = useBrowser();
  let env: HubWithRp;
  let rp: WebRp;
  let store: PlatformStore;
  let people: Fixture;

  const hubOf = () => env.hub;
  const newAccount = (fields: Partial<NewAccount> & Pick<NewAccount, 'login' | 'profile'>): Promise<Account> =>
    store.forTenant('lille').accounts.create({ firstName: 'Camille', lastName: 'Navigateur', status: 'active', source: 'local', ...fields });

  before(async function () {
    this.timeout(60_000);
    env = await startHubWithRp({ hub: { config: { auth: { throttle: THROTTLE } } } });
    rp = env.rp;
    store = env.hub.hub.store;
    people = await seedPeople(store);
  });
  after(() => env?.stop());

  describe('password sign-in', () => {
    it('signs in with login and password: the RP gets sub, acr and amr; a second login is silent', async () => {
      const { page } = browser;
      await startLogin(page, rp);
      await onHub(page, hubOf(), /\/interaction\//);
      await visit(page, 'login', 'login');
      await signInLocally(page, 'zoe.test', PASSWORD);
      const result = await rpResult(page, rp);
      await visit(page, 'login-rp-callback');
      expect(result.claims).to.include({ sub: people.pupilId, acr: ACR_ONE_FACTOR, aud: WEB_RP });
      expect(result.claims!.amr).to.deep.equal(['pwd']);
      expect(result.userinfo).to.include({ sub: people.pupilId, tenant: 'lille' });

      // The hub's session cookie came back with the next authorization request: no login page.
      await page.goto(rp.loginUrl({ client: WEB_PUBLIC }));
      const silent = await rpResult(page, rp);
      expect(silent.claims).to.include({ sub: people.pupilId, aud: WEB_PUBLIC });
    });

    it('prompt=select_account on a shared computer: the login page despite the pupil’s session, and the parent signs in', async () => {
      const { page } = browser;
      await startLogin(page, rp);
      await signInLocally(page, 'zoe.test', PASSWORD);
      expect((await rpResult(page, rp)).claims!.sub).to.equal(people.pupilId);
      await startLogin(page, rp, { prompt: 'select_account' });
      await onHub(page, hubOf(), /^\/interaction\/[^/]+(\?|$)/);
      await visit(page, 'login-select-account');
      // Another account: oidc-provider ends the pupil's session with its own self-submitting form, then resumes.
      await signInLocally(page, 'marc.test', PASSWORD);
      expect((await rpResult(page, rp)).claims!.sub).to.equal(people.parentId);
    });

    it('refuses a wrong password and an unknown login with the same message, on the login page, then signs in', async () => {
      const { page } = browser;
      await startLogin(page, rp);
      await signInLocally(page, 'zoe.test', 'not the password');
      await onHub(page, hubOf(), /\/interaction\/[^/]+\/login/);
      const wrongPassword = await alertText(page);
      expect(wrongPassword).to.not.equal('');
      await expectField(page, 'login', { invalid: true, value: 'zoe.test' });
      await expectField(page, 'password', { invalid: true, value: '' });
      await visit(page, 'login-wrong-password', 'login-error');

      await signInLocally(page, 'personne.inconnue', 'not the password');
      await onHub(page, hubOf(), /\/interaction\/[^/]+\/login/);
      expect(await alertText(page)).to.equal(wrongPassword);
      await visit(page, 'login-unknown-login');

      await signInLocally(page, 'zoe.test', PASSWORD);
      expect((await rpResult(page, rp)).claims!.sub).to.equal(people.pupilId);
    });

    it('shows the hub’s error page for an unknown client and an expired sign-in', async () => {
      const { page } = browser;
      const unknown = await page.goto(`${hubOf().url}/auth?${new URLSearchParams({ client_id: 'nobody', response_type: 'code', scope: 'openid', redirect_uri: rp.redirectUri })}`);
      expect(unknown!.status()).to.equal(400);
      expect(await page.locator('main h1').count()).to.equal(1);
      await visit(page, 'error-unknown-client', 'error');
      const expired = await page.goto(`${hubOf().url}/interaction/no-such-interaction`);
      expect(expired!.status()).to.equal(400);
      await visit(page, 'error-expired-interaction');
    });

    it('refuses an account of another académie on a client open to Amiens only, then signs in with an Amiens account', async () => {
      const { page } = browser;
      const navigations: number[] = [];
      page.on('response', (response) => { if (response.request().isNavigationRequest()) navigations.push(response.status()); });
      await startLogin(page, rp, { client: AMIENS_ONLY });
      await signInLocally(page, 'zoe.test', PASSWORD);
      await onHub(page, hubOf(), /\/interaction\//);
      expect(navigations.at(-1)).to.equal(403);
      expect(await page.locator('main h1').count()).to.equal(1);
      await visit(page, 'tenant-refused', 'tenant-refused');
      const refusal = (await store.audit.list({ limit: 10 })).find((e) => e.type === 'client.tenant_refused');
      expect(refusal).to.include({ clientId: AMIENS_ONLY });

      const amiens = await store.forTenant('amiens').accounts.create({
        login: 'leo.amiens', firstName: 'Léo', lastName: 'Amiens', profile: 'Student', status: 'active', source: 'local', passwordHash: await hashPassword(PASSWORD),
      });
      await followLink(page, 'account=other');
      await onHub(page, hubOf(), /\/interaction\//);
      await signInLocally(page, 'leo.amiens', PASSWORD);
      const result = await rpResult(page, rp);
      expect(result.claims!.sub).to.equal(amiens.id);
    });
  });

  describe('activation', () => {
    it('activates a pending account with its code, from the login page’s link, and ends at the RP', async () => {
      const code = generateActivationCode();
      const pending = await store.forTenant('lille').accounts.create({
        login: 'ines.navigateur', firstName: 'Inès', lastName: 'Navigateur', profile: 'Student', status: 'pending', source: 'AC-LILLE',
        activationCodeHash: hashActivationCode(code),
      });
      const { page } = browser;
      await startLogin(page, rp);
      await followLink(page, '/activate');
      await onHub(page, hubOf(), /\/activate/);
      await visit(page, 'activation', 'activation');
      const form = { login: 'ines.navigateur', code, password: NEW_PASSWORD, password2: NEW_PASSWORD, terms: 'on' };

      await submitForm(page, '/activate', { ...form, code: generateActivationCode() });
      expect(await alertText(page)).to.not.equal('');
      await expectField(page, 'login', { value: 'ines.navigateur' });
      await visit(page, 'activation-wrong-code', 'activation-error');

      await submitForm(page, '/activate', form);
      // A confirmation page (the login to use from now on), whose button goes on to the RP.
      await onHub(page, hubOf(), /\/done/);
      await visit(page, 'activation-done', 'account-done');
      await submitForm(page, '/continue');
      const result = await rpResult(page, rp);
      expect(result.claims).to.include({ sub: pending.id, acr: ACR_ONE_FACTOR });
      expect((await store.forTenant('lille').accounts.get(pending.id)).status).to.equal('active');
      await visit(page, 'activation-rp-callback');
    });
  });

  describe('password change', () => {
    it('changes the password from the login page’s link, then only the new one signs in', async () => {
      const account = await newAccount({ login: 'paul.navigateur', profile: 'Relative', passwordHash: await hashPassword(PASSWORD) });
      const { page } = browser;
      await startLogin(page, rp);
      await followLink(page, '/password');
      await onHub(page, hubOf(), /\/password/);
      await visit(page, 'password-change', 'password-change');

      await submitForm(page, '/password', { login: 'paul.navigateur', current: PASSWORD, password: NEW_PASSWORD, password2: 'something else entirely' });
      expect(await alertText(page)).to.not.equal('');
      await visit(page, 'password-change-mismatch', 'password-change-error');

      await submitForm(page, '/password', { login: 'paul.navigateur', current: PASSWORD, password: NEW_PASSWORD, password2: NEW_PASSWORD });
      await onHub(page, hubOf(), /\/done/);
      await visit(page, 'password-change-done');
      await submitForm(page, '/continue');
      expect((await rpResult(page, rp)).claims!.sub).to.equal(account.id);

      // Another device: the old password is refused, the new one signs in.
      const other = await (await browser.newContext()).newPage();
      await startLogin(other, rp);
      await signInLocally(other, 'paul.navigateur', PASSWORD);
      await onHub(other, hubOf(), /\/login/);
      expect(await alertText(other)).to.not.equal('');
      await signInLocally(other, 'paul.navigateur', NEW_PASSWORD);
      expect((await rpResult(other, rp)).claims).to.include({ sub: account.id, acr: ACR_ONE_FACTOR });
    });
  });

  describe('TOTP second factor', () => {
    let account: Account;
    let secret: string;
    let recoveryCodes: string[];

    before(async () => {
      account = await newAccount({ login: 'lea.navigateur', profile: 'Teacher', passwordHash: await hashPassword(PASSWORD) });
    });

    it('enrols from the login page’s security link: key, first code, recovery codes, then the RP gets acr loa:2', async () => {
      const { page } = browser;
      await startLogin(page, rp);
      await followLink(page, 'intent=manage');
      await visit(page, 'totp-security-login');
      await signInLocally(page, 'lea.navigateur', PASSWORD);
      await onHub(page, hubOf(), /\/manage/);
      await visit(page, 'totp-settings-not-enrolled', 'mfa-settings');
      await submitForm(page, 'manage/enrol');
      await onHub(page, hubOf(), /\/enrol/);
      expect(await page.getByRole('img').count()).to.be.greaterThan(0); // the QR code
      await visit(page, 'totp-enrolment', 'totp-enrolment');
      secret = await manualKeyOf(page);

      await submitForm(page, '/enrol', { code: '000000' });
      expect(await alertText(page)).to.not.equal('');
      expect(await manualKeyOf(page)).to.equal(secret); // the same key until confirmed
      await visit(page, 'totp-enrolment-wrong-code', 'totp-enrolment-error');

      await submitForm(page, '/enrol', { code: await totp(secret) });
      recoveryCodes = await page.locator('main li code').allInnerTexts();
      expect(recoveryCodes).to.have.length(10);
      await visit(page, 'totp-recovery-codes', 'recovery-codes');
      await submitForm(page, '/continue');
      const result = await rpResult(page, rp);
      expect(result.claims).to.include({ sub: account.id, acr: ACR_TWO_FACTORS });
      expect(result.claims!.amr).to.deep.equal(['pwd', 'otp', 'mfa']);
    });

    it('asks for a TOTP code after the password, refuses a wrong one, accepts the next step’s code', async () => {
      const { page } = browser;
      await startLogin(page, rp);
      await signInLocally(page, 'lea.navigateur', PASSWORD);
      await onHub(page, hubOf(), /\/mfa/);
      await visit(page, 'totp-prompt', 'totp-prompt');
      await submitForm(page, '/mfa', { code: '000000' });
      expect(await alertText(page)).to.not.equal('');
      await visit(page, 'totp-prompt-wrong-code', 'totp-prompt-error');
      // The enrolment used this step's code (never accepted twice): the next step's, within ±1.
      await submitForm(page, '/mfa', { code: await totp(secret, 1) });
      const result = await rpResult(page, rp);
      expect(result.claims).to.include({ sub: account.id, acr: ACR_TWO_FACTORS });
      expect(result.claims!.amr).to.deep.equal(['pwd', 'otp', 'mfa']);
    });

    it('signs in with a recovery code instead, through the settings page', async () => {
      const { page } = browser;
      await startLogin(page, rp);
      await signInLocally(page, 'lea.navigateur', PASSWORD);
      await onHub(page, hubOf(), /\/mfa/);
      await followLink(page, 'recovery=1');
      await visit(page, 'totp-recovery-prompt', 'recovery-prompt');
      await submitForm(page, 'recovery=1', { recovery: recoveryCodes[0]! });
      await onHub(page, hubOf(), /\/(manage|continue|mfa)/);
      expect(await page.getByRole('status').count()).to.equal(1); // "n codes left"
      await visit(page, 'totp-settings-after-recovery', 'mfa-settings-enrolled');
      await submitForm(page, '/continue');
      const result = await rpResult(page, rp);
      expect(result.claims).to.include({ sub: account.id, acr: ACR_TWO_FACTORS });
      expect(result.claims!.amr).to.include('mfa');
    });

    it('enrols on the way when the RP asks for two factors (acr_values) and the account has none', async () => {
      const other = await newAccount({ login: 'sam.navigateur', profile: 'Student', passwordHash: await hashPassword(PASSWORD) });
      const { page } = browser;
      await startLogin(page, rp, { acr_values: ACR_TWO_FACTORS });
      await signInLocally(page, 'sam.navigateur', PASSWORD);
      await onHub(page, hubOf(), /\/enrol/);
      await visit(page, 'totp-step-up-enrolment');
      await submitForm(page, '/enrol', { code: await totp(await manualKeyOf(page)) });
      await visit(page, 'totp-step-up-recovery-codes');
      await submitForm(page, '/continue');
      const result = await rpResult(page, rp);
      expect(result.claims).to.include({ sub: other.id, acr: ACR_TWO_FACTORS });
    });
  });

  describe('consent (third-party client)', () => {
    it('asks for consent, and the RP receives the tokens once accepted; the grant is remembered', async () => {
      const { page } = browser;
      await startLogin(page, rp, { client: PARTNER });
      await signInLocally(page, 'marc.test', PASSWORD);
      await onHub(page, hubOf(), /\/interaction\//);
      expect(await page.locator('form[action*="/confirm"]').count()).to.equal(1);
      await visit(page, 'consent', 'consent');
      await submitForm(page, '/confirm');
      const result = await rpResult(page, rp);
      expect(result.claims).to.include({ sub: people.parentId, aud: PARTNER });
      await visit(page, 'consent-accepted-rp-callback');

      await page.goto(rp.loginUrl({ client: PARTNER }));
      expect((await rpResult(page, rp)).claims!.sub).to.equal(people.parentId);
    });

    it('sends access_denied to the RP when consent is refused', async () => {
      const { page } = browser;
      await startLogin(page, rp, { client: PARTNER });
      await signInLocally(page, 'zoe.test', PASSWORD);
      await onHub(page, hubOf(), /\/interaction\//);
      await submitForm(page, '/abort');
      const result = await rpResult(page, rp);
      expect(result.error).to.equal('access_denied');
      await visit(page, 'consent-refused-rp-callback');
    });
  });

  describe('RP-initiated logout', () => {
    async function signedIn(page: Page): Promise<void> {
      await startLogin(page, rp);
      await signInLocally(page, 'zoe.test', PASSWORD);
      expect((await rpResult(page, rp)).claims!.sub).to.equal(people.pupilId);
    }

    async function confirmLogout(page: Page, name: string, kind?: string): Promise<void> {
      await onHub(page, hubOf(), /\/session\/end/);
      await visit(page, name, kind);
      await Promise.all([page.waitForEvent('framenavigated'), page.locator('button[type="submit"][name="logout"][value="yes"]').click()]);
      await page.waitForLoadState('load');
    }

    async function expectPasswordAsked(page: Page, name: string): Promise<void> {
      await startLogin(page, rp);
      await onHub(page, hubOf(), /\/interaction\//);
      expect(await page.locator('form[action*="/login"] input[name="password"]').isVisible()).to.equal(true);
      await visit(page, name);
    }

    it('with post_logout_redirect_uri: confirms, lands on the RP with its state, and the next login asks for the password', async () => {
      const { page } = browser;
      await signedIn(page);
      await page.goto(rp.logoutUrl(true));
      await confirmLogout(page, 'logout-confirm', 'logout-confirm');
      const bye = await rpBye(page, rp);
      expect(bye.state).to.be.a('string').and.equal(bye.expected);
      await visit(page, 'logout-rp-bye');
      await expectPasswordAsked(page, 'login-after-logout-with-redirect');
    });

    it('without post_logout_redirect_uri: ends on the hub’s logged-out page, and the next login asks for the password', async () => {
      const { page } = browser;
      await signedIn(page);
      await page.goto(rp.logoutUrl(false));
      await confirmLogout(page, 'logout-confirm-no-redirect');
      await onHub(page, hubOf(), /\/session\/end\/success/);
      await visit(page, 'logged-out', 'logged-out');
      await expectPasswordAsked(page, 'login-after-logout-on-hub');
    });
  });
});

describe('browser: a cross-site RP (localhost, the hub on 127.0.0.1)', function () {
  this.timeout(60_000);
  const browser = useBrowser();
  let env: HubWithRp;
  let people: Fixture;

  before(async function () {
    this.timeout(60_000);
    env = await startHubWithRp({ rp: { host: 'localhost' }, hub: { config: { auth: { throttle: THROTTLE } } } });
    people = await seedPeople(env.hub.hub.store);
  });
  after(() => env?.stop());

  it('signs in, signs in again silently, and logs out back to the RP', async () => {
    const { page } = browser;
    const { rp, hub } = env;
    await startLogin(page, rp);
    await signInLocally(page, 'zoe.test', PASSWORD);
    expect((await rpResult(page, rp)).claims!.sub).to.equal(people.pupilId);
    await page.goto(rp.loginUrl());
    expect((await rpResult(page, rp)).claims!.sub).to.equal(people.pupilId);
    await page.goto(rp.logoutUrl(true));
    await onHub(page, hub, /\/session\/end/);
    await Promise.all([page.waitForEvent('framenavigated'), page.locator('button[type="submit"][name="logout"][value="yes"]').click()]);
    const bye = await rpBye(page, rp);
    expect(bye.state).to.be.a('string').and.equal(bye.expected);
    await visit(page, 'cross-site-rp-bye');
  });
});

/** An input of the page's form by name: its aria-invalid state and value. */
async function expectField(page: Page, name: string, expected: { invalid?: boolean; value?: string }): Promise<void> {
  const input = page.locator(`form input[name="${name}"]`).first();
  if (expected.invalid !== undefined) expect(await input.getAttribute('aria-invalid'), `${name} aria-invalid`).to.equal(expected.invalid ? 'true' : null);
  if (expected.value !== undefined) expect(await input.inputValue(), `${name} value`).to.equal(expected.value);
}
