import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { html, raw, escapeHtml, safeOtpauthUrl, safeUrl } from '../../src/ui/html.js';
import { catalogues, isMessageKey, pickLang, t, type Lang, type MessageKey } from '../../src/ui/i18n.js';
import { renderAccountDone, renderActivation, renderEnrolment, renderMfaManagement, renderPasswordChange, renderRecoveryCodes, renderSecondFactor, type PasswordRule } from '../../src/login-pages/views/account-pages.js';
import { passwordPolicySchema } from '../../src/auth/password-policy.js';
import { choicesHtml, renderAccountChoice, renderFailure, renderLoggedOut as renderFederationLoggedOut, renderNoAccount, renderStaffChoice } from '../../src/federation/http/pages.js';
import type { Account } from '../../src/storage/ports/index.js';
import { describeScope, renderConsent, renderLoggedOut, renderLogoutConfirm } from '../../src/oidc/views/pages.js';
import { renderLogin } from '../../src/login-pages/views/login-page.js';
import { layout } from '../../src/ui/layout.js';
import { renderError } from '../../src/ui/error-page.js';

const EVIL = '<script>alert(1)</script>';
const EVIL_ESCAPED = '&lt;script&gt;alert(1)&lt;/script&gt;';
/** The rules pages state: one account's policy, or what holds for every profile. */
const TEACHER_RULE: PasswordRule = { kind: 'account', policy: passwordPolicySchema.parse({}) };
const ANY_RULE: PasswordRule = {
  kind: 'profiles',
  summary: { minLength: [{ keys: ['Student'], range: { low: 8, high: 8 } }, { keys: ['Teacher', 'Personnel'], range: { low: 12, high: 12 } }], maxLength: { low: 128, high: 128 }, refuseCommon: true, refusePersonal: true },
};
const LOGOUT_FORM =
  '<form id="op.logoutForm" method="post" action="https://hub.example/session/end/confirm"><input type="hidden" name="xsrf" value="abc123"/></form>';

