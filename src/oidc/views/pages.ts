/**
 * Server-rendered pages of the hub's OIDC interactions (login, consent, logout, errors).
 *
 * Constraints that shape this file:
 * - strict CSP: no inline script or style, and the only external resource is /assets/hub.css;
 * - the pages must work without JavaScript and be usable by young pupils on a phone;
 * - every dynamic value goes through `html`, which escapes it; `raw` is used only for markup we
 *   build ourselves and for oidc-provider's logout form.
 */
import { html, raw, escapeHtml, safeUrl, type SafeHtml } from '../../ui/html.js';
import { capitalize, describeScope, joinList, t, type Lang, type MessageKey } from '../../ui/i18n.js';
import type { Profile } from '../../identity/vocabulary.js';

export const STYLESHEET_URL = '/assets/hub.css';

/** Language names are written in their own language: a reader looks for the one they can read. */
const LANG_NAMES: Record<Lang, string> = { fr: 'Français', en: 'English' };

/**
 * A translated message in which `{name}` placeholders receive markup (e.g. a <strong> client
 * name). The message text itself is escaped like any other text.
 */
export function tHtml(lang: Lang, key: MessageKey, vars: Record<string, SafeHtml>): SafeHtml {
  // Splitting on a capturing group puts placeholder names at odd indexes.
  const parts = t(lang, key).split(/\{(\w+)\}/);
  return raw(
    parts
      .map((part, i) => (i % 2 === 0 ? escapeHtml(part) : (vars[part]?.toString() ?? escapeHtml(`{${part}}`))))
      .join(''),
  );
}

function clientHtml(clientName: string): SafeHtml {
  return html`<strong class="client-name">${clientName}</strong>`;
}

function langSwitch(lang: Lang, langSwitchUrl: string | undefined): SafeHtml | false {
  if (!langSwitchUrl) return false;
  const other: Lang = lang === 'fr' ? 'en' : 'fr';
  return html`<nav class="lang-switch" aria-label="${t(lang, 'site.langSwitchLabel')}">
        <a href="${safeUrl(langSwitchUrl)}" hreflang="${other}" lang="${other}">${LANG_NAMES[other]}</a>
      </nav>`;
}

export interface LayoutOptions {
  lang: Lang;
  /** Page title, also the <h1> of the card. */
  title: string;
  /** Prefixes the <title> with "Erreur :" so screen readers announce the problem first. */
  hasError?: boolean;
  langSwitchUrl?: string | undefined;
  /** The footer's "who to ask" line; the login page already says it in the card. */
  showHelp?: boolean;
  /** Card content after the <h1>. */
  body: SafeHtml;
}

/**
 * The common document: header with the ENT name, one card, footer. Exported for other simple
 * hub pages (e.g. the development demo application); `body` must come from `html`.
 */
export function layout(o: LayoutOptions): string {
  const siteName = t(o.lang, 'site.name');
  const documentTitle = o.hasError ? t(o.lang, 'site.errorTitle', { title: o.title }) : o.title;
  return html`<!doctype html>
<html lang="${o.lang}">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="robots" content="noindex, nofollow">
    <meta name="color-scheme" content="light">
    <title>${documentTitle} – ${siteName}</title>
    <link rel="stylesheet" href="${STYLESHEET_URL}">
  </head>
  <body>
    <a class="skip-link" href="#main">${t(o.lang, 'site.skipToContent')}</a>
    <header class="site-header">
      <div class="site-header__inner">
        <p class="brand"><span class="brand__mark" aria-hidden="true">ENT</span> <span class="brand__name">${siteName}</span></p>
      ${langSwitch(o.lang, o.langSwitchUrl)}
      </div>
    </header>
    <main id="main" class="page" tabindex="-1">
      <div class="card">
        <h1>${o.title}</h1>
        ${o.body}
      </div>
    </main>
    <footer class="site-footer">
      ${o.showHelp !== false && html`<p>${t(o.lang, 'site.help')}</p>`}
      <p>${t(o.lang, 'site.footer')}</p>
    </footer>
  </body>
</html>
`.toString();
}

