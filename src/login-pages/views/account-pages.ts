/**
 * Pages of local accounts: activation, password change, second factor (code, recovery code,
 * enrolment with a QR code, recovery codes shown once, management). Same constraints as
 * login-page.ts: no script, no inline style, every value escaped, French first.
 */
import type { PasswordPolicy, PolicyRange, PolicySummary } from '../../auth/password-policy.js';
import { html, raw, safeOtpauthUrl, safeUrl, SafeHtml } from '../../ui/html.js';
import { joinList, t, type Lang, type MessageKey } from '../../ui/i18n.js';
import { layout, tHtml } from '../../ui/layout.js';
import type { Profile } from '../../identity/vocabulary.js';
import './messages.js';

const ERROR_ID = 'form-error';

interface PageBase {
  lang: Lang;
  langSwitchUrl: string;
}

export interface FormError {
  key: MessageKey;
  vars?: Record<string, string>;
  /** Names of the fields the error is about (marked aria-invalid). */
  fields: string[];
}

function errorBox(lang: Lang, error: FormError | undefined): SafeHtml | false {
  return error !== undefined && html`<div class="alert" id="${ERROR_ID}" role="alert"><p>${t(lang, error.key, error.vars)}</p></div>`;
}

interface FieldSpec {
  name: string;
  label: MessageKey;
  type: 'text' | 'password' | 'email';
  autocomplete: string;
  value?: string;
  /** Text, or markup (a list of rules) rendered in a block instead of a paragraph. */
  hint?: string | SafeHtml;
  inputmode?: 'numeric';
  required?: boolean;
}

function field(lang: Lang, f: FieldSpec, error: FormError | undefined): SafeHtml {
  const hintId = `${f.name}-hint`;
  const invalid = error?.fields.includes(f.name) ?? false;
  const describedBy = [f.hint ? hintId : '', invalid ? ERROR_ID : ''].filter(Boolean).join(' ');
  return html`<div class="field">
            <label for="${f.name}">${t(lang, f.label)}</label>
            ${f.hint instanceof SafeHtml ? html`<div class="hint" id="${hintId}">${f.hint}</div>` : f.hint && html`<p class="hint" id="${hintId}">${f.hint}</p>`}
            <input id="${f.name}" name="${f.name}" type="${f.type}" autocomplete="${f.autocomplete}"${f.value !== undefined && html` value="${f.value}"`}${f.type === 'text' && raw(' autocapitalize="none" autocorrect="off" spellcheck="false"')}${f.inputmode && html` inputmode="${f.inputmode}"`}${f.required !== false && raw(' required')}${invalid && raw(' aria-invalid="true"')}${describedBy && html` aria-describedby="${describedBy}"`}>
          </div>`;
}

function page(p: PageBase, title: MessageKey, error: FormError | undefined, body: SafeHtml): string {
  return layout({ lang: p.lang, title: t(p.lang, title), hasError: error !== undefined, langSwitchUrl: p.langSwitchUrl, body });
}

const backLink = (lang: Lang, url: string): SafeHtml => html`<p class="note"><a href="${safeUrl(url)}">${t(lang, 'activate.back')}</a></p>`;

/**
 * The password rule a page states, from the policy objects the server checks with:
 * `account`, the policy of the account (known once the person proved they hold it: the right
 * activation code, the current password); `profiles`, what holds for every profile of every
 * tenant when the account is not known yet (null: no tenant, nothing to state but the tip).
 */
export type PasswordRule = { kind: 'account'; policy: PasswordPolicy } | { kind: 'profiles'; summary: PolicySummary<Profile> | null };

const count = (lang: Lang, range: PolicyRange): string =>
  range.low === range.high ? t(lang, 'rule.count', { n: String(range.low) }) : t(lang, 'rule.countRange', { low: String(range.low), high: String(range.high) });

function ruleItems(lang: Lang, rule: PasswordRule): string[] {
  if (rule.kind === 'account') {
    const { policy } = rule;
    return [
      t(lang, 'rule.length', { min: String(policy.minLength), max: String(policy.maxLength) }),
      ...(policy.refuseCommon ? [t(lang, 'rule.common')] : []),
      ...(policy.refusePersonal ? [t(lang, 'rule.personal')] : []),
    ];
  }
  const { summary } = rule;
  if (!summary) return [];
  // "8 caractères pour les élèves, 10 caractères pour les parents et 12 caractères pour les enseignants, les personnels et les invités"
  const perProfile = summary.minLength.map((group) =>
    t(lang, 'rule.forProfiles', { count: count(lang, group.range), profiles: joinList(lang, group.keys.map((profile) => t(lang, `rule.profile.${profile}`))) }));
  const max = summary.maxLength;
  return [
    t(lang, 'rule.minByProfile', { list: joinList(lang, perProfile) }),
    max.low === max.high ? t(lang, 'rule.max', { max: String(max.low) }) : t(lang, 'rule.maxRange', { low: String(max.low), high: String(max.high) }),
    ...(summary.refuseCommon ? [t(lang, 'rule.common')] : []),
    ...(summary.refusePersonal ? [t(lang, 'rule.personal')] : []),
  ];
}

