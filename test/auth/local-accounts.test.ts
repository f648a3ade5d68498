/**
 * Local accounts over HTTP, browser-less, against a running hub with Redis: activation,
 * password policy and change, TOTP enrolment and sign-in, recovery codes, MFA required by
 * policy, acr_values step-up, brute-force locks shared by two hub processes.
 */
import { expect } from 'chai';
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { generate } from 'otplib';
import { hashPassword } from '../../src/auth/passwords.js';
import { generateActivationCode, hashActivationCode } from '../../src/identity/activation-code.js';
import { ACR_ONE_FACTOR, ACR_TWO_FACTORS } from '../../src/identity/acr.js';
import type { Account, AuditEvent, NewAccount, PlatformStore } from '../../src/storage/ports/index.js';
import { Browser, formAction, type Page } from '../../testing/harness/browser.js';
import { PASSWORD, REDIRECT, seedPeople, testClients, testResources } from '../../testing/harness/fixtures.js';
import { startTestHub, type TestHub } from '../../testing/harness/hub.js';
import { randomPrefix, testRedisUrl } from '../../testing/harness/redis.js';
import { discover, exchange, startAuthorization, type Authorization } from '../../testing/harness/rp.js';

const NEW_PASSWORD = 'trois petits chats gris';
/** Small delays: the progressive delay is exercised, without making the 50-attempt test slow. */
const THROTTLE = { baseDelayMs: 1, maxDelayMs: 8 };

/** A pending account with a fresh activation code, as the importer or `hub users create` makes it. */
async function pendingAccount(store: PlatformStore, fields: Partial<NewAccount> & Pick<NewAccount, 'login'>): Promise<{ account: Account; code: string }> {
  const code = generateActivationCode();
  const account = await store.forTenant('lille').accounts.create({
    firstName: 'Inès', lastName: 'Lefèvre', profile: 'Student', status: 'pending', source: 'AC-LILLE',
    activationCodeHash: hashActivationCode(code), ...fields,
  });
  return { account, code };
}

/** The login page of a new authorization (the RP's parameters in `extra`). */
async function loginPage(browser: Browser, rp: oidc.Configuration, extra: Record<string, string> = {}): Promise<{ page: Page; start: Omit<Authorization, 'callback'> }> {
  const start = await startAuthorization(rp, extra);
  const page = await browser.follow(start.url.href, REDIRECT);
  return { page, start };
}

