/** oidc-provider's page hooks (errors, logout) rendered with the hub's own views. */
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Context } from 'koa';
import { t } from '../ui/i18n.js';
import { langOf, langSwitchOf } from '../ui/request-lang.js';
import { renderLoggedOut as loggedOutPage, renderLogoutConfirm as logoutConfirmPage } from './views/pages.js';
import { renderError, type ErrorAction, type ErrorKind } from '../ui/error-page.js';

const KIND_OF_ERROR: Record<string, ErrorKind> = {
  invalid_client: 'unknown_client',
  invalid_redirect_uri: 'invalid_redirect_uri',
  access_denied: 'access_denied',
  temporarily_unavailable: 'unavailable',
  server_error: 'server_error',
  session_not_found: 'expired_interaction',
};

function endSessionUrl(ctx: KoaContextWithOIDC): string | undefined {
  try {
    return ctx.oidc.urlFor('end_session');
  } catch {
    return undefined;
  }
}

/** The end_session routes' own paths (`/session/end`, `/session/end/confirm`): their errors are failed sign-outs. */
function isLogoutRequest(ctx: KoaContextWithOIDC): boolean {
  const endSession = endSessionUrl(ctx);
  return endSession !== undefined && new URL(ctx.originalUrl, 'http://hub.invalid').pathname.startsWith(new URL(endSession).pathname);
}

/**
 * oidc-provider's errors that cannot go back to the RP. The page says in the reader's language
 * what happened and what to do; the OAuth error code is in small print, its English description
 * (e.g. `redirect_uri did not match …`) never on the page.
 */
export async function renderProviderError(ctx: KoaContextWithOIDC, out: { error: string; error_description?: string }): Promise<void> {
  const lang = langOf(ctx);
  const logout = isLogoutRequest(ctx);
  const kind = logout && out.error === 'invalid_request' ? 'logout_failed' : (KIND_OF_ERROR[out.error] ?? 'invalid_request');
  const endSession = logout ? endSessionUrl(ctx) : undefined;
  const action: ErrorAction | undefined = endSession ? { href: `${new URL(endSession).pathname}?lang=${lang}`, label: t(lang, 'error.logout_restart') } : undefined;
  const langSwitchUrl = langSwitchOf(ctx, lang);
  ctx.type = 'html';
  ctx.body = renderError({
    lang,
    status: ctx.status,
    kind,
    code: out.error,
    requestId: String(ctx.state.requestId ?? ''),
    ...(langSwitchUrl ? { langSwitchUrl } : {}),
    ...(action ? { action } : {}),
  });
}

function clientNameOf(ctx: KoaContextWithOIDC): string | undefined {
  const client = ctx.oidc.client;
  return client ? String(client.clientName ?? client.clientId) : undefined;
}

export async function renderLogoutConfirm(ctx: KoaContextWithOIDC, form: string): Promise<void> {
  const clientName = clientNameOf(ctx);
  const lang = langOf(ctx);
  const langSwitchUrl = langSwitchOf(ctx, lang);
  ctx.type = 'html';
  ctx.body = logoutConfirmPage({ lang, formHtml: form, formId: 'op.logoutForm', ...(clientName ? { clientName } : {}), ...(langSwitchUrl ? { langSwitchUrl } : {}) });
}

export async function renderLoggedOut(ctx: KoaContextWithOIDC): Promise<void> {
  const clientName = clientNameOf(ctx);
  const lang = langOf(ctx);
  const langSwitchUrl = langSwitchOf(ctx, lang);
  // Named client: the user stayed signed in to the ENT; the confirmation page can end that too.
  const endSession = clientName ? endSessionUrl(ctx) : undefined;
  ctx.type = 'html';
  ctx.body = loggedOutPage({
    lang,
    ...(clientName ? { clientName } : {}),
    ...(langSwitchUrl ? { langSwitchUrl } : {}),
    ...(endSession ? { everywhereUrl: `${new URL(endSession).pathname}?lang=${lang}` } : {}),
  });
}