/** The hint of a new-password field: the rule as a list, then the advice. */
export function passwordRuleHtml(lang: Lang, rule: PasswordRule): SafeHtml {
  const items = ruleItems(lang, rule);
  return html`${items.length > 0 && html`<p class="hint">${t(lang, rule.kind === 'account' ? 'rule.introAccount' : 'rule.introProfiles')}</p>
              <ul class="hint">${items.map((item) => html`<li>${item}</li>`)}</ul>`}
              <p class="hint">${t(lang, 'rule.tip')}</p>`;
}

export function renderActivation(p: PageBase & {
  action: string;
  backUrl: string;
  termsVersion: string;
  rule: PasswordRule;
  login?: string;
  /** The activation code as typed, kept after an error (never the passwords). */
  code?: string;
  /** The terms box was ticked. */
  termsAccepted?: boolean;
  email?: string;
  error?: FormError;
}): string {
  const body = html`<p class="lead">${t(p.lang, 'activate.intro')}</p>
        ${errorBox(p.lang, p.error)}
        <form class="form" method="post" action="${safeUrl(p.action)}" novalidate>
          ${field(p.lang, { name: 'login', label: 'activate.login', type: 'text', autocomplete: 'username', value: p.login ?? '' }, p.error)}
          ${field(p.lang, { name: 'code', label: 'activate.code', type: 'text', autocomplete: 'one-time-code', value: p.code ?? '', hint: t(p.lang, 'activate.codeHint') }, p.error)}
          ${field(p.lang, { name: 'password', label: 'activate.password', type: 'password', autocomplete: 'new-password', hint: passwordRuleHtml(p.lang, p.rule) }, p.error)}
          ${field(p.lang, { name: 'password2', label: 'activate.password2', type: 'password', autocomplete: 'new-password' }, p.error)}
          ${field(p.lang, { name: 'email', label: 'activate.email', type: 'email', autocomplete: 'email', value: p.email ?? '', hint: t(p.lang, 'activate.emailHint'), required: false }, p.error)}
          <div class="field field--check">
            <input id="terms" name="terms" type="checkbox" value="${p.termsVersion}"${p.termsAccepted && raw(' checked')} required${p.error?.fields.includes('terms') && raw(` aria-invalid="true" aria-describedby="${ERROR_ID}"`)}>
            <label for="terms">${t(p.lang, 'activate.terms', { version: p.termsVersion })}</label>
          </div>
          <button class="button button--primary" type="submit">${t(p.lang, 'activate.submit')}</button>
        </form>
        ${backLink(p.lang, p.backUrl)}`;
  return page(p, 'activate.title', p.error, body);
}

export function renderPasswordChange(p: PageBase & { action: string; backUrl: string; rule: PasswordRule; login?: string; error?: FormError }): string {
  const body = html`<p class="lead">${t(p.lang, 'password.intro')}</p>
        ${errorBox(p.lang, p.error)}
        <form class="form" method="post" action="${safeUrl(p.action)}" novalidate>
          ${field(p.lang, { name: 'login', label: 'password.login', type: 'text', autocomplete: 'username', value: p.login ?? '' }, p.error)}
          ${field(p.lang, { name: 'current', label: 'password.current', type: 'password', autocomplete: 'current-password' }, p.error)}
          ${field(p.lang, { name: 'password', label: 'password.new', type: 'password', autocomplete: 'new-password', hint: passwordRuleHtml(p.lang, p.rule) }, p.error)}
          ${field(p.lang, { name: 'password2', label: 'password.new2', type: 'password', autocomplete: 'new-password' }, p.error)}
          <button class="button button--primary" type="submit">${t(p.lang, 'password.submit')}</button>
        </form>
        ${backLink(p.lang, p.backUrl)}`;
  return page(p, 'password.title', p.error, body);
}

export function renderSecondFactor(p: PageBase & { action: string; switchUrl: string; recovery: boolean; error?: FormError }): string {
  const input: FieldSpec = p.recovery
    ? { name: 'recovery', label: 'mfa.recoveryCode', type: 'text', autocomplete: 'off' }
    : { name: 'code', label: 'mfa.code', type: 'text', autocomplete: 'one-time-code', inputmode: 'numeric' };
  const body = html`<p class="lead">${t(p.lang, p.recovery ? 'mfa.recoveryIntro' : 'mfa.intro')}</p>
        ${errorBox(p.lang, p.error)}
        <form class="form" method="post" action="${safeUrl(p.action)}" novalidate>
          ${field(p.lang, input, p.error)}
          <button class="button button--primary" type="submit">${t(p.lang, 'mfa.submit')}</button>
        </form>
        <p class="note"><a href="${safeUrl(p.switchUrl)}">${t(p.lang, p.recovery ? 'mfa.useApp' : 'mfa.useRecovery')}</a></p>`;
  return page(p, p.recovery ? 'mfa.recoveryTitle' : 'mfa.title', p.error, body);
}

