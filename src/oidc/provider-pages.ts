/** oidc-provider's page hooks (errors, logout) rendered with the hub's own views. */
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Context } from 'koa';
import { UPSTREAM_SESSION_COOKIE } from '../federation/session-cookie.js';
import { pickLang, type Lang } from './views/i18n.js';
import { renderError, renderLoggedOut as loggedOutPage, renderLogoutConfirm as logoutConfirmPage, type ErrorKind } from './views/pages.js';

/** `requestedLocales`: the authorization request's `ui_locales`, for pages of an interaction. */
export function langOf(ctx: Context, requestedLocales?: unknown): Lang {
  const uiLocales = typeof ctx.query.ui_locales === 'string' ? ctx.query.ui_locales : typeof requestedLocales === 'string' ? requestedLocales : undefined;
  const query = typeof ctx.query.lang === 'string' ? ctx.query.lang : undefined;
  return pickLang({ query, uiLocales, acceptLanguage: ctx.get('accept-language') || undefined });
}

const KIND_OF_ERROR: Record<string, ErrorKind> = {
  invalid_client: 'unknown_client',
  temporarily_unavailable: 'unavailable',
  server_error: 'server_error',
  session_not_found: 'expired_interaction',
};

export async function renderProviderError(ctx: KoaContextWithOIDC, out: { error: string; error_description?: string }): Promise<void> {
  const kind = KIND_OF_ERROR[out.error] ?? 'invalid_request';
  ctx.type = 'html';
  ctx.body = renderError({
    lang: langOf(ctx),
    status: ctx.status,
    kind,
    ...(kind === 'invalid_request' && out.error_description ? { detail: out.error_description } : {}),
    requestId: String(ctx.state.requestId ?? ''),
  });
}

function clientNameOf(ctx: KoaContextWithOIDC): string | undefined {
  const client = ctx.oidc.client;
  return client ? String(client.clientName ?? client.clientId) : undefined;
}

export async function renderLogoutConfirm(ctx: KoaContextWithOIDC, form: string): Promise<void> {
  const clientName = clientNameOf(ctx);
  ctx.type = 'html';
  ctx.body = logoutConfirmPage({ lang: langOf(ctx), formHtml: form, formId: 'op.logoutForm', ...(clientName ? { clientName } : {}) });
}

export async function renderLoggedOut(ctx: KoaContextWithOIDC): Promise<void> {
  // Signed in through a SAML IdP: its session ends too (the federation route sends the request).
  if (ctx.cookies.get(UPSTREAM_SESSION_COOKIE, { signed: true })) {
    ctx.redirect(`/federation/logout?lang=${langOf(ctx)}`);
    return;
  }
  const clientName = clientNameOf(ctx);
  ctx.type = 'html';
  ctx.body = loggedOutPage({ lang: langOf(ctx), ...(clientName ? { clientName } : {}) });
}