export type LoginError = 'invalid_credentials' | 'missing_fields' | 'locked' | 'ip_limited';

export function renderLogin(p: {
  lang: Lang;
  action: string;
  clientName: string;
  login?: string;
  error?: LoginError;
  /** Minutes before a locked login or a limited address may try again. */
  retryMinutes?: number;
  langSwitchUrl: string;
  /** Upstream IdP buttons (home-realm discovery), shown above the local login form. */
  choices?: SafeHtml | false;
  /** Pages of local accounts (activation, password change, second-factor settings). */
  links?: { activate: string; changePassword: string; security: string };
  /** `manage`: the user asked for the second-factor settings, shown once signed in. */
  intent?: 'manage';
}): string {
  const errorId = 'login-error';
  // One message for an unknown login and a wrong password: never tell which logins exist.
  // A lock applies to the login as typed, whether it exists or not, so saying so tells nothing.
  const errorBox =
    p.error &&
    html`<div class="alert" id="${errorId}" role="alert">
          <p>${t(p.lang, `login.error.${p.error}`, { minutes: String(p.retryMinutes ?? 15) })}</p>
        </div>`;
  // With missing fields, the login is in error only if it is empty; the password is never sent
  // back, so it must always be typed again.
  const loginInvalid = p.error === 'invalid_credentials' || (p.error === 'missing_fields' && !p.login);
  const passwordInvalid = p.error !== undefined;
  const invalidAttrs = (invalid: boolean): SafeHtml | false =>
    invalid && html` aria-invalid="true" aria-describedby="${errorId}"`;
  const links =
    p.links &&
    html`<ul class="links">
          <li><a href="${safeUrl(p.links.activate)}">${t(p.lang, 'login.activateLink')}</a></li>
          <li><a href="${safeUrl(p.links.changePassword)}">${t(p.lang, 'login.changePasswordLink')}</a></li>
          <li><a href="${safeUrl(p.links.security)}">${t(p.lang, 'login.securityLink')}</a></li>
        </ul>`;

  const body = html`<p class="lead">${tHtml(p.lang, 'login.intro', { client: clientHtml(p.clientName) })}</p>
        ${p.choices}
        ${errorBox}
        <form class="form" method="post" action="${safeUrl(p.action)}" novalidate>
          ${p.intent && html`<input type="hidden" name="intent" value="${p.intent}">`}
          <div class="field">
            <label for="login">${t(p.lang, 'login.login')}</label>
            <input id="login" name="login" type="text" value="${p.login ?? ''}" autocomplete="username" autocapitalize="none" autocorrect="off" spellcheck="false" required${invalidAttrs(loginInvalid)}>
          </div>
          <div class="field">
            <label for="password">${t(p.lang, 'login.password')}</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required${invalidAttrs(passwordInvalid)}>
          </div>
          <button class="button button--primary" type="submit">${t(p.lang, 'login.submit')}</button>
        </form>
        ${links}
        <p class="note">${t(p.lang, 'login.forgotten')}</p>`;

  return layout({ lang: p.lang, title: t(p.lang, 'login.title'), hasError: p.error !== undefined, langSwitchUrl: p.langSwitchUrl, showHelp: false, body });
}

/** The signed-in account, as the consent page names it and describes what `ent` releases of it. */
export interface ConsentAccount {
  name: string;
  login: string;
  profile: Profile;
  /** How many structures and classes the `ent` scope would release. */
  structures: number;
  classes: number;
}

/** The `ent` scope for this account: its profile, and its schools and classes only if it has some. */
function describeEnt(lang: Lang, account: ConsentAccount): string {
  const profile = t(lang, `federation.profile.${account.profile}`).toLocaleLowerCase(lang);
  const parts = [t(lang, 'scope.ent.profile', { profile })];
  if (account.structures > 0) parts.push(t(lang, account.structures === 1 ? 'scope.ent.structure' : 'scope.ent.structures'));
  if (account.classes > 0) parts.push(t(lang, account.classes === 1 ? 'scope.ent.class' : 'scope.ent.classes'));
  return capitalize(joinList(lang, parts));
}