export function renderEnrolment(p: PageBase & {
  action: string;
  required: boolean;
  qrSvg: string;
  manualKey: string;
  /** The otpauth:// URI the QR code holds: a link a phone user taps to add the account. */
  otpauthUrl?: string;
  error?: FormError;
}): string {
  // The SVG comes from the qrcode library, drawn from our own otpauth URI: markup we build.
  const body = html`${p.required && html`<p class="lead">${t(p.lang, 'enrol.required')}</p>`}
        ${errorBox(p.lang, p.error)}
        <ol class="steps">
          <li>${t(p.lang, 'enrol.step1')}</li>
          <li>${t(p.lang, 'enrol.step2')}
            <figure class="qr" role="img" aria-label="${t(p.lang, 'enrol.qrLabel')}">${raw(p.qrSvg)}</figure>
            ${p.otpauthUrl && html`<p>${t(p.lang, 'enrol.openAppIntro')} <a class="otpauth-link" href="${safeOtpauthUrl(p.otpauthUrl)}">${t(p.lang, 'enrol.openApp')}</a></p>`}
            <p>${t(p.lang, 'enrol.manualKey')} <code class="secret">${p.manualKey}</code></p>
          </li>
          <li>${t(p.lang, 'enrol.step3')}</li>
        </ol>
        <form class="form" method="post" action="${safeUrl(p.action)}" novalidate>
          ${field(p.lang, { name: 'code', label: 'mfa.code', type: 'text', autocomplete: 'one-time-code', inputmode: 'numeric' }, p.error)}
          <button class="button button--primary" type="submit">${t(p.lang, 'enrol.submit')}</button>
        </form>`;
  return page(p, 'enrol.title', p.error, body);
}

export function renderRecoveryCodes(p: PageBase & { action: string; codes: string[] }): string {
  const body = html`<p class="lead">${t(p.lang, 'recovery.intro')}</p>
        <ul class="codes" aria-label="${t(p.lang, 'recovery.listLabel')}">
          ${p.codes.map((code) => html`<li><code>${code}</code></li>`)}
        </ul>
        <form method="post" action="${safeUrl(p.action)}">
          <button class="button button--primary" type="submit">${t(p.lang, 'recovery.continue')}</button>
        </form>`;
  return page(p, 'recovery.title', undefined, body);
}

export function renderMfaManagement(p: PageBase & {
  enrolled: boolean;
  required: boolean;
  remainingCodes: number;
  notice?: MessageKey;
  noticeVars?: Record<string, string>;
  enrolAction: string;
  removeAction: string;
  continueAction: string;
}): string {
  const status = p.enrolled ? t(p.lang, 'manage.enabled', { count: String(p.remainingCodes) }) : t(p.lang, 'manage.disabled');
  const button = (action: string, label: MessageKey, primary: boolean) => html`<form method="post" action="${safeUrl(action)}">
            <button class="button ${primary ? 'button--primary' : 'button--secondary'}" type="submit">${t(p.lang, label)}</button>
          </form>`;
  const body = html`${p.notice && html`<div class="notice" role="status"><p>${t(p.lang, p.notice, p.noticeVars)}</p></div>`}
        <p class="lead">${status}</p>
        ${p.enrolled && p.required && html`<p class="note">${t(p.lang, 'manage.requiredNote')}</p>`}
        <div class="actions actions--stack">
          ${button(p.enrolAction, p.enrolled ? 'manage.replace' : 'manage.enable', !p.enrolled)}
          ${p.enrolled && !p.required && button(p.removeAction, 'manage.remove', false)}
          ${button(p.continueAction, 'manage.continue', p.enrolled)}
        </div>`;
  return page(p, 'manage.title', undefined, body);
}

/**
 * After an activation or a password change, once every factor passed: what was done, how to sign
 * in from now on, and a button that goes on with the sign-in (a form: the sign-in ends on POST).
 */
export function renderAccountDone(p: PageBase & { what: 'activated' | 'password_changed'; login: string; clientName: string; action: string }): string {
  const body = html`<div class="notice" role="status"><p>${t(p.lang, `done.${p.what}.text`)}</p></div>
        <p class="lead">${t(p.lang, `done.${p.what}.next`, { login: p.login })}</p>
        <form method="post" action="${safeUrl(p.action)}">
          <button class="button button--primary" type="submit">${tHtml(p.lang, 'done.continue', { client: html`<strong class="client-name">${p.clientName}</strong>` })}</button>
        </form>`;
  return page(p, `done.${p.what}.title`, undefined, body);
}
