/**
 * Server-rendered pages of the hub's OIDC interactions (login, consent, logout, errors).
 *
 * Constraints that shape this file:
 * - strict CSP: no inline script or style, and the only external resource is /assets/hub.css;
 * - the pages must work without JavaScript and be usable by young pupils on a phone;
 * - every dynamic value goes through `html`, which escapes it; `raw` is used only for markup we
 *   build ourselves and for oidc-provider's logout form.
 */
import { html, raw, escapeHtml, safeUrl, type SafeHtml } from './html.js';
import { describeScope, t, type Lang, type MessageKey } from './i18n.js';

export const STYLESHEET_URL = '/assets/hub.css';

/** Language names are written in their own language: a reader looks for the one they can read. */
const LANG_NAMES: Record<Lang, string> = { fr: 'Français', en: 'English' };

/** Keeps an error page's `detail` a short hint, never a dump. */
const MAX_DETAIL_LENGTH = 300;

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

export function renderConsent(p: {
  lang: Lang;
  action: string;
  abortAction: string;
  clientName: string;
  scopes: string[];
  langSwitchUrl: string;
}): string {
  const scopes = [...new Set(p.scopes)];
  const scopeList =
    scopes.length > 0 &&
    html`<p id="consent-scopes">${t(p.lang, 'consent.listIntro')}</p>
        <ul class="scopes" aria-labelledby="consent-scopes">
          ${scopes.map((scope) => html`<li>${describeScope(p.lang, scope)}</li>`)}
        </ul>`;

  // Two forms rather than one with `formaction`: each button's target is plain to read.
  const body = html`<p class="lead">${tHtml(p.lang, 'consent.intro', { client: clientHtml(p.clientName) })}</p>
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

const ERROR_KINDS = ['unknown_client', 'expired_interaction', 'invalid_request', 'unavailable', 'not_found', 'server_error'] as const;

export type ErrorKind = (typeof ERROR_KINDS)[number];

/** The error page is the last resort: an unexpected kind must still render, as a generic error. */
function knownErrorKind(kind: string): ErrorKind {
  return (ERROR_KINDS as readonly string[]).includes(kind) ? (kind as ErrorKind) : 'server_error';
}

function shortDetail(detail: string): string {
  const oneLine = detail.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_DETAIL_LENGTH ? `${oneLine.slice(0, MAX_DETAIL_LENGTH - 1)}…` : oneLine;
}

export function renderError(p: {
  lang: Lang;
  status: number;
  kind: ErrorKind;
  detail?: string;
  requestId?: string;
  langSwitchUrl?: string;
}): string {
  const kind = knownErrorKind(p.kind);
  const detail = p.detail ? shortDetail(p.detail) : '';
  const body = html`<p class="lead">${t(p.lang, `error.${kind}.text`)}</p>
        ${detail && html`<p class="detail">${detail}</p>`}
        <p class="fine-print">${t(p.lang, 'error.status', { status: String(p.status) })}</p>
        ${p.requestId &&
        html`<p class="fine-print">${tHtml(p.lang, 'error.requestId', { id: html`<code>${p.requestId}</code>` })}</p>`}`;

  return layout({ lang: p.lang, title: t(p.lang, `error.${kind}.title`), langSwitchUrl: p.langSwitchUrl, body });
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

export function renderLoggedOut(p: { lang: Lang; clientName?: string; langSwitchUrl?: string }): string {
  const body = html`${p.clientName && html`<p>${tHtml(p.lang, 'loggedOut.client', { client: clientHtml(p.clientName) })}</p>`}
        <p class="lead">${t(p.lang, 'loggedOut.text')}</p>
        <p class="note">${t(p.lang, 'loggedOut.sharedDevice')}</p>`;

  return layout({ lang: p.lang, title: t(p.lang, 'loggedOut.title'), langSwitchUrl: p.langSwitchUrl, body });
}
