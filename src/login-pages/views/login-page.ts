/**
 * The login page of a sign-in, whatever protocol asked for it: the upstream IdPs' buttons, the
 * local login form and the links to the local-account pages.
 *
 * Constraints that shape the sign-in pages:
 * - strict CSP: no inline script or style, and the only external resource is /assets/hub.css;
 * - the pages must work without JavaScript and be usable by young pupils on a phone;
 * - every dynamic value goes through `html`, which escapes it; `raw` only for markup we build.
 */
import { html, safeUrl, type SafeHtml } from '../../ui/html.js';
import { t, type Lang } from '../../ui/i18n.js';
import { layout, tHtml } from '../../ui/layout.js';
import './messages.js';

/** The client's name as the pages show it. */
export function clientHtml(clientName: string): SafeHtml {
  return html`<strong class="client-name">${clientName}</strong>`;
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
