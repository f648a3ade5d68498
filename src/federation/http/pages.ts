/** The federation pages, in the hub's layout: escaped with `html`, no script, French first. */
import { html, safeUrl, type SafeHtml } from '../../ui/html.js';
import { t, type Lang, type MessageKey } from '../../ui/i18n.js';
import type { Account } from '../../storage/ports/index.js';
import type { FailureReason } from '../core/failure.js';
import { errorActionHtml, errorFinePrint } from '../../ui/error-page.js';
import { layout } from '../../ui/layout.js';
import '../messages.js';

export interface Choice {
  href: string;
  label: string;
  lastUsed?: boolean;
}

/** A choice whose IdP cannot be reached yet: its `unavailable` sentence instead of a link. */
export type ChoiceItem = Choice | (Omit<Choice, 'href'> & { unavailable: string });

/**
 * One connector choice: a link, or, while its IdP cannot be reached yet, a disabled button with
 * its `unavailable` sentence under it. `key` makes the sentence's id unique in the page.
 */
function choiceItemHtml(lang: Lang, c: ChoiceItem, key: string): SafeHtml {
  const content = html`${c.label}${c.lastUsed && html` <span class="federation-choice__last">(${t(lang, 'federation.choice.lastUsed')})</span>`}`;
  return 'unavailable' in c
    ? html`<li><button type="button" class="button button--secondary federation-choice federation-choice--unavailable" disabled aria-describedby="federation-choice-${key}-unavailable">${content}</button>
              <p class="notice federation-choice__unavailable" id="federation-choice-${key}-unavailable">${c.unavailable}</p></li>`
    : html`<li><a class="button button--secondary federation-choice" href="${safeUrl(c.href)}">${content}</a></li>`;
}

/** The buttons above the local login form. */
export function choicesHtml(lang: Lang, choices: ChoiceItem[]): SafeHtml {
  return html`<section class="federation-choices" aria-labelledby="federation-choices-heading">
          <h2 id="federation-choices-heading" class="federation-choices__heading">${t(lang, 'federation.choice.heading')}</h2>
          <ul class="federation-choices__list">
            ${choices.map((c, i) => choiceItemHtml(lang, c, String(i)))}
          </ul>
          <p class="federation-choices__local">${t(lang, 'federation.choice.local')}</p>
        </section>`;
}

export function renderStaffChoice(p: { lang: Lang; choices: ChoiceItem[]; backUrl: string; langSwitchUrl?: string | undefined }): string {
  const body = html`<p class="lead">${t(p.lang, 'federation.staff.intro')}</p>
        ${p.choices.length === 0
          ? html`<p>${t(p.lang, 'federation.staff.none')}</p>`
          : html`<ul class="federation-choices__list">
          ${p.choices.map((c, i) => choiceItemHtml(p.lang, c, `staff-${String(i)}`))}
        </ul>`}
        <p class="note"><a href="${safeUrl(p.backUrl)}">${t(p.lang, 'federation.back')}</a></p>`;
  return layout({ lang: p.lang, title: t(p.lang, 'federation.staff.title'), langSwitchUrl: p.langSwitchUrl, body });
}

export function renderAccountChoice(p: { lang: Lang; action: string; accounts: Array<Account & { tenantName: string }>; langSwitchUrl?: string | undefined }): string {
  const body = html`<p class="lead">${t(p.lang, 'federation.accounts.intro')}</p>
        <form class="form" method="post" action="${safeUrl(p.action)}">
          <fieldset class="federation-accounts">
            <legend>${t(p.lang, 'federation.accounts.legend')}</legend>
            ${p.accounts.map((a, i) => html`<div class="federation-account">
              <input type="radio" name="account" id="account-${String(i)}" value="${a.id}"${i === 0 ? html` checked` : ''} required>
              <label for="account-${String(i)}"><strong>${a.displayName || `${a.firstName} ${a.lastName}`}</strong> — ${t(p.lang, `federation.profile.${a.profile}` as MessageKey)}, ${a.tenantName}
                <span class="federation-account__login">${t(p.lang, 'federation.accounts.loginOf', { login: a.login })}</span></label>
            </div>`)}
          </fieldset>
          <button class="button button--primary" type="submit">${t(p.lang, 'federation.accounts.submit')}</button>
        </form>`;
  return layout({ lang: p.lang, title: t(p.lang, 'federation.accounts.title'), langSwitchUrl: p.langSwitchUrl, body });
}