/** One rendering of every page, in both languages, with hostile values wherever text goes. */
function allPages(lang: Lang): Record<string, string> {
  const base = { lang, langSwitchUrl: '/i?lang=en' };
  return {
    login: renderLogin({ lang, action: '/interaction/abc/login', clientName: EVIL, langSwitchUrl: '/interaction/abc?lang=en' }),
    loginError: renderLogin({
      lang,
      action: '/interaction/abc/login',
      clientName: EVIL,
      login: EVIL,
      error: 'invalid_credentials',
      langSwitchUrl: '/interaction/abc?lang=en',
    }),
    loginMissing: renderLogin({ lang, action: '/i/login', clientName: 'Pronote', error: 'missing_fields', langSwitchUrl: '/i?lang=en' }),
    consent: renderConsent({
      lang,
      action: '/interaction/abc/confirm',
      abortAction: '/interaction/abc/abort',
      clientName: EVIL,
      scopes: ['openid', 'profile', 'ent', EVIL],
      langSwitchUrl: '/interaction/abc?lang=en',
      account: { name: EVIL, login: EVIL, profile: 'Student', structures: 1, classes: 1 },
    }),
    error: renderError({ lang, status: 400, kind: 'invalid_request', detail: EVIL, code: EVIL, requestId: EVIL }),
    expired: renderError({ lang, status: 400, kind: 'expired_interaction', requestId: 'r1', langSwitchUrl: '/interaction/abc?lang=en', action: { href: '/auth?client_id=x', label: EVIL } }),
    logout: renderLogoutConfirm({ lang, formHtml: LOGOUT_FORM, formId: 'op.logoutForm', clientName: EVIL }),
    loggedOut: renderLoggedOut({ lang, clientName: EVIL, everywhereUrl: '/session/end?lang=fr' }),
    loggedOutEverywhere: renderLoggedOut({ lang, langSwitchUrl: '/session/end/success?lang=en' }),
    loginLinks: renderLogin({ lang, action: '/i/login', clientName: EVIL, langSwitchUrl: '/i?lang=en', intent: 'manage', links: { activate: '/i/activate', changePassword: '/i/password', security: '/i?intent=manage' }, error: 'locked', retryMinutes: 15 }),
    activation: renderActivation({ ...base, action: '/i/activate', backUrl: '/i', termsVersion: '2026-09', rule: ANY_RULE, login: EVIL, email: EVIL }),
    activationError: renderActivation({ ...base, action: '/i/activate', backUrl: '/i', termsVersion: '2026-09', rule: TEACHER_RULE, login: EVIL, code: EVIL, termsAccepted: true, error: { key: 'form.error.too_short', vars: { min: '12' }, fields: ['password', 'password2', 'terms'] } }),
    passwordChange: renderPasswordChange({ ...base, action: '/i/password', backUrl: '/i', rule: ANY_RULE, login: EVIL, error: { key: 'form.error.invalid_credentials', fields: ['login', 'current'] } }),
    accountDone: renderAccountDone({ ...base, what: 'activated', login: EVIL, clientName: EVIL, action: '/i/continue' }),
    passwordDone: renderAccountDone({ ...base, what: 'password_changed', login: EVIL, clientName: EVIL, action: '/i/continue' }),
    secondFactor: renderSecondFactor({ ...base, action: '/i/mfa', switchUrl: '/i/mfa?recovery=1', recovery: false, error: { key: 'mfa.error.replayed', fields: ['code'] } }),
    recoveryForm: renderSecondFactor({ ...base, action: '/i/mfa?recovery=1', switchUrl: '/i/mfa', recovery: true }),
    enrolment: renderEnrolment({ ...base, action: '/i/enrol', required: true, qrSvg: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><path d="M0 0h1v1H0z"/></svg>', manualKey: EVIL, otpauthUrl: 'otpauth://totp/ENT:lea?secret=ABC&issuer=ENT' }),
    recoveryCodes: renderRecoveryCodes({ ...base, action: '/i/continue', codes: ['abcde-fghjk', EVIL] }),
    loginWithChoices: renderLogin({ lang, action: '/i/login', clientName: EVIL, langSwitchUrl: '/i?lang=en', choices: choicesHtml(lang, [{ href: '/federation/start/educonnect?uid=abc', label: EVIL, lastUsed: true }, { href: '/federation/staff?uid=abc', label: 'Personnel' }]) }),
    staffChoice: renderStaffChoice({ ...base, choices: [{ href: '/federation/start/lille-agents?uid=abc', label: EVIL }], backUrl: '/i' }),
    accountChoice: renderAccountChoice({ lang, action: '/federation/choose', accounts: [{ id: 'a1', login: EVIL, displayName: EVIL, profile: 'Student', tenantName: 'Académie de Lille' } as Account & { tenantName: string }] }),
    noAccountFamily: renderNoAccount({ lang, kind: 'family', backUrl: '/i' }),
    noAccountStaff: renderNoAccount({ lang, kind: 'staff', backUrl: '/i' }),
    federationFailure: renderFailure({ lang, status: 401, reason: 'signature', requestId: EVIL, backUrl: '/i' }),
    federationExpired: renderFailure({ lang, status: 400, reason: 'expired_interaction', requestId: 'r1', langSwitchUrl: '/federation/x?lang=en' }),
    federationLoggedOut: renderFederationLoggedOut({ lang, complete: true }),
    mfaSettings: renderMfaManagement({ ...base, enrolled: true, required: false, remainingCodes: 9, notice: 'mfa.recoveryUsed', noticeVars: { count: '9' }, enrolAction: '/i/manage/enrol', removeAction: '/i/manage/remove', continueAction: '/i/continue' }),
  };
}

/** Pages with no value a user or an RP controls. */
const WITHOUT_HOSTILE_VALUES = new Set(['loginMissing', 'secondFactor', 'recoveryForm', 'mfaSettings', 'noAccountFamily', 'noAccountStaff', 'federationLoggedOut', 'loggedOutEverywhere', 'federationExpired']);

const LANGS: Lang[] = ['fr', 'en'];

/** Every value of `attr` in the document. */
function attrValues(doc: string, attr: string): string[] {
  return [...doc.matchAll(new RegExp(`\\s${attr}="([^"]*)"`, 'g'))].map((m) => m[1] ?? '');
}

/** The opening tag of the element with this id. */
function tagWithId(doc: string, id: string): string {
  const match = doc.match(new RegExp(`<[a-z]+[^>]*\\sid="${id.replace(/\./g, '\\.')}"[^>]*>`));
  expect(match, `element #${id}`).to.not.equal(null);
  return match?.[0] ?? '';
}

describe('views/html', () => {
  it('escapes interpolated text, including quotes for attributes', () => {
    expect(html`<p title="${`"'x`}">${EVIL}</p>`.toString()).to.equal(`<p title="&quot;&#39;x">${EVIL_ESCAPED}</p>`);
  });

  it('keeps raw() and nested html as is, and joins arrays', () => {
    const items = ['a<', 'b'].map((s) => html`<li>${s}</li>`);
    expect(html`<ul>${items}</ul>${raw('<hr>')}`.toString()).to.equal('<ul><li>a&lt;</li><li>b</li></ul><hr>');
  });

  it('renders nothing for null, undefined and false, and numbers as text', () => {
    expect(html`[${null}${undefined}${false}${404}]`.toString()).to.equal('[404]');
  });

  it('does not treat a look-alike object as safe', () => {
    const fake = { toString: () => '<b>' } as unknown as string;
    expect(html`${fake}`.toString()).to.equal('&lt;b&gt;');
  });

  it('escapeHtml escapes & < > " \' `', () => {
    expect(escapeHtml(`&<>"'\``)).to.equal('&amp;&lt;&gt;&quot;&#39;&#96;');
  });

  it('safeUrl keeps relative and http(s) URLs and neutralises script URLs', () => {
    expect(safeUrl('/interaction/abc?lang=en')).to.equal('/interaction/abc?lang=en');
    expect(safeUrl('?lang=en')).to.equal('?lang=en');
    expect(safeUrl('https://hub.example/x')).to.equal('https://hub.example/x');
    expect(safeUrl('javascript:alert(1)')).to.equal('#');
    expect(safeUrl(' JavaScript:alert(1)')).to.equal('#');
    expect(safeUrl('data:text/html,x')).to.equal('#');
  });

  it('safeOtpauthUrl keeps an otpauth://totp/ URI and nothing else', () => {
    expect(safeOtpauthUrl('otpauth://totp/ENT:lea?secret=ABC&issuer=ENT')).to.equal('otpauth://totp/ENT:lea?secret=ABC&issuer=ENT');
    expect(safeUrl('otpauth://totp/ENT:lea?secret=ABC')).to.equal('#');
    expect(safeOtpauthUrl('javascript:alert(1)//otpauth://totp/')).to.equal('#');
    expect(safeOtpauthUrl('otpauth://totp/x y')).to.equal('#');
    expect(safeOtpauthUrl('https://example.org/')).to.equal('#');
  });
});

describe('views/i18n', () => {
  describe('pickLang', () => {
    it('defaults to French', () => {
      expect(pickLang({})).to.equal('fr');
      expect(pickLang({ query: '', uiLocales: '', acceptLanguage: '' })).to.equal('fr');
    });

    it('prefers ?lang= over ui_locales and Accept-Language', () => {
      expect(pickLang({ query: 'en', uiLocales: 'fr', acceptLanguage: 'fr' })).to.equal('en');
      expect(pickLang({ query: 'fr', uiLocales: 'en', acceptLanguage: 'en' })).to.equal('fr');
    });

    it('accepts a whole query string as well as the bare value', () => {
      expect(pickLang({ query: 'lang=en&foo=1' })).to.equal('en');
      expect(pickLang({ query: '?foo=1&lang=en' })).to.equal('en');
      expect(pickLang({ query: '?foo=1', acceptLanguage: 'en' })).to.equal('en');
    });

    it('ignores an unsupported ?lang= and falls through', () => {
      expect(pickLang({ query: 'de', uiLocales: 'en' })).to.equal('en');
    });

    it('prefers ui_locales over Accept-Language, taking its first supported tag', () => {
      expect(pickLang({ uiLocales: 'en-GB fr', acceptLanguage: 'fr' })).to.equal('en');
      expect(pickLang({ uiLocales: 'de  es en-US', acceptLanguage: 'fr' })).to.equal('en');
      expect(pickLang({ uiLocales: 'de', acceptLanguage: 'en' })).to.equal('en');
    });

    it('honours Accept-Language q-values, not just order', () => {
      expect(pickLang({ acceptLanguage: 'fr;q=0.5, en;q=0.9' })).to.equal('en');
      expect(pickLang({ acceptLanguage: 'en;q=0.4, fr-FR;q=0.8' })).to.equal('fr');
      expect(pickLang({ acceptLanguage: 'de-DE, en-US;q=0.7, fr;q=0.6' })).to.equal('en');
      expect(pickLang({ acceptLanguage: 'EN-us' })).to.equal('en');
    });

    it('breaks Accept-Language ties by order and excludes q=0', () => {
      expect(pickLang({ acceptLanguage: 'en, fr' })).to.equal('en');
      expect(pickLang({ acceptLanguage: 'en;q=0, fr;q=0.1' })).to.equal('fr');
      expect(pickLang({ acceptLanguage: 'en;q=0' })).to.equal('fr');
    });

    it('falls back to French for unsupported or malformed headers', () => {
      expect(pickLang({ acceptLanguage: 'de, es;q=0.8' })).to.equal('fr');
      expect(pickLang({ acceptLanguage: '*' })).to.equal('fr');
      expect(pickLang({ acceptLanguage: ';;,,q=' })).to.equal('fr');
    });
  });

  describe('catalogue', () => {
    const frKeys = Object.keys(catalogues.fr).sort();
    const enKeys = Object.keys(catalogues.en).sort();

    it('has exactly the same keys in both languages', () => {
      expect(enKeys).to.deep.equal(frKeys);
    });

    it('has a non-empty message for every key in every language', () => {
      for (const lang of LANGS) {
        for (const key of frKeys) {
          expect(isMessageKey(key)).to.equal(true);
          expect(catalogues[lang][key as MessageKey].trim(), `${lang}:${key}`).to.not.equal('');
        }
      }
    });

    it('uses the same placeholders in both languages', () => {
      const placeholders = (s: string): string[] => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '').sort();
      for (const key of frKeys as MessageKey[]) {
        expect(placeholders(catalogues.en[key]), key).to.deep.equal(placeholders(catalogues.fr[key]));
      }
    });

    it('substitutes variables and leaves unknown placeholders', () => {
      expect(t('fr', 'error.status', { status: '404' })).to.equal('Erreur 404');
      expect(t('en', 'error.status')).to.equal('Error {status}');
    });

    it('describes every known scope, and names any other inside a sentence', () => {
      for (const scope of ['openid', 'profile', 'email', 'ent', 'ent_children', 'offline_access']) {
        for (const lang of LANGS) {
          expect(describeScope(lang, scope), `${lang}:${scope}`).to.not.equal(scope).and.not.equal(t(lang, 'scope.other', { scope }));
        }
      }
      expect(describeScope('fr', 'api:read')).to.equal('Un accès au service «\u00a0api:read\u00a0» de l’ENT');
      expect(describeScope('fr', 'toString')).to.include('«\u00a0toString\u00a0»');
    });
  });
});

describe('views/pages', () => {
  for (const lang of LANGS) {
    describe(`in ${lang}`, () => {
      const pages = allPages(lang);

      for (const [name, doc] of Object.entries(pages)) {
        describe(`${name} page`, () => {
          it('is a full document with the right lang, a viewport and a title', () => {
            expect(doc).to.match(/^<!doctype html>/);
            expect(doc).to.include(`<html lang="${lang}">`);
            expect(doc).to.include('<meta name="viewport" content="width=device-width, initial-scale=1">');
            expect(doc).to.match(/<title>[^<]+<\/title>/);
            expect(doc.match(/<h1>/g)).to.have.length(1);
            expect(doc).to.include('ENT Hauts-de-France');
          });

          it('has no script, no inline style and no external resource but the stylesheet', () => {
            expect(doc).to.not.match(/<script/i);
            expect(doc).to.not.match(/<style/i);
            expect(doc).to.not.match(/\sstyle=/i);
            expect(doc).to.not.match(/\son[a-z]+=/i);
            expect(doc).to.not.match(/<(img|iframe|object|embed|video|audio|source)\b/i);
            expect(doc).to.not.match(/\ssrc=/i);
            const stylesheets = [...doc.matchAll(/<link\b[^>]*>/g)].map((m) => m[0]);
            expect(stylesheets).to.deep.equal(['<link rel="stylesheet" href="/assets/hub.css">']);
          });

          it('escapes hostile values', () => {
            expect(doc).to.not.include(EVIL);
            if (!WITHOUT_HOSTILE_VALUES.has(name)) expect(doc).to.include(EVIL_ESCAPED);
          });

          it('has unique ids, labels bound to existing inputs, and every visible input labelled', () => {
            const ids = attrValues(doc, 'id');
            expect(new Set(ids).size, 'unique ids').to.equal(ids.length);
            for (const target of attrValues(doc, 'for')) {
              expect(tagWithId(doc, target)).to.match(/^<(input|select|textarea)\b/);
            }
            const labelled = new Set(attrValues(doc, 'for'));
            for (const input of doc.match(/<input\b[^>]*>/g) ?? []) {
              if (/type="hidden"/.test(input)) continue;
              const id = input.match(/\sid="([^"]+)"/)?.[1];
              expect(id && labelled.has(id), input).to.equal(true);
            }
          });

          it('refers only to existing ids from aria-describedby, aria-labelledby and form=', () => {
            const ids = new Set(attrValues(doc, 'id'));
            for (const attr of ['aria-describedby', 'aria-labelledby', 'form']) {
              for (const ref of attrValues(doc, attr).flatMap((v) => v.split(/\s+/))) expect(ids.has(ref), `${attr}=${ref}`).to.equal(true);
            }
          });

          it('has the footer text', () => {
            expect(doc).to.include(escapeHtml(t(lang, 'site.footer')));
          });
        });
      }

      describe('login', () => {
        it('posts login and password to the action with autocomplete hints', () => {
          const doc = pages.login ?? '';
          expect(doc).to.include('<form class="form" method="post" action="/interaction/abc/login"');
          expect(tagWithId(doc, 'login')).to.include('name="login"').and.include('autocomplete="username"');
          expect(tagWithId(doc, 'password')).to.include('name="password"').and.include('type="password"').and.include('autocomplete="current-password"');
          expect(doc).to.include('<label for="login">').and.include('<label for="password">');
          expect(doc).to.include(`>${t(lang, 'login.submit')}</button>`);
        });

        it('has no error region and no aria-invalid without an error', () => {
          const doc = pages.login ?? '';
          expect(doc).to.not.include('role="alert"');
          expect(doc).to.not.include('aria-invalid');
        });

        it('offers the language switch to the other language', () => {
          const other = lang === 'fr' ? 'en' : 'fr';
          expect(pages.login).to.include(`href="/interaction/abc?lang=en" hreflang="${other}" lang="${other}"`);
        });

        it('announces an error with role=alert, and marks and describes the fields', () => {
          const doc = pages.loginError ?? '';
          expect(doc).to.match(/<div class="alert" id="login-error" role="alert">\s*<p>[^<]+<\/p>/);
          for (const id of ['login', 'password']) {
            expect(tagWithId(doc, id)).to.include('aria-invalid="true"').and.include('aria-describedby="login-error"');
          }
          expect(doc).to.match(new RegExp(`<title>${escapeHtml(t(lang, 'site.errorTitle', { title: '' }))}`));
        });

        it('keeps the typed login (escaped) but never a password value', () => {
          const doc = pages.loginError ?? '';
          expect(tagWithId(doc, 'login')).to.include(`value="${EVIL_ESCAPED}"`);
          expect(tagWithId(doc, 'password')).to.not.include('value=');
        });

        it('says the same thing for an unknown login and a wrong password', () => {
          const doc = pages.loginError ?? '';
          const expected = lang === 'fr' ? 'Identifiant ou mot de passe incorrect.' : 'Incorrect username or password.';
          expect(doc).to.include(`<p>${escapeHtml(expected)}</p>`);
          // No hint that would tell which logins exist.
          expect(doc).to.not.match(/inconnu|introuvable|n[’']existe|aucun compte|unknown|not found|does not exist|no account|wrong password|mot de passe erroné/i);
        });

        it('marks only the empty login as missing, and always the password', () => {
          const missing = pages.loginMissing ?? '';
          expect(missing).to.include(escapeHtml(t(lang, 'login.error.missing_fields')));
          expect(tagWithId(missing, 'login')).to.include('aria-invalid="true"');
          const withLogin = renderLogin({ lang, action: '/a', clientName: 'X', login: 'jdupont', error: 'missing_fields', langSwitchUrl: '/b' });
          expect(tagWithId(withLogin, 'login')).to.include('value="jdupont"');
          expect(tagWithId(withLogin, 'login')).to.not.include('aria-invalid');
          expect(tagWithId(withLogin, 'password')).to.include('aria-invalid="true"');
        });
      });

      describe('consent', () => {
        it('lists scope descriptions, and an unknown scope escaped inside a sentence', () => {
          const doc = pages.consent ?? '';
          expect(doc).to.include(`<li>${escapeHtml(describeScope(lang, 'openid'))}</li>`);
          expect(doc).to.include(`<li>${escapeHtml(describeScope(lang, 'profile'))}</li>`);
          expect(doc).to.include(`<li>${escapeHtml(describeScope(lang, EVIL))}</li>`);
          expect(doc).to.not.include(`<li>${EVIL_ESCAPED}</li>`);
        });

        it('names the signed-in account, display name and login', () => {
          const doc = renderConsent({ lang, action: '/a', abortAction: '/b', clientName: 'X', scopes: ['openid'], langSwitchUrl: '/c', account: { name: 'Zoé Test', login: 'zoe.test', profile: 'Student', structures: 1, classes: 1 } });
          expect(doc).to.match(/<p id="consent-account">[^]*<strong>Zoé Test<\/strong>[^]*<strong>zoe\.test<\/strong>/);
          expect(renderConsent({ lang, action: '/a', abortAction: '/b', clientName: 'X', scopes: ['openid'], langSwitchUrl: '/c' })).to.not.include('consent-account');
        });

        it('describes the ent scope from the account: its profile, and schools and classes only if it has some', () => {
          const consent = (account: { profile: 'Student' | 'Relative'; structures: number; classes: number }) =>
            renderConsent({ lang, action: '/a', abortAction: '/b', clientName: 'X', scopes: ['ent'], langSwitchUrl: '/c', account: { name: 'N', login: 'l', ...account } });
          const pupil = consent({ profile: 'Student', structures: 1, classes: 1 });
          const parent = consent({ profile: 'Relative', structures: 0, classes: 0 });
          if (lang === 'fr') {
            expect(pupil).to.include('<li>Votre profil ENT (élève), votre établissement et votre classe</li>');
            expect(parent).to.include('<li>Votre profil ENT (parent)</li>');
          } else {
            expect(pupil).to.include('<li>Your ENT profile (pupil), your school and your class</li>');
            expect(parent).to.include('<li>Your ENT profile (parent)</li>');
          }
        });

        it('posts allow to the action and deny to the abort action', () => {
          const doc = pages.consent ?? '';
          expect(doc).to.match(new RegExp(`action="/interaction/abc/confirm">\\s*<button[^>]*type="submit">${t(lang, 'consent.allow')}</button>`));
          expect(doc).to.match(new RegExp(`action="/interaction/abc/abort">\\s*<button[^>]*type="submit">${t(lang, 'consent.deny')}</button>`));
        });

        it('lists a repeated scope once', () => {
          const doc = renderConsent({ lang, action: '/a', abortAction: '/b', clientName: 'X', scopes: ['email', 'email'], langSwitchUrl: '/c' });
          expect(doc.split(escapeHtml(describeScope(lang, 'email'))).length - 1).to.equal(1);
        });
      });

      describe('error', () => {
        it('shows the title, what to do, the status and the request id', () => {
          const doc = renderError({ lang, status: 410, kind: 'expired_interaction', requestId: 'req-42' });
          expect(doc).to.include(`<h1>${escapeHtml(t(lang, 'error.expired_interaction.title'))}</h1>`);
          expect(doc).to.include(escapeHtml(t(lang, 'error.expired_interaction.text')));
          expect(doc).to.include('410');
          expect(doc).to.include('<code>req-42</code>');
        });

        it('uses the requested French wording for an expired interaction', () => {
          if (lang !== 'fr') return;
          const doc = renderError({ lang, status: 410, kind: 'expired_interaction' });
          expect(doc).to.include('Votre session de connexion a expiré. Retournez à l’application et recommencez.');
        });

        it('never shows protocol text: the detail is left out, the code goes in small print with the request id', () => {
          const description = 'redirect_uri did not match any of the client\'s registered redirect_uris';
          const doc = renderError({ lang, status: 400, kind: 'invalid_redirect_uri', detail: description, code: 'invalid_redirect_uri', requestId: 'req-7' });
          expect(doc).to.not.include('did not match').and.not.include('class="detail"');
          expect(doc).to.include(`<p class="lead">${escapeHtml(t(lang, 'error.invalid_redirect_uri.text'))}</p>`);
          expect(doc).to.match(/<p class="fine-print">[^<]*· [^<]*<code>invalid_redirect_uri<\/code><\/p>/);
          expect(doc).to.include('<code>req-7</code>');
        });

        it('keeps a technical code to one short line of visible characters', () => {
          const doc = renderError({ lang, status: 500, kind: 'server_error', code: `${'x'.repeat(1000)}\n    at Foo` });
          const code = doc.match(/<code>([^<]*)<\/code>/)?.[1] ?? '';
          expect(code.length).to.be.at.most(64);
          expect(code).to.not.include('\n');
        });

        it('gives an expired sign-in its way back: the restart link when known, else how to start again', () => {
          const withLink = pages.expired ?? '';
          expect(withLink).to.include(`<a class="button button--primary" href="/auth?client_id=x">${EVIL_ESCAPED}</a>`);
          expect(withLink).to.include(escapeHtml(t(lang, 'error.expired_interaction.why')));
          expect(withLink).to.not.include(escapeHtml(t(lang, 'error.expired_interaction.how')));
          expect(withLink).to.include('hreflang=');
          const without = renderError({ lang, status: 400, kind: 'expired_interaction' });
          expect(without).to.include(escapeHtml(t(lang, 'error.expired_interaction.how'))).and.not.include('button--primary');
        });

        it('has every kind titled and renders an unexpected kind as a server error', () => {
          for (const kind of ['unknown_client', 'expired_interaction', 'stale_step', 'invalid_request', 'invalid_redirect_uri', 'access_denied', 'logout_failed', 'unavailable', 'not_found', 'server_error'] as const) {
            expect(renderError({ lang, status: 500, kind })).to.include(`<h1>${escapeHtml(t(lang, `error.${kind}.title`))}</h1>`);
          }
          const odd = renderError({ lang, status: 500, kind: 'nope' as 'server_error' });
          expect(odd).to.include(`<h1>${escapeHtml(t(lang, 'error.server_error.title'))}</h1>`);
        });

        it('has no detail or request id block when none is given', () => {
          const doc = renderError({ lang, status: 404, kind: 'not_found' });
          expect(doc).to.not.include('class="detail"').and.not.include('<code>');
        });
      });

      describe('logout confirmation', () => {
        it('inserts the provider form raw and binds both buttons to it', () => {
          const doc = pages.logout ?? '';
          expect(doc).to.include(LOGOUT_FORM);
          expect(doc).to.include(
            `<button class="button button--primary" type="submit" form="op.logoutForm" name="logout" value="yes">${escapeHtml(t(lang, 'logout.everywhere'))}</button>`,
          );
          expect(doc).to.include(`<button class="button button--secondary" type="submit" form="op.logoutForm">${escapeHtml(t(lang, 'logout.stay'))}</button>`);
          expect(doc.match(/name="logout"/g)).to.have.length(1);
        });

        it('keeps the buttons outside the form', () => {
          const doc = pages.logout ?? '';
          const form = doc.slice(doc.indexOf('<form'), doc.indexOf('</form>'));
          expect(form).to.not.include('<button');
        });

        it('works without a client name', () => {
          const doc = renderLogoutConfirm({ lang, formHtml: LOGOUT_FORM, formId: 'op.logoutForm' });
          expect(doc).to.not.include('client-name');
        });
      });

      describe('logged out', () => {
        it('confirms the sign-out, with or without a client name', () => {
          expect(renderLoggedOut({ lang })).to.include(`<h1>${escapeHtml(t(lang, 'loggedOut.title'))}</h1>`);
          expect(pages.loggedOut).to.include(`<strong class="client-name">${EVIL_ESCAPED}</strong>`);
        });

        it('says the whole ENT session is over when no client is named', () => {
          const doc = pages.loggedOutEverywhere ?? '';
          expect(doc).to.include(`<div class="notice" role="status"><p>${escapeHtml(t(lang, 'loggedOut.text'))}</p></div>`);
          expect(doc).to.not.include(escapeHtml(t(lang, 'loggedOut.stillSignedIn')));
        });

        it('says the ENT session goes on after leaving one client, and links to signing out of the ENT', () => {
          const doc = pages.loggedOut ?? '';
          expect(doc).to.include(escapeHtml(t(lang, 'loggedOut.stillSignedIn')));
          expect(doc).to.not.include(escapeHtml(t(lang, 'loggedOut.text')));
          expect(doc).to.include(`<a href="/session/end?lang=fr">${escapeHtml(t(lang, 'loggedOut.everywhere'))}</a>`);
        });
      });

      describe('password rule', () => {
        const hintOf = (doc: string) => doc.match(/<div class="hint" id="password-hint">([^]*?)<\/div>/)?.[1] ?? '';

        it('states one account’s policy from the policy object: lengths, common and personal passwords', () => {
          const hint = hintOf(pages.activationError ?? '');
          expect(hint).to.include(escapeHtml(t(lang, 'rule.introAccount')));
          expect(hint).to.include(`<li>${escapeHtml(t(lang, 'rule.length', { min: '12', max: '128' }))}</li>`);
          expect(hint).to.include(`<li>${escapeHtml(t(lang, 'rule.common'))}</li>`).and.include(`<li>${escapeHtml(t(lang, 'rule.personal'))}</li>`);
          const lax = renderPasswordChange({ lang, langSwitchUrl: '/x', action: '/a', backUrl: '/b', rule: { kind: 'account', policy: passwordPolicySchema.parse({ minLength: 9, refuseCommon: false, refusePersonal: false }) } });
          expect(hintOf(lax)).to.include(escapeHtml(t(lang, 'rule.length', { min: '9', max: '128' })));
          expect(hintOf(lax)).to.not.include(escapeHtml(t(lang, 'rule.common'))).and.not.include(escapeHtml(t(lang, 'rule.personal')));
        });

        it('lists every profile’s minimum when the account is not known, with ranges where tenants differ', () => {
          const hint = hintOf(pages.activation ?? '');
          expect(hint).to.include(escapeHtml(t(lang, 'rule.introProfiles'))).and.not.include(escapeHtml(t(lang, 'rule.introAccount')));
          const expected = lang === 'fr'
            ? 'avoir au moins 8\u00a0caractères pour les élèves et 12\u00a0caractères pour les enseignants et les personnels'
            : 'have at least 8 characters for pupils and 12 characters for teachers and staff';
          expect(hint).to.include(`<li>${escapeHtml(expected)}</li>`);
          const varied = renderActivation({
            lang, langSwitchUrl: '/x', action: '/a', backUrl: '/b', termsVersion: 'v',
            rule: { kind: 'profiles', summary: { minLength: [{ keys: ['Student'], range: { low: 8, high: 9 } }], maxLength: { low: 64, high: 128 }, refuseCommon: false, refusePersonal: true } },
          });
          expect(hintOf(varied)).to.include(escapeHtml(t(lang, 'rule.countRange', { low: '8', high: '9' })));
          expect(hintOf(varied)).to.include(escapeHtml(t(lang, 'rule.maxRange', { low: '64', high: '128' })));
          expect(hintOf(varied)).to.not.include(escapeHtml(t(lang, 'rule.common')));
        });

        it('is the password field’s description, on both pages', () => {
          for (const doc of [pages.activation ?? '', pages.passwordChange ?? '']) {
            expect(tagWithId(doc, 'password')).to.match(/aria-describedby="password-hint/);
          }
        });
      });

      describe('activation form after an error', () => {
        it('keeps the login, the code and the ticked terms box, never a password', () => {
          const doc = pages.activationError ?? '';
          expect(tagWithId(doc, 'login')).to.include(`value="${EVIL_ESCAPED}"`);
          expect(tagWithId(doc, 'code')).to.include(`value="${EVIL_ESCAPED}"`);
          expect(tagWithId(doc, 'terms')).to.match(/\schecked\b/);
          expect(tagWithId(doc, 'password')).to.not.include('value=');
          expect(tagWithId(doc, 'password2')).to.not.include('value=');
        });

        it('leaves the terms box unticked when it was not ticked', () => {
          expect(tagWithId(pages.activation ?? '', 'terms')).to.not.include('checked');
        });
      });

      describe('confirmation after activation and password change', () => {
        it('says what was done and continues the sign-in with a form', () => {
          for (const [doc, what] of [[pages.accountDone ?? '', 'activated'], [pages.passwordDone ?? '', 'password_changed']] as const) {
            expect(doc).to.include(`<h1>${escapeHtml(t(lang, `done.${what}.title`))}</h1>`);
            expect(doc).to.include(`<div class="notice" role="status"><p>${escapeHtml(t(lang, `done.${what}.text`))}</p></div>`);
            expect(doc).to.match(/<form method="post" action="\/i\/continue">\s*<button class="button button--primary" type="submit">/);
          }
        });
      });

      describe('TOTP enrolment', () => {
        it('has an otpauth:// link beside the QR code', () => {
          const doc = pages.enrolment ?? '';
          expect(doc).to.include(`<a class="otpauth-link" href="otpauth://totp/ENT:lea?secret=ABC&amp;issuer=ENT">${escapeHtml(t(lang, 'enrol.openApp'))}</a>`);
          expect(doc.indexOf('otpauth-link')).to.be.greaterThan(doc.indexOf('<figure class="qr"'));
        });

        it('has no link without a URI', () => {
          const doc = renderEnrolment({ lang, langSwitchUrl: '/x', action: '/i/enrol', required: false, qrSvg: '<svg></svg>', manualKey: 'K' });
          expect(doc).to.not.include('otpauth');
        });
      });

      describe('federation failure', () => {
        it('reads as a sentence; the reason code is in small print beside the request id, never as a “reason”', () => {
          const doc = pages.federationExpired ?? '';
          expect(doc).to.include(`<h1>${escapeHtml(t(lang, 'error.expired_interaction.title'))}</h1>`);
          expect(doc).to.include(escapeHtml(t(lang, 'federation.failure.expired_interaction')));
          expect(doc).to.match(/<p class="fine-print">[^<]*· [^<]*<code>expired_interaction<\/code><\/p>/);
          expect(doc).to.not.match(/Motif|Reason/);
          expect(doc).to.include('<code>r1</code>');
        });

        it('gives an expired federated sign-in a way back and the language switch', () => {
          const doc = pages.federationExpired ?? '';
          expect(doc).to.include(escapeHtml(t(lang, 'error.expired_interaction.how')));
          expect(doc).to.include('href="/federation/x?lang=en" hreflang=');
          const withRestart = renderFailure({ lang, status: 400, reason: 'expired_interaction', requestId: '', restartUrl: '/auth?client_id=x' });
          expect(withRestart).to.include(`<a class="button button--primary" href="/auth?client_id=x">${escapeHtml(t(lang, 'error.restartPlain'))}</a>`);
          expect(withRestart).to.not.include(escapeHtml(t(lang, 'error.expired_interaction.how')));
        });
      });
    });
  }

  it('writes French with its accents and its spacing', () => {
    const doc = renderLogin({ lang: 'fr', action: '/a', clientName: 'Pronote', langSwitchUrl: '/b' });
    expect(doc).to.include('Se connecter').and.include('accéder à «\u00a0<strong class="client-name">Pronote</strong>\u00a0»');
  });

  it('exposes the layout for other hub pages, escaping the title and keeping the body', () => {
    const doc = layout({ lang: 'fr', title: EVIL, body: html`<p>${EVIL}</p>`, showHelp: false });
    expect(doc).to.include(`<h1>${EVIL_ESCAPED}</h1>`).and.include(`<p>${EVIL_ESCAPED}</p>`);
    expect(doc).to.not.include(EVIL).and.not.include(escapeHtml(t('fr', 'site.help')));
  });

  it('adds a language switch to the other pages only when a URL is given', () => {
    expect(renderLoggedOut({ lang: 'fr' })).to.not.include('hreflang');
    expect(renderLoggedOut({ lang: 'fr', langSwitchUrl: '/logout?lang=en' })).to.include('href="/logout?lang=en" hreflang="en"');
    expect(renderError({ lang: 'en', status: 404, kind: 'not_found', langSwitchUrl: '/x?lang=fr' })).to.include('hreflang="fr"');
  });
});

describe('views/hub.css', () => {
  const css = readFileSync(new URL('../../src/ui/hub.css', import.meta.url), 'utf8');

  it('has visible focus styles and loads nothing external', () => {
    expect(css).to.include(':focus-visible');
    expect(css).to.not.match(/@import|url\(/);
  });
});
