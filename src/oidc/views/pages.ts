/**
 * Server-rendered pages of OIDC's own steps (consent, logout); the login page is the sign-in
 * pages' (src/login-pages/views/login-page.ts).
 *
 * Constraints that shape this file:
 * - strict CSP: no inline script or style, and the only external resource is /assets/hub.css;
 * - the pages must work without JavaScript and be usable by young pupils on a phone;
 * - every dynamic value goes through `html`, which escapes it; `raw` is used only for markup we
 *   build ourselves and for oidc-provider's logout form.
 */
import { html, raw, safeUrl } from '../../ui/html.js';
import { capitalize, joinList, t, type Lang, type MessageKey } from '../../ui/i18n.js';
import type { Profile } from '../../identity/vocabulary.js';
import { layout, tHtml } from '../../ui/layout.js';
import { clientHtml } from '../../login-pages/views/login-page.js';
// The consent page names the account's profile as the federation pages do.
import '../../federation/messages.js';
import './page-messages.js';

/** The signed-in account, as the consent page names it and describes what `ent` releases of it. */
export interface ConsentAccount {
  name: string;
  login: string;
  profile: Profile;
  /** How many structures and classes the `ent` scope would release. */
  structures: number;
  classes: number;
}

/** The scopes with a description of their own; any other scope (an API's) is described generically. */
const DESCRIBED_SCOPES: ReadonlySet<string> = new Set(['openid', 'profile', 'email', 'ent', 'ent_children', 'offline_access']);

/** Human description of an OIDC scope; an unknown scope (e.g. an API's) is named inside a sentence. */
export function describeScope(lang: Lang, scope: string): string {
  return DESCRIBED_SCOPES.has(scope) ? t(lang, `scope.${scope}` as MessageKey) : t(lang, 'scope.other', { scope });
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
