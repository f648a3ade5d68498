/**
 * What a person reads on the hub's pages, over HTTP against a running hub: the password rule
 * each page states (the server's policies, tenant overrides included), the activation form after
 * an error, error and expired pages (a sentence, a way back, the language switch, the technical
 * code in small print only), the confirmations, the TOTP link and the consent page.
 */
import { expect } from 'chai';
import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { generate } from 'otplib';
import { hashPassword } from '../../src/auth/passwords.js';
import { PROJECT_ROOT } from '../../src/config/load.js';
import { generateActivationCode, hashActivationCode } from '../../src/identity/activation-code.js';
import { escapeHtml } from '../../src/ui/html.js';
import { t } from '../../src/ui/i18n.js';
import type { NewAccount, PlatformStore } from '../../src/storage/ports/index.js';
import { Browser, formAction, hiddenInputs, type Page } from '../../testing/harness/browser.js';
import { PASSWORD, REDIRECT, seedPeople, testClients, testResources } from '../../testing/harness/fixtures.js';
import { startTestHub, type TestHub } from '../../testing/harness/hub.js';
import { discover, exchange, startAuthorization, type Authorization } from '../../testing/harness/rp.js';

const NEW_PASSWORD = 'trois petits chats gris';
const THROTTLE = { baseDelayMs: 1, maxDelayMs: 8 };
/** A third-party client (consent page) allowed every scope, so the page has to choose what to list. */
const PARTNER = { clientId: 'partner', name: 'Partenaire', redirectUris: [REDIRECT], scopes: ['openid', 'profile', 'email', 'ent', 'ent_children'] };
const NEVER = 'no-stop:';

/** The repository's tenants, Lille asking 9 characters of its pupils (the platform asks 8). */
function tenantsWithOverride(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hub-tenants-'));
  cpSync(join(PROJECT_ROOT, 'tenants'), dir, { recursive: true });
  appendFileSync(join(dir, 'lille.yaml'), '\nauth:\n  passwords:\n    Student: { minLength: 9 }\n');
  return dir;
}

async function loginPage(browser: Browser, rp: oidc.Configuration, extra: Record<string, string> = {}): Promise<{ page: Page; start: Omit<Authorization, 'callback'> }> {
  const start = await startAuthorization(rp, extra);
  return { page: await browser.follow(start.url.href, REDIRECT), start };
}