export function renderConsent(p: {
  lang: Lang;
  action: string;
  abortAction: string;
  clientName: string;
  /** What the page lists: the caller leaves out the scopes that release nothing of this account. */
  scopes: string[];
  langSwitchUrl: string;
  /** The account that would be shared; absent only if it cannot be read. */
  account?: ConsentAccount;
}): string {
  const scopes = [...new Set(p.scopes)];
  const describe = (scope: string): string => (scope === 'ent' && p.account ? describeEnt(p.lang, p.account) : describeScope(p.lang, scope));
  const scopeList =
    scopes.length > 0 &&
    html`<p id="consent-scopes">${t(p.lang, 'consent.listIntro')}</p>
        <ul class="scopes" aria-labelledby="consent-scopes">
          ${scopes.map((scope) => html`<li>${describe(scope)}</li>`)}
        </ul>`;
  const account =
    p.account &&
    html`<p id="consent-account">${tHtml(p.lang, 'consent.account', { name: html`<strong>${p.account.name}</strong>`, login: html`<strong>${p.account.login}</strong>` })}</p>`;

  // Two forms rather than one with `formaction`: each button's target is plain to read.
  const body = html`<p class="lead">${tHtml(p.lang, 'consent.intro', { client: clientHtml(p.clientName) })}</p>
        ${account}
        ${scopeList}
        <div class="actions">
          <form method="post" action="${safeUrl(p.action)}">
            <button class="button button--primary" type="submit">${t(p.lang, 'consent.allow')}</button>
          </form>
          <form method="post" action="${safeUrl(p.abortAction)}">
            <button class="button button--secondary" type="submit">${t(p.lang, 'consent.deny')}</button>
          </form>
        </div>
        <p class="note">${t(p.lang, 'consent.note')}</p>`;

  return layout({ lang: p.lang, title: t(p.lang, 'consent.title'), langSwitchUrl: p.langSwitchUrl, body });
}

const ERROR_KINDS = [
  'unknown_client', 'expired_interaction', 'stale_step', 'invalid_request', 'invalid_input', 'invalid_redirect_uri', 'access_denied', 'logout_failed', 'unavailable', 'not_found', 'server_error',
  'tenant_not_served',
] as const;

export type ErrorKind = (typeof ERROR_KINDS)[number];

/** The error page is the last resort: an unexpected kind must still render, as a generic error. */
function knownErrorKind(kind: string): ErrorKind {
  return (ERROR_KINDS as readonly string[]).includes(kind) ? (kind as ErrorKind) : 'server_error';
}

/** A technical code: short, one line, printable ASCII (it comes from a protocol or from our own code). */
function shortCode(code: string): string {
  return code.replace(/[^\x21-\x7e]+/g, ' ').trim().slice(0, 64);
}

/** A link shown as a button under an error's explanation: the way back, when one is known. */
export interface ErrorAction {
  href: string;
  label: string;
}

/**
 * The small print of an error page: status, technical code, request id. The person reads the
 * sentence above it; support reads this.
 */
export function errorFinePrint(lang: Lang, p: { status: number; code?: string | undefined; requestId?: string | undefined }): SafeHtml {
  const code = p.code ? shortCode(p.code) : '';
  const status = t(lang, 'error.status', { status: String(p.status) });
  return html`<p class="fine-print">${status}${code && html` · ${tHtml(lang, 'error.technical', { code: html`<code>${code}</code>` })}`}</p>
        ${p.requestId && html`<p class="fine-print">${tHtml(lang, 'error.requestId', { id: html`<code>${p.requestId}</code>` })}</p>`}`;
}