export function renderNoAccount(p: { lang: Lang; kind: 'family' | 'staff'; backUrl: string; langSwitchUrl?: string | undefined }): string {
  const body = html`<p class="lead">${t(p.lang, 'federation.noAccount.lead')}</p>
        <p>${t(p.lang, p.kind === 'staff' ? 'federation.noAccount.staff' : 'federation.noAccount.family')}</p>
        ${p.kind === 'family' && html`<p>${t(p.lang, 'federation.noAccount.activationCode')}</p>`}
        <p class="note"><a href="${safeUrl(p.backUrl)}">${t(p.lang, 'federation.back')}</a></p>`;
  return layout({ lang: p.lang, title: t(p.lang, 'federation.noAccount.title'), langSwitchUrl: p.langSwitchUrl, body });
}

const TEXT_OF: Partial<Record<FailureReason, MessageKey>> = {
  signature: 'federation.failure.signature',
  response_unsigned: 'federation.failure.signature',
  assertion_unsigned: 'federation.failure.signature',
  not_encrypted: 'federation.failure.signature',
  token: 'federation.failure.signature',
  replay: 'federation.failure.replay',
  expired: 'federation.failure.expired',
  not_yet_valid: 'federation.failure.expired',
  audience: 'federation.failure.audience',
  recipient: 'federation.failure.audience',
  destination: 'federation.failure.audience',
  unsolicited: 'federation.failure.request',
  unknown_request: 'federation.failure.request',
  state: 'federation.failure.request',
  nonce: 'federation.failure.request',
  issuer: 'federation.failure.signature',
  expired_interaction: 'federation.failure.expired_interaction',
  unavailable: 'federation.failure.unavailable',
  upstream_error: 'federation.failure.upstream_error',
  unknown_connector: 'federation.failure.unknown_connector',
  no_identifier: 'federation.failure.no_identifier',
};

/** Titles other than "Connexion refusée": an expired sign-in or an unavailable IdP refused nothing. */
const TITLE_OF: Partial<Record<FailureReason, MessageKey>> = {
  expired_interaction: 'error.expired_interaction.title',
  unavailable: 'error.unavailable.title',
  upstream_error: 'federation.failure.interruptedTitle',
};

/**
 * A refused or failed federated sign-in. The reason code is technical: it goes in small print
 * with the status and request id; the reader gets a sentence and, when the caller knows one, a
 * way back: `restartUrl` (start the sign-in again) or `backUrl` (the interaction's login page).
 * Without either, an expired sign-in says how to start again from the application.
 */
export function renderFailure(p: {
  lang: Lang;
  status: number;
  reason: FailureReason;
  requestId: string;
  backUrl?: string | undefined;
  restartUrl?: string | undefined;
  langSwitchUrl?: string | undefined;
}): string {
  const expired = p.reason === 'expired_interaction';
  const body = html`<div class="alert" role="alert"><p>${t(p.lang, TEXT_OF[p.reason] ?? 'federation.failure.generic')}</p></div>
        ${expired && html`<p>${t(p.lang, 'error.expired_interaction.why')}</p>`}
        ${expired && !p.restartUrl && !p.backUrl && html`<p>${t(p.lang, 'error.expired_interaction.how')}</p>`}
        ${p.restartUrl && errorActionHtml({ href: p.restartUrl, label: t(p.lang, 'error.restartPlain') })}
        ${p.backUrl && html`<p class="note"><a href="${safeUrl(p.backUrl)}">${t(p.lang, 'federation.back')}</a></p>`}
        ${errorFinePrint(p.lang, { status: p.status, code: p.reason, requestId: p.requestId })}`;
  return layout({ lang: p.lang, title: t(p.lang, TITLE_OF[p.reason] ?? 'federation.failure.title'), hasError: true, langSwitchUrl: p.langSwitchUrl, body });
}

/** After single logout: the hub session is over; `complete` false when the IdP reported a partial logout. */
export function renderLoggedOut(p: { lang: Lang; complete: boolean; langSwitchUrl?: string | undefined }): string {
  const body = html`<div class="notice" role="status"><p>${t(p.lang, 'federation.logout.done')}</p></div>
        ${!p.complete && html`<div class="alert" role="alert"><p>${t(p.lang, 'federation.logout.partial')}</p></div>`}
        <p>${t(p.lang, 'federation.logout.closeBrowser')}</p>`;
  return layout({ lang: p.lang, title: t(p.lang, 'federation.logout.title'), langSwitchUrl: p.langSwitchUrl, body });
}