/** The href of the login page's link to `action` (activate, password, ?intent=manage). */
function link(page: Page, pattern: RegExp): string {
  const href = [...page.body.matchAll(/<a href="([^"]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&')).find((h) => pattern.test(h));
  if (!href) throw new Error(`no link ${pattern} in ${page.url}`);
  return new URL(href, page.url).href;
}

/** Posts a form of `page` and follows redirects inside the hub. */
function submit(browser: Browser, page: Page, action: RegExp, form: Record<string, string>): Promise<Page> {
  return browser.follow(formAction(page, action), REDIRECT, { form });
}

/**
 * The confirmation page after an activation or a password change: it says what was done, then
 * its button goes on with the sign-in.
 */
async function throughConfirmation(browser: Browser, page: Page, what: 'Compte activé' | 'Mot de passe changé'): Promise<Page> {
  expect(page.status, page.body.slice(0, 400)).to.equal(200);
  expect(page.url).to.match(/\/done\?/);
  expect(page.body).to.include(`<h1>${what}</h1>`).and.include('role="status"');
  return submit(browser, page, /\/continue/, {});
}

function toRp(page: Page, start: Omit<Authorization, 'callback'>): Authorization {
  expect(page.location, `expected a redirect to the RP, got ${page.status}: ${page.body.slice(0, 400)}`).to.be.a('string');
  return { ...start, callback: new URL(page.location!) };
}

const alertOf = (page: Page): string => /role="alert">\s*<p>([^<]+)</.exec(page.body)?.[1] ?? '';
const secretOf = (page: Page): string => /<code class="secret">([^<]+)</.exec(page.body)![1]!.replace(/\s/g, '');
const recoveryCodesOf = (page: Page): string[] => [...page.body.matchAll(/<li><code>([^<]+)<\/code><\/li>/g)].map((m) => m[1]!);
const totp = (secret: string, offsetSteps = 0) => generate({ secret, epoch: Math.floor(Date.now() / 1000) + offsetSteps * 30 });

async function events(store: PlatformStore, tenant: string | null, accountId?: string): Promise<AuditEvent[]> {
  const all = await (tenant ? store.forTenant(tenant).audit : store.audit).list({ limit: 500 });
  return accountId ? all.filter((e) => e.accountId === accountId) : all;
}

describe('local accounts over HTTP (Redis)', function () {
  this.timeout(60_000);
  let hub: TestHub;
  let store: PlatformStore;
  let portal: oidc.Configuration;

  before(async () => {
    hub = await startTestHub({ config: { clients: testClients(), oidc: { resources: testResources }, auth: { throttle: THROTTLE, mfa: { Personnel: 'required' } } } });
    store = hub.hub.store;
    await seedPeople(store);
    portal = await discover(hub.url, 'portal');
  });
  after(() => hub?.stop());

  describe('activation', () => {
    async function activationPage(browser: Browser) {
      const { page, start } = await loginPage(browser, portal);
      return { page: await browser.request(link(page, /\/activate/)), start };
    }
    async function tryActivation(fields: Record<string, string>): Promise<Page> {
      const browser = new Browser();
      return submit(browser, (await activationPage(browser)).page, /\/activate/, fields);
    }
    const form = (login: string, code: string, extra: Record<string, string> = {}) => ({ login, code, password: NEW_PASSWORD, password2: NEW_PASSWORD, terms: hub.config.auth.termsVersion, email: '', ...extra });

    it('activates with login + code, records the terms, and signs in to the RP', async () => {
      const { account, code } = await pendingAccount(store, { login: 'ines.lefevre' });
      const browser = new Browser();
      const { page, start } = await activationPage(browser);
      expect(page.status).to.equal(200);
      expect(page.body).to.include('Activer mon compte').and.include('Code d’activation').and.include('charte d’utilisation');
      // The code as printed, with its dash and in capitals, is accepted.
      const confirmation = await submit(browser, page, /\/activate/, form(' Ines.Lefevre ', code.toUpperCase().replace(/^(.{4})/, '$1-'), { email: 'Ines@Example.org' }));
      // Activated before the page says so; the page names the login to use from now on.
      expect((await store.forTenant('lille').accounts.get(account.id)).status).to.equal('active');
      expect(confirmation.body).to.include('Votre compte ENT est activé.').and.include('«\u00a0ines.lefevre\u00a0»');
      const done = await throughConfirmation(browser, confirmation, 'Compte activé');
      const tokens = await exchange(portal, toRp(done, start));
      expect(tokens.claims()!.sub).to.equal(account.id);
      expect(tokens.claims()!.acr).to.equal(ACR_ONE_FACTOR);
      const active = await store.forTenant('lille').accounts.get(account.id);
      expect(active).to.include({ status: 'active', activationCodeHash: null, termsVersion: hub.config.auth.termsVersion, email: 'ines@example.org' });
      expect(active.termsAcceptedAt).to.be.instanceOf(Date);
      expect((await events(store, 'lille', account.id)).map((e) => e.type)).to.include.members(['account.activated', 'login.success']);
    });

    it('refuses a reused code, a wrong code and an unknown login with one message, and changes nothing', async () => {
      const { account, code } = await pendingAccount(store, { login: 'ines.reuse' });
      const browser = new Browser();
      const first = await activationPage(browser);
      toRp(await throughConfirmation(browser, await submit(browser, first.page, /\/activate/, form('ines.reuse', code)), 'Compte activé'), first.start);
      const reuser = new Browser();
      const reused = await submit(reuser, (await activationPage(reuser)).page, /\/activate/, form('ines.reuse', code));
      const { account: other } = await pendingAccount(store, { login: 'ines.wrong' });
      const wrong = await tryActivation(form('ines.wrong', generateActivationCode()));
      const unknown = await tryActivation(form('personne.inconnue', code));
      for (const page of [reused, wrong, unknown]) {
        expect(page.status).to.equal(401);
        expect(alertOf(page)).to.equal('Identifiant ou code d’activation incorrect.');
      }
      expect((await store.forTenant('lille').accounts.get(other.id)).status).to.equal('pending');
      expect((await store.forTenant('lille').accounts.get(account.id)).passwordHash).to.be.a('string');
      expect((await events(store, 'lille', other.id)).map((e) => e.type)).to.include('activation.failure');
    });

    it('says an expired code has expired (the user holds the right code), and keeps the account pending', async () => {
      const { account, code } = await pendingAccount(store, { login: 'ines.expired', activationExpiresAt: new Date(Date.now() - 1000) });
      const page = await tryActivation(form('ines.expired', code));
      expect(page.status).to.equal(400);
      expect(alertOf(page)).to.include('a expiré');
      expect((await store.forTenant('lille').accounts.get(account.id)).status).to.equal('pending');
    });

    it('refuses a weak password, a mismatch, missing terms and a bad e-mail, keeping the typed login', async () => {
      const { account, code } = await pendingAccount(store, { login: 'ines.weak', profile: 'Teacher' });
      const cases: [Record<string, string>, RegExp, string][] = [
        [{ password: 'motdepasse2024!!', password2: 'motdepasse2024!!' }, /trop courant/, 'password'],
        [{ password: 'court', password2: 'court' }, /au moins 12/, 'password'],
        [{ password: 'ines.weak et ses chats', password2: 'ines.weak et ses chats' }, /ni votre nom/, 'password'],
        [{ password2: 'autre chose encore' }, /pas identiques/, 'password2'],
        [{ terms: '' }, /charte/, 'terms'],
        [{ email: 'pas-une-adresse' }, /e-mail n’est pas valide/, 'email'],
      ];
      for (const [change, message, field] of cases) {
        const page = await tryActivation(form('ines.weak', code, change));
        expect(page.status, JSON.stringify(change)).to.equal(400);
        expect(alertOf(page)).to.match(message);
        expect(page.body).to.match(new RegExp(`name="${field}"[^>]*aria-invalid="true"`));
        expect(page.body).to.include('value="ines.weak"');
        expect(page.body).not.to.include(NEW_PASSWORD);
      }
      expect((await store.forTenant('lille').accounts.get(account.id))).to.include({ status: 'pending', passwordHash: null });
    });

    it('applies the per-profile policy: 8 characters are enough for a pupil, not for a teacher', async () => {
      const pupil = await pendingAccount(store, { login: 'ines.eleve' });
      const page = await tryActivation(form('ines.eleve', pupil.code, { password: 'girafe78', password2: 'girafe78' }));
      expect(page.status, alertOf(page)).to.equal(200);
      expect(page.body).to.include('<h1>Compte activé</h1>');
    });
  });

  describe('password change', () => {
    it('changes the password after the old one, then other sessions and refresh tokens stop working', async () => {
      const account = await store.forTenant('lille').accounts.create({ login: 'paul.change', firstName: 'Paul', lastName: 'Change', profile: 'Relative', status: 'active', passwordHash: await hashPassword(PASSWORD) });
      // Device A signs in and keeps a refresh token.
      const deviceA = new Browser();
      const a = await loginPage(deviceA, portal);
      const aTokens = await exchange(portal, toRp(await submit(deviceA, a.page, /\/login/, { login: 'paul.change', password: PASSWORD }), a.start));
      expect(aTokens.refresh_token).to.be.a('string');
      await new Promise((r) => setTimeout(r, 1100)); // sessions are stamped in whole seconds

      const deviceB = new Browser();
      const b = await loginPage(deviceB, portal);
      const form = await deviceB.request(link(b.page, /\/password/));
      expect(form.body).to.include('Changer mon mot de passe');
      const wrongOld = await submit(deviceB, form, /\/password/, { login: 'paul.change', current: 'not the password', password: NEW_PASSWORD, password2: NEW_PASSWORD });
      expect(wrongOld.status).to.equal(401);
      const same = await submit(deviceB, form, /\/password/, { login: 'paul.change', current: PASSWORD, password: PASSWORD, password2: PASSWORD });
      expect(alertOf(same)).to.include('différent');
      const changed = await submit(deviceB, form, /\/password/, { login: 'paul.change', current: PASSWORD, password: NEW_PASSWORD, password2: NEW_PASSWORD });
      // Changed before the page says so.
      expect((await store.forTenant('lille').accounts.get(account.id)).passwordChangedAt).to.be.instanceOf(Date);
      expect(changed.body).to.include('Votre mot de passe a bien été changé.').and.include('autres appareils');
      toRp(await throughConfirmation(deviceB, changed, 'Mot de passe changé'), b.start);
      expect((await events(store, 'lille', account.id)).map((e) => e.type)).to.include('password.changed');

      // A's refresh token is refused, and A's session no longer signs in silently.
      let refreshError: unknown;
      await oidc.refreshTokenGrant(portal, aTokens.refresh_token!).catch((err: unknown) => (refreshError = err));
      expect(refreshError).to.be.instanceOf(oidc.ResponseBodyError).and.to.have.property('error', 'invalid_grant');
      const again = await loginPage(deviceA, portal);
      expect(again.page.status).to.equal(200);
      expect(again.page.body).to.include('name="password"');
      // The old password is gone, the new one works.
      expect((await submit(deviceA, again.page, /\/login/, { login: 'paul.change', password: PASSWORD })).status).to.equal(401);
      toRp(await submit(deviceA, again.page, /\/login/, { login: 'paul.change', password: NEW_PASSWORD }), again.start);
    });
  });

  describe('TOTP second factor', () => {
    let account: Account;
    let secret: string;
    let recoveryCodes: string[];

    before(async () => {
      account = await store.forTenant('lille').accounts.create({ login: 'lea.totp', firstName: 'Léa', lastName: 'Totp', profile: 'Teacher', status: 'active', passwordHash: await hashPassword(PASSWORD) });
    });

    it('enrols from the security link: QR code and key, a first code, 10 recovery codes shown once', async () => {
      const browser = new Browser();
      const { page, start } = await loginPage(browser, portal);
      const manageLogin = await browser.request(link(page, /intent=manage/));
      const manage = await submit(browser, manageLogin, /\/login/, { login: 'lea.totp', password: PASSWORD, intent: 'manage' });
      expect(manage.body).to.include('n’est pas activée');
      const enrol = await browser.follow(formAction(manage, /manage\/enrol/), REDIRECT, { form: {} });
      expect(enrol.status).to.equal(200);
      expect(enrol.body).to.match(/<figure class="qr" role="img" aria-label="[^"]+"><svg/);
      secret = secretOf(enrol);
      const wrong = await submit(browser, enrol, /\/enrol/, { code: '000000' });
      expect(wrong.status).to.equal(401);
      expect(secretOf(wrong)).to.equal(secret); // the same secret until confirmed
      const codesPage = await submit(browser, enrol, /\/enrol/, { code: await totp(secret) });
      recoveryCodes = recoveryCodesOf(codesPage);
      expect(recoveryCodes).to.have.length(10);
      expect(new Set(recoveryCodes).size).to.equal(10);
      const settings = await submit(browser, codesPage, /\/continue/, {});
      const tokens = await exchange(portal, toRp(settings, start));
      expect(tokens.claims()).to.include({ acr: ACR_TWO_FACTORS });
      expect(tokens.claims()!.amr).to.deep.equal(['pwd', 'otp', 'mfa']);
      const totpRow = await store.forTenant('lille').mfa.totpOf(account.id);
      expect(totpRow?.secret).to.be.a('string').and.not.include(secret); // encrypted at rest
      expect((await events(store, 'lille', account.id)).map((e) => e.type)).to.include('mfa.enrolled');
    });

    it('asks for the code at sign-in, refuses a replayed code, accepts the next one', async () => {
      const browser = new Browser();
      const { page, start } = await loginPage(browser, portal);
      const mfa = await submit(browser, page, /\/login/, { login: 'lea.totp', password: PASSWORD });
      expect(mfa.status).to.equal(200);
      expect(mfa.body).to.include('Vérification en deux étapes');
      const used = await totp(secret); // used at enrolment, within this 30 s step or the last
      const replayed = await submit(browser, mfa, /\/mfa/, { code: used });
      expect(replayed.status).to.equal(401);
      expect(alertOf(replayed)).to.match(/déjà été utilisé|pas valide/);
      const next = await submit(browser, mfa, /\/mfa/, { code: await totp(secret, 1) });
      const tokens = await exchange(portal, toRp(next, start));
      expect(tokens.claims()!.amr).to.deep.equal(['pwd', 'otp', 'mfa']);
      const again = await loginPage(new Browser(), portal);
      const secondTry = await submit(new Browser(), again.page, /\/login/, { login: 'lea.totp', password: PASSWORD });
      expect(secondTry.location ?? '').not.to.include(REDIRECT);
    });

    it('never lets a password alone replace or remove the enrolled app', async () => {
      const browser = new Browser();
      const { page } = await loginPage(browser, portal);
      await submit(browser, page, /\/login/, { login: 'lea.totp', password: PASSWORD });
      const uid = /\/interaction\/([^/?]+)/.exec(formAction(page, /\/login/))![1]!;
      const enrolDirect = await browser.request(`${hub.url}/interaction/${uid}/enrol`);
      expect(enrolDirect.location).to.match(/\/mfa/);
      const removeDirect = await browser.request(`${hub.url}/interaction/${uid}/manage/remove`, { form: {} });
      expect(removeDirect.location).to.match(/\/mfa/);
      expect((await store.forTenant('lille').mfa.totpOf(account.id))?.confirmedAt).to.be.instanceOf(Date);
    });

    it('accepts each recovery code once, then shows the settings with the codes left', async () => {
      const browser = new Browser();
      const { page, start } = await loginPage(browser, portal);
      const mfa = await submit(browser, page, /\/login/, { login: 'lea.totp', password: PASSWORD });
      const recoveryForm = await browser.request(link(mfa, /recovery=1/));
      const settings = await submit(browser, recoveryForm, /recovery=1/, { recovery: recoveryCodes[0]!.toUpperCase() });
      expect(settings.body).to.include('Il vous en reste 9');
      toRp(await submit(browser, settings, /\/continue/, {}), start);
      expect((await events(store, 'lille', account.id)).map((e) => e.type)).to.include('mfa.recovery_code_used');

      const other = new Browser();
      const second = await loginPage(other, portal);
      const mfa2 = await submit(other, second.page, /\/login/, { login: 'lea.totp', password: PASSWORD });
      const reused = await submit(other, await other.request(link(mfa2, /recovery=1/)), /recovery=1/, { recovery: recoveryCodes[0]! });
      expect(reused.status).to.equal(401);
      expect(alertOf(reused)).to.include('code de secours n’est pas valide');
    });

    it('changes the password of an enrolled account only once the second factor passed', async () => {
      const browser = new Browser();
      const { page, start } = await loginPage(browser, portal);
      const form = await browser.request(link(page, /\/password/));
      const before = (await store.forTenant('lille').accounts.get(account.id)).passwordHash;
      const mfa = await submit(browser, form, /\/password/, { login: 'lea.totp', current: PASSWORD, password: NEW_PASSWORD, password2: NEW_PASSWORD });
      expect(mfa.body).to.include('Vérification en deux étapes');
      expect((await store.forTenant('lille').accounts.get(account.id)).passwordHash).to.equal(before);
      const settings = await submit(browser, await browser.request(link(mfa, /recovery=1/)), /recovery=1/, { recovery: recoveryCodes[2]! });
      expect((await store.forTenant('lille').accounts.get(account.id)).passwordHash).to.equal(before);
      const confirmation = await submit(browser, settings, /\/continue/, {});
      toRp(await throughConfirmation(browser, confirmation, 'Mot de passe changé'), start);
      const after = await store.forTenant('lille').accounts.get(account.id);
      expect(after.passwordHash).to.not.equal(before);
      expect(after.passwordChangedAt).to.be.instanceOf(Date);
      // Back to the fixture's password for the tests below, through the same path.
      const other = new Browser();
      const again = await loginPage(other, portal);
      const mfa2 = await submit(other, await other.request(link(again.page, /\/password/)), /\/password/, { login: 'lea.totp', current: NEW_PASSWORD, password: PASSWORD, password2: PASSWORD });
      const settings2 = await submit(other, await other.request(link(mfa2, /recovery=1/)), /recovery=1/, { recovery: recoveryCodes[3]! });
      toRp(await throughConfirmation(other, await submit(other, settings2, /\/continue/, {}), 'Mot de passe changé'), again.start);
    });

    it('can be turned off when the policy allows it', async () => {
      const browser = new Browser();
      const { page, start } = await loginPage(browser, portal);
      const mfa = await submit(browser, await browser.request(link(page, /intent=manage/)), /\/login/, { login: 'lea.totp', password: PASSWORD, intent: 'manage' });
      // Every code of the current window was used above (one is never accepted twice): a recovery code then.
      const settings = await submit(browser, await browser.request(link(mfa, /recovery=1/)), /recovery=1/, { recovery: recoveryCodes[1]! });
      expect(settings.body).to.include('Désactiver');
      const removed = await submit(browser, settings, /manage\/remove/, {});
      expect(removed.body).to.include('est désactivée');
      expect(await store.forTenant('lille').mfa.totpOf(account.id)).to.equal(null);
      toRp(await submit(browser, removed, /\/continue/, {}), start);
      expect((await events(store, 'lille', account.id)).map((e) => e.type)).to.include('mfa.removed');
    });
  });

  describe('MFA required by policy and requested by the RP', () => {
    it('blocks a staff member’s sign-in until an app is enrolled', async () => {
      await store.forTenant('lille').accounts.create({ login: 'sam.staff', firstName: 'Sam', lastName: 'Staff', profile: 'Personnel', status: 'active', passwordHash: await hashPassword(PASSWORD) });
      const browser = new Browser();
      const { page, start } = await loginPage(browser, portal);
      const enrol = await submit(browser, page, /\/login/, { login: 'sam.staff', password: PASSWORD });
      expect(enrol.status).to.equal(200);
      expect(enrol.body).to.include('obligatoire pour votre profil');
      // Skipping the enrolment leads back to it, never to the RP.
      const uid = /\/interaction\/([^/?]+)/.exec(formAction(enrol, /\/enrol/))![1]!;
      const skipped = await browser.follow(`${hub.url}/interaction/${uid}/continue`, REDIRECT, { form: {} });
      expect(skipped.location).to.equal(null);
      expect(skipped.body).to.include('obligatoire pour votre profil');
      const codes = await submit(browser, skipped, /\/enrol/, { code: await totp(secretOf(skipped)) });
      const settingsOrRp = await submit(browser, codes, /\/continue/, {});
      expect(decodeJwt((await exchange(portal, toRp(settingsOrRp, start))).id_token!).acr).to.equal(ACR_TWO_FACTORS);
    });

    it('steps up a one-factor session when the RP sends acr_values for two factors', async () => {
      const browser = new Browser();
      const first = await loginPage(browser, portal);
      const one = await exchange(portal, toRp(await submit(browser, first.page, /\/login/, { login: 'zoe.test', password: PASSWORD }), first.start));
      expect(one.claims()!.acr).to.equal(ACR_ONE_FACTOR);
      // The same session: silent for a plain request…
      const silent = await startAuthorization(portal);
      expect((await browser.follow(silent.url.href, REDIRECT)).location).to.match(/^https:\/\/rp\.example\/cb/);
      // …but two factors asked: the login page again, then the enrolment (none yet), then acr loa:2.
      const stepUp = await loginPage(browser, portal, { acr_values: ACR_TWO_FACTORS });
      expect(stepUp.page.status).to.equal(200);
      const enrol = await submit(browser, stepUp.page, /\/login/, { login: 'zoe.test', password: PASSWORD });
      expect(enrol.body).to.include('Activer la double authentification');
      const codes = await submit(browser, enrol, /\/enrol/, { code: await totp(secretOf(enrol)) });
      const tokens = await exchange(portal, toRp(await submit(browser, codes, /\/continue/, {}), stepUp.start));
      expect(tokens.claims()).to.include({ acr: ACR_TWO_FACTORS });
    });
  });
});

describe('brute-force protection shared by two hub processes', function () {
  this.timeout(120_000);
  let hubs: TestHub[];

  before(async () => {
    const redis = { url: await testRedisUrl(), keyPrefix: randomPrefix() };
    // Two processes of one deployment: one Redis (same prefix), one database.
    const first = await startTestHub({ config: { clients: testClients(), oidc: { resources: testResources }, redis, auth: { throttle: THROTTLE } } });
    const second = await startTestHub({ databaseUrl: first.config.database.url, config: { clients: testClients(), oidc: { resources: testResources }, redis, auth: { throttle: THROTTLE } } });
    hubs = [first, second];
    await seedPeople(first.hub.store);
  });
  after(async () => {
    for (const hub of hubs ?? []) await hub.stop();
  });

  async function attempt(hub: TestHub, login: string, password: string): Promise<Page> {
    const rp = await discover(hub.url, 'portal');
    const browser = new Browser();
    const { page } = await loginPage(browser, rp);
    return submit(browser, page, /\/login/, { login, password });
  }

  const normalize = (page: Page, login: string) => page.body.replace(/\/interaction\/[^/"?]+/g, '/interaction/UID').replaceAll(login, 'LOGIN');

  it('locks a login after 10 failures across both processes, with the same answers whether it exists or not', async () => {
    const known: Page[] = [];
    const unknown: Page[] = [];
    for (let i = 0; i < 50; i++) {
      const hub = hubs[i % 2]!;
      known.push(await attempt(hub, 'zoe.test', `wrong password ${i}`));
      unknown.push(await attempt(hub, 'nobody.here', `wrong password ${i}`));
    }
    expect(known.map((p) => p.status)).to.deep.equal(unknown.map((p) => p.status));
    expect(known.slice(0, 10).every((p) => p.status === 401)).to.equal(true);
    expect(known.slice(10).every((p) => p.status === 429)).to.equal(true);
    known.forEach((page, i) => expect(normalize(page, 'zoe.test')).to.equal(normalize(unknown[i]!, 'nobody.here')));
    expect(alertOf(known[49]!)).to.match(/Trop de tentatives pour cet identifiant/);
    // Locked: even the right password is refused, on either process.
    expect((await attempt(hubs[1]!, 'zoe.test', PASSWORD)).status).to.equal(429);
    const store = hubs[0]!.hub.store;
    const zoe = (await store.accounts.findByLogin('zoe.test'))!;
    const audit = await events(store, 'lille', zoe.id);
    expect(audit.filter((e) => e.type === 'account.locked')).to.have.length(1);
    expect(audit.filter((e) => e.type === 'login.failure')).to.have.length(10);
    expect((await events(store, null)).filter((e) => e.type === 'account.locked' && e.details.login === 'nobody.here')).to.have.length(1);
  });

  it('takes about as long for an unknown login as for a wrong password', async () => {
    const time = async (login: string) => {
      const started = process.hrtime.bigint();
      for (let i = 0; i < 6; i++) await attempt(hubs[0]!, login, `wrong ${i}`);
      return Number(process.hrtime.bigint() - started) / 1e6;
    };
    const [known, unknown] = [await time('marc.test'), await time('nobody.else')];
    expect(unknown / known).to.be.within(0.5, 2);
  });
});
