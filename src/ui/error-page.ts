/** The error page every module renders: what happened and what to do, technical codes in small print. */
import { html, safeUrl, type SafeHtml } from './html.js';
import { t, type Lang } from './i18n.js';
import { layout, tHtml } from './layout.js';

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