function link(page: Page, pattern: RegExp): string {
  const href = [...page.body.matchAll(/<a [^>]*href="([^"]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&')).find((h) => pattern.test(h));
  if (!href) throw new Error(`no link ${pattern} in ${page.url}: ${page.body.slice(0, 400)}`);
  return new URL(href, page.url).href;
}

function submit(browser: Browser, page: Page, action: RegExp, form: Record<string, string>): Promise<Page> {
  return browser.follow(formAction(page, action), REDIRECT, { form });
}

const langSwitchOf = (page: Page): string => link(page, /lang=(en|fr)/);
const alertOf = (page: Page): string => /role="alert">\s*<p>([^<]+)</.exec(page.body)?.[1] ?? '';
const hintOf = (page: Page): string => /<div class="hint" id="password-hint">([^]*?)<\/div>/.exec(page.body)?.[1] ?? '';
const inputOf = (page: Page, name: string): string => new RegExp(`<input [^>]*name="${name}"[^>]*>`).exec(page.body)?.[0] ?? '';
const text = (key: Parameters<typeof t>[1], vars?: Record<string, string>, lang: 'fr' | 'en' = 'fr') => escapeHtml(t(lang, key, vars));

describe('interaction pages over HTTP: what a person reads', function () {
  this.timeout(60_000);
  let tenantsDir: string;
  let hub: TestHub;
  let store: PlatformStore;
  let portal: oidc.Configuration;
  let partner: oidc.Configuration;

  before(async () => {
    tenantsDir = tenantsWithOverride();
    hub = await startTestHub({
      config: { clients: [...testClients(), PARTNER], oidc: { resources: testResources }, tenants: { dir: tenantsDir }, auth: { throttle: THROTTLE, mfa: { Personnel: 'required' } } },
    });
    store = hub.hub.store;
    await seedPeople(store);
    portal = await discover(hub.url, 'portal');
    partner = await discover(hub.url, 'partner');
  });
  after(async () => {
    await hub?.stop();
    rmSync(tenantsDir, { recursive: true, force: true });
  });

  async function pending(fields: Partial<NewAccount> & Pick<NewAccount, 'login'>): Promise<string> {
    const code = generateActivationCode();
    await store.forTenant('lille').accounts.create({ firstName: 'Inès', lastName: 'Lefèvre', profile: 'Student', status: 'pending', source: 'AC-LILLE', activationCodeHash: hashActivationCode(code), ...fields });
    return code;
  }
  async function activationPage(browser: Browser): Promise<Page> {
    return browser.request(link((await loginPage(browser, portal)).page, /\/activate/));
  }
  async function tryActivation(form: Record<string, string>): Promise<Page> {
    const browser = new Browser();
    return submit(browser, await activationPage(browser), /\/activate/, form);
  }
  const activation = (login: string, code: string, extra: Record<string, string> = {}) => ({
    login, code, password: NEW_PASSWORD, password2: NEW_PASSWORD, terms: hub.config.auth.termsVersion, email: '', ...extra,
  });

  describe('the password rule', () => {
    /** Every profile's rule of every tenant: the platform's, and Lille's 9 for its pupils. */
    const EVERY_PROFILE =
      'avoir au moins 8 à 9\u00a0caractères (selon l’établissement) pour les élèves, 10\u00a0caractères pour les parents et 12\u00a0caractères pour les enseignants, les personnels et les invités';

    it('states every profile’s rule of every tenant before the account is known, on both pages', async () => {
      const browser = new Browser();
      const { page } = await loginPage(browser, portal);
      for (const form of [await browser.request(link(page, /\/activate/)), await browser.request(link(page, /\/password/))]) {
        expect(form.status).to.equal(200);
        const hint = hintOf(form);
        expect(hint).to.include(text('rule.introProfiles')).and.include(`<li>${EVERY_PROFILE}</li>`);
        expect(hint).to.include(`<li>${text('rule.max', { max: '128' })}</li>`).and.include(`<li>${text('rule.common')}</li>`).and.include(`<li>${text('rule.personal')}</li>`);
        expect(hint).to.not.include(text('rule.introAccount'));
      }
    });

    it('states the account’s own rule (its tenant’s override) once its activation code is right, the rule the server applies', async () => {
      const code = await pending({ login: 'rule.pupil' });
      const short = await tryActivation(activation('rule.pupil', code, { password: 'girafe78', password2: 'girafe78' }));
      expect(short.status).to.equal(400);
      expect(alertOf(short)).to.include('au moins 9');
      expect(hintOf(short)).to.include(text('rule.introAccount')).and.include(`<li>${text('rule.length', { min: '9', max: '128' })}</li>`);
      expect(hintOf(short)).to.not.include('pour les parents');
      const mismatch = await tryActivation(activation('rule.pupil', code, { password2: 'autre chose encore' }));
      expect(hintOf(mismatch)).to.include(text('rule.length', { min: '9', max: '128' }));
      expect((await tryActivation(activation('rule.pupil', code, { password: 'girafe789', password2: 'girafe789' }))).body).to.include('<h1>Compte activé</h1>');
    });

    it('tells nothing of a login before its code is right: a wrong code and an unknown login get the same page', async () => {
      await pending({ login: 'rule.teacher', profile: 'Teacher' });
      const wrongCode = generateActivationCode();
      const wrong = await tryActivation(activation('rule.teacher', wrongCode));
      const unknown = await tryActivation(activation('rule.nobody', wrongCode));
      const normalize = (page: Page) => page.body.replace(/\/interaction\/[^/"?]+/g, '/interaction/UID').replace(/value="rule\.(teacher|nobody)"/, '').replace(/<code>[^<]+<\/code>/g, '');
      expect(wrong.status).to.equal(401);
      expect(normalize(wrong)).to.equal(normalize(unknown));
      expect(hintOf(wrong)).to.include(text('rule.introProfiles')).and.not.include(text('rule.introAccount'));
    });

    it('states the account’s rule on the password change page once the current password is right, not before', async () => {
      await store.forTenant('lille').accounts.create({ login: 'rule.parent', firstName: 'Paule', lastName: 'Règle', profile: 'Relative', status: 'active', passwordHash: await hashPassword(PASSWORD) });
      const browser = new Browser();
      const form = await browser.request(link((await loginPage(browser, portal)).page, /\/password/));
      const wrongCurrent = await submit(browser, form, /\/password/, { login: 'rule.parent', current: 'not the password', password: NEW_PASSWORD, password2: NEW_PASSWORD });
      expect(wrongCurrent.status).to.equal(401);
      expect(hintOf(wrongCurrent)).to.include(text('rule.introProfiles')).and.not.include(text('rule.introAccount'));
      const same = await submit(browser, form, /\/password/, { login: 'rule.parent', current: PASSWORD, password: PASSWORD, password2: PASSWORD });
      expect(same.status).to.equal(400);
      expect(hintOf(same)).to.include(text('rule.introAccount')).and.include(`<li>${text('rule.length', { min: '10', max: '128' })}</li>`);
    });
  });

  describe('the activation form after an error', () => {
    it('keeps the login, the code and the ticked terms box, never the passwords', async () => {
      const code = await pending({ login: 'keep.fields' });
      for (const page of [
        await tryActivation(activation('keep.fields', code, { password2: 'autre chose encore' })),
        await tryActivation(activation('keep.fields', 'abcd-wxyz')),
      ]) {
        expect(page.status).to.be.oneOf([400, 401]);
        expect(inputOf(page, 'login')).to.include('value="keep.fields"');
        expect(inputOf(page, 'terms')).to.match(/\schecked\b/);
        expect(inputOf(page, 'password')).to.not.include('value=');
        expect(inputOf(page, 'password2')).to.not.include('value=');
        expect(page.body).to.not.include(NEW_PASSWORD).and.not.include('autre chose encore');
      }
      expect(inputOf(await tryActivation(activation('keep.fields', code, { password2: 'x' })), 'code')).to.include(`value="${code}"`);
      expect(inputOf(await tryActivation(activation('keep.fields', 'abcd-wxyz')), 'code')).to.include('value="abcd-wxyz"');
    });

    it('leaves the terms box unticked when it was not ticked', async () => {
      const code = await pending({ login: 'keep.noterms' });
      const page = await tryActivation(activation('keep.noterms', code, { terms: '' }));
      expect(alertOf(page)).to.include('charte');
      expect(inputOf(page, 'terms')).to.not.include('checked');
      expect(inputOf(page, 'code')).to.include(`value="${code}"`);
    });
  });

  describe('error pages', () => {
    it('an unregistered redirect_uri: a French sentence, the OAuth code in small print, no protocol text, and English on the switch', async () => {
      const { url } = await startAuthorization(portal);
      url.searchParams.set('redirect_uri', `${REDIRECT}/../evil`);
      const browser = new Browser();
      const page = await browser.request(url.href);
      expect(page.status).to.equal(400);
      expect(page.body).to.not.match(/did not match|redirect_uris|error_description/);
      expect(page.body).to.include(`<p class="lead">${text('error.invalid_redirect_uri.text')}</p>`);
      expect(page.body).to.match(/<p class="fine-print">Erreur 400 · Code technique\u00a0: <code>invalid_redirect_uri<\/code><\/p>/);
      expect(page.body).to.match(/Code à communiquer à l’assistance\u00a0: <code>[^<]+<\/code>/);
      const english = await browser.request(langSwitchOf(page));
      expect(english.status).to.equal(400);
      expect(english.body).to.include('<html lang="en">').and.include(text('error.invalid_redirect_uri.text', undefined, 'en'));
    });

    it('a sign-out with a stale form: says it is not done, and offers to sign out again', async () => {
      const page = await new Browser().request(`${hub.url}/session/end/confirm`, { form: { xsrf: 'stale', logout: 'yes' } });
      expect(page.status).to.equal(400);
      expect(page.body).to.include(`<h1>${text('error.logout_failed.title')}</h1>`).and.include(text('error.logout_failed.text'));
      expect(page.body).to.include(`href="/session/end?lang=fr">${text('error.logout_restart')}</a>`);
      expect(page.body).to.not.match(/xsrf|could not find|logout details/i);
    });

    it('a refused consent: the RP gets access_denied, the hub shows no text of it', async () => {
      const browser = new Browser();
      const { page } = await loginPage(browser, partner);
      const consent = await submit(browser, page, /\/login/, { login: 'zoe.test', password: PASSWORD });
      const denied = await browser.request(formAction(consent, /\/abort/), { form: {} });
      expect(denied.status).to.equal(303);
      expect(denied.body).to.not.include('denied the request');
      const back = await browser.follow(denied.location!, REDIRECT);
      expect(new URL(back.location!).searchParams.get('error')).to.equal('access_denied');
    });

    it('an unknown sign-in: says how to start again from the application, with the language switch', async () => {
      const browser = new Browser();
      const page = await browser.request(`${hub.url}/interaction/no-such-interaction`);
      expect(page.status).to.equal(400);
      expect(page.body).to.include(text('error.expired_interaction.text')).and.include(text('error.expired_interaction.how'));
      expect(page.body).to.not.include('button--primary');
      expect(page.body).to.match(/<code>expired_interaction<\/code>/);
      const english = await browser.request(langSwitchOf(page));
      expect(english.body).to.include('<html lang="en">').and.include(text('error.expired_interaction.how', undefined, 'en'));
    });

    it('a finished step’s page (back button): restarts the sign-in, which goes on where the session is', async () => {
      const browser = new Browser();
      const { page } = await loginPage(browser, partner);
      const consent = await submit(browser, page, /\/login/, { login: 'zoe.test', password: PASSWORD });
      expect(consent.body).to.include('/confirm');
      const over = await submit(browser, page, /\/login/, { login: 'zoe.test', password: PASSWORD });
      expect(over.status).to.equal(400);
      expect(over.body).to.include(`>${text('error.restart', { client: 'Partenaire' })}</a>`);
      const again = await browser.follow(link(over, /\/auth\?/), REDIRECT);
      expect(again.status).to.equal(200);
      expect(again.body).to.include(`${t('fr', 'consent.allow')}</button>`);
    });

    it('an action of another step of the same sign-in: offers to resume it where it is', async () => {
      const browser = new Browser();
      const { page } = await loginPage(browser, partner);
      const consent = await submit(browser, page, /\/login/, { login: 'zoe.test', password: PASSWORD });
      const uid = /\/interaction\/([^/?]+)\/confirm/.exec(formAction(consent, /\/confirm/))![1]!;
      const stale = await browser.request(`${hub.url}/interaction/${uid}/activate`);
      expect(stale.status).to.equal(400);
      expect(stale.body).to.include(`<h1>${text('error.stale_step.title')}</h1>`).and.include(text('error.stale_step.text'));
      const resumed = await browser.request(link(stale, new RegExp(`/interaction/${uid}\\?lang=fr$`)));
      expect(resumed.status).to.equal(200);
      expect(resumed.body).to.include(`${t('fr', 'consent.allow')}</button>`);
    });
  });

  describe('after signing out', () => {
    async function signedInLogoutForm(browser: Browser): Promise<Page> {
      const { page, start } = await loginPage(browser, portal);
      const done = await submit(browser, page, /\/login/, { login: 'zoe.test', password: PASSWORD });
      const tokens = await exchange(portal, { ...start, callback: new URL(done.location!) });
      return browser.request(oidc.buildEndSessionUrl(portal, { id_token_hint: tokens.id_token! }).href);
    }

    it('everywhere: confirms that the ENT and all its applications are signed out', async () => {
      const browser = new Browser();
      const confirm = await signedInLogoutForm(browser);
      const done = await browser.follow(formAction(confirm, /\/session\/end\/confirm/), NEVER, { form: { ...hiddenInputs(confirm), logout: 'yes' } });
      expect(done.status).to.equal(200);
      expect(done.body).to.include(`<div class="notice" role="status"><p>${text('loggedOut.text')}</p></div>`);
      expect(done.body).to.not.include(text('loggedOut.stillSignedIn'));
      expect(done.body).to.include('hreflang="en"');
    });

    it('from one application only: says so, that the ENT session goes on, and links to signing out of it', async () => {
      const browser = new Browser();
      const confirm = await signedInLogoutForm(browser);
      const done = await browser.follow(formAction(confirm, /\/session\/end\/confirm/), NEVER, { form: hiddenInputs(confirm) });
      expect(done.status).to.equal(200);
      expect(done.body).to.include('<strong class="client-name">Portail (first party)</strong>').and.include(text('loggedOut.stillSignedIn'));
      expect(done.body).to.not.include(text('loggedOut.text'));
      const again = await browser.request(link(done, /\/session\/end\?lang=fr$/));
      expect(again.status).to.equal(200);
      expect(again.body).to.include('name="logout" value="yes"');
    });
  });

  describe('the confirmation of an activation', () => {
    it('comes once every factor passed: after the enrolment a staff member must do, then the sign-in goes on', async () => {
      const code = await pending({ login: 'done.staff', profile: 'Personnel' });
      const browser = new Browser();
      const start = await loginPage(browser, portal);
      const form = await browser.request(link(start.page, /\/activate/));
      const enrol = await submit(browser, form, /\/activate/, activation('done.staff', code));
      expect(enrol.body).to.include('obligatoire pour votre profil').and.not.include('Compte activé');
      const key = /<code class="secret">([^<]+)</.exec(enrol.body)![1]!.replace(/\s/g, '');
      const codes = await submit(browser, enrol, /\/enrol/, { code: await generate({ secret: key }) });
      const done = await submit(browser, codes, /\/continue/, {});
      expect(done.body).to.include('<h1>Compte activé</h1>').and.include('«\u00a0done.staff\u00a0»');
      expect(done.body).to.include(`${text('done.continue', { client: '' }).split('«')[0]}«\u00a0<strong class="client-name">Portail (first party)</strong>`);
      const atRp = await submit(browser, done, /\/continue/, {});
      const tokens = await exchange(portal, { ...start.start, callback: new URL(atRp.location!) });
      expect(tokens.claims()!.amr).to.deep.equal(['pwd', 'otp', 'mfa']);
    });

    it('is not shown without a change to confirm: its address leads back to the sign-in', async () => {
      const browser = new Browser();
      const { page } = await loginPage(browser, portal);
      const uid = /\/interaction\/([^/?]+)\/login/.exec(formAction(page, /\/login/))![1]!;
      const mfa = await submit(browser, page, /\/login/, { login: 'otp.none', password: PASSWORD });
      expect(mfa.status).to.equal(401);
      const done = await browser.request(`${hub.url}/interaction/${uid}/done`);
      expect(done.status).to.equal(303);
      expect(done.location).to.equal(`${hub.url}/interaction/${uid}?lang=fr`);
    });
  });

  describe('TOTP enrolment', () => {
    it('has an otpauth:// link, holding the key the page shows, beside the QR code', async () => {
      await store.forTenant('lille').accounts.create({ login: 'otp.link', firstName: 'Otto', lastName: 'Lien', profile: 'Teacher', status: 'active', passwordHash: await hashPassword(PASSWORD) });
      const browser = new Browser();
      const { page } = await loginPage(browser, portal);
      const manage = await submit(browser, await browser.request(link(page, /intent=manage/)), /\/login/, { login: 'otp.link', password: PASSWORD, intent: 'manage' });
      const enrol = await browser.follow(formAction(manage, /manage\/enrol/), REDIRECT, { form: {} });
      expect(enrol.status).to.equal(200);
      const key = /<code class="secret">([^<]+)</.exec(enrol.body)![1]!.replace(/\s/g, '');
      const href = /<a class="otpauth-link" href="([^"]+)">/.exec(enrol.body)?.[1]?.replace(/&amp;/g, '&') ?? '';
      expect(href).to.match(/^otpauth:\/\/totp\//);
      expect(new URL(href).searchParams.get('secret')).to.equal(key);
      expect(enrol.body.indexOf('otpauth-link')).to.be.greaterThan(enrol.body.indexOf('<figure class="qr"'));
    });
  });

  describe('the consent page', () => {
    const ALL_SCOPES = { scope: 'openid profile email ent ent_children' };

    it('for a pupil: names the account, and lists neither children nor an e-mail it does not have', async () => {
      const browser = new Browser();
      const { page } = await loginPage(browser, partner, ALL_SCOPES);
      const consent = await submit(browser, page, /\/login/, { login: 'zoe.test', password: PASSWORD });
      expect(consent.status).to.equal(200);
      expect(consent.body).to.match(/<p id="consent-account">[^]*<strong>Zoé Test<\/strong>[^]*<strong>zoe\.test<\/strong>/);
      expect(consent.body).to.not.include(text('scope.ent_children')).and.not.include(text('scope.email'));
      expect(consent.body).to.include('<li>Votre profil ENT (élève), votre établissement et votre classe</li>');
      expect(consent.body).to.include(`<li>${text('scope.profile')}</li>`);
    });

    it('for a parent: lists the children and the e-mail, and the grant gives them', async () => {
      const browser = new Browser();
      const { page, start } = await loginPage(browser, partner, ALL_SCOPES);
      const consent = await submit(browser, page, /\/login/, { login: 'marc.test', password: PASSWORD });
      expect(consent.body).to.include('<strong>Marc Test</strong>').and.include('<strong>marc.test</strong>');
      expect(consent.body).to.include(`<li>${text('scope.ent_children')}</li>`).and.include(`<li>${text('scope.email')}</li>`);
      expect(consent.body).to.include('<li>Votre profil ENT (parent)</li>');
      const done = await submit(browser, consent, /\/confirm/, {});
      const tokens = await exchange(partner, { ...start, callback: new URL(done.location!) });
      const info = await oidc.fetchUserInfo(partner, tokens.access_token, tokens.claims()!.sub);
      expect(info.email).to.equal('marc@example.org');
      expect(info.children).to.have.length(1);
    });
  });
});

describe('interaction pages over HTTP: an expired sign-in', function () {
  this.timeout(30_000);
  let hub: TestHub;
  before(async () => {
    hub = await startTestHub({ redis: 'memory', config: { clients: testClients(), oidc: { resources: testResources, ttl: { interaction: 3 } } } });
    await seedPeople(hub.hub.store);
  });
  after(() => hub?.stop());

  it('offers to restart the same sign-in at the application’s request, and the language switch', async () => {
    const portal = await discover(hub.url, 'portal');
    const browser = new Browser();
    const { page, start } = await loginPage(browser, portal);
    // Expiry counts in whole seconds: 3 s leaves the restarted sign-in at least 2 s to finish.
    await new Promise((r) => setTimeout(r, 4000));
    const expired = await submit(browser, page, /\/login/, { login: 'zoe.test', password: PASSWORD });
    expect(expired.status).to.equal(400);
    expect(expired.body).to.include(text('error.expired_interaction.text')).and.include(text('error.expired_interaction.why'));
    expect(expired.body).to.include(`>${text('error.restart', { client: 'Portail (first party)' })}</a>`);
    // After a POST, the switch shows the interaction's own page in the other language.
    const english = await browser.request(langSwitchOf(expired));
    expect(english.status).to.equal(400);
    expect(english.body).to.include('<html lang="en">').and.include(text('error.restart', { client: 'Portail (first party)' }, 'en'));
    // The restart link sends the RP's request again: a new sign-in that ends at the RP with its state.
    const restart = link(expired, /\/auth\?/);
    expect(new URL(restart).searchParams.get('state')).to.equal(start.state);
    const fresh = await browser.follow(restart, REDIRECT);
    expect(fresh.status).to.equal(200);
    const done = await submit(browser, fresh, /\/login/, { login: 'zoe.test', password: PASSWORD });
    const tokens = await exchange(portal, { ...start, callback: new URL(done.location!) });
    expect(tokens.claims()!.sub).to.be.a('string');
  });
});