export function errorActionHtml(action: ErrorAction | undefined): SafeHtml | false {
  return action !== undefined && html`<p class="actions"><a class="button button--primary" href="${safeUrl(action.href)}">${action.label}</a></p>`;
}

export function renderError(p: {
  lang: Lang;
  status: number;
  kind: ErrorKind;
  /**
   * Protocol or exception text (an `error_description`, a message in English): never shown, a
   * person cannot act on it and it is not in their language. Log it; show `code` instead.
   */
  detail?: string;
  /** A technical code (e.g. OAuth's `invalid_redirect_uri`), in small print beside the request id. */
  code?: string;
  requestId?: string;
  langSwitchUrl?: string;
  /** The way back when one is known (restart the sign-in, resume it, sign out again). */
  action?: ErrorAction;
}): string {
  const kind = knownErrorKind(p.kind);
  // An expired sign-in without a known way back: say why, and how to start again from the app.
  const expired = kind === 'expired_interaction';
  const body = html`<p class="lead">${t(p.lang, `error.${kind}.text`)}</p>
        ${expired && html`<p>${t(p.lang, 'error.expired_interaction.why')}</p>`}
        ${expired && !p.action && html`<p>${t(p.lang, 'error.expired_interaction.how')}</p>`}
        ${errorActionHtml(p.action)}
        ${errorFinePrint(p.lang, p)}`;

  return layout({ lang: p.lang, title: t(p.lang, `error.${kind}.title`), hasError: true, langSwitchUrl: p.langSwitchUrl, body });
}

export function renderLogoutConfirm(p: {
  lang: Lang;
  formHtml: string;
  formId: string;
  clientName?: string;
  langSwitchUrl?: string;
}): string {
  // The buttons sit outside oidc-provider's form and join it with `form=`; this needs no script.
  // Only "everywhere" sends logout=yes: oidc-provider then ends the whole session.
  // The form holds only a hidden input: it renders nothing, so it can come first.
  const body = html`${raw(p.formHtml)}
        ${p.clientName && html`<p>${tHtml(p.lang, 'logout.intro', { client: clientHtml(p.clientName) })}</p>`}
        <p class="lead">${t(p.lang, 'logout.question')}</p>
        <div class="actions">
          <button class="button button--primary" type="submit" form="${p.formId}" name="logout" value="yes">${t(p.lang, 'logout.everywhere')}</button>
          <button class="button button--secondary" type="submit" form="${p.formId}">${t(p.lang, 'logout.stay')}</button>
        </div>
        <p class="note">${t(p.lang, 'logout.sharedDevice')}</p>`;

  return layout({ lang: p.lang, title: t(p.lang, 'logout.title'), langSwitchUrl: p.langSwitchUrl, body });
}

/**
 * After RP-initiated logout. oidc-provider names the client only when the user chose to stay
 * signed in to the ENT (it then ended that client's session alone): the page says so, and offers
 * to sign out of the ENT too. Without a client, the whole ENT session is over.
 */
export function renderLoggedOut(p: { lang: Lang; clientName?: string; langSwitchUrl?: string; everywhereUrl?: string }): string {
  const body = p.clientName
    ? html`<div class="notice" role="status"><p>${tHtml(p.lang, 'loggedOut.client', { client: clientHtml(p.clientName) })}</p></div>
        <p class="lead">${t(p.lang, 'loggedOut.stillSignedIn')}</p>
        ${p.everywhereUrl && html`<p><a href="${safeUrl(p.everywhereUrl)}">${t(p.lang, 'loggedOut.everywhere')}</a></p>`}
        <p class="note">${t(p.lang, 'logout.sharedDevice')}</p>`
    : html`<div class="notice" role="status"><p>${t(p.lang, 'loggedOut.text')}</p></div>
        <p class="note">${t(p.lang, 'loggedOut.sharedDevice')}</p>`;

  return layout({ lang: p.lang, title: t(p.lang, 'loggedOut.title'), langSwitchUrl: p.langSwitchUrl, body });
}
