/**
 * The page of an expired (or stale) sign-in, for a browser; other clients get the JSON error of
 * the app's error handler. Its way back: resume a stale sign-in where it is; restart an expired
 * one with its first request, if the protocol still remembers it; else the instruction.
 */
import type { Context } from 'koa';
import { isTransactionId, stepsPathOf, type LoginExpired } from '../login/transaction.js';
import { renderError, type ErrorAction } from '../ui/error-page.js';
import { t } from '../ui/i18n.js';
import { langOf } from '../ui/request-lang.js';
import type { LoginPagesDeps } from './context.js';

export async function showExpired(ctx: Context, deps: LoginPagesDeps, err: LoginExpired): Promise<void> {
  const id = String(ctx.params.uid ?? '');
  // Anything but a transaction id was never remembered.
  const restart = err.stale || !isTransactionId(id) ? undefined : await deps.login.restart(id);
  const lang = langOf(ctx, restart?.locales);
  const base = stepsPathOf(encodeURIComponent(id));
  let action: ErrorAction | undefined;
  if (err.stale) {
    action = { href: `${base}?lang=${lang}`, label: t(lang, 'error.resume') };
  } else if (restart?.clientName != null) {
    action = { href: restart.url, label: t(lang, 'error.restart', { client: restart.clientName }) };
  }
  // A GET page switches language in place; after a POST, the sign-in's page shows the same answer.
  const switchTo = new URLSearchParams({ ...(ctx.method === 'GET' ? Object.fromEntries(Object.entries(ctx.query).filter((e): e is [string, string] => typeof e[1] === 'string')) : {}), lang: lang === 'fr' ? 'en' : 'fr' });
  ctx.status = 400;
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = renderError({
    lang, status: 400, kind: err.stale ? 'stale_step' : 'expired_interaction', code: 'expired_interaction',
    requestId: String(ctx.state.requestId ?? ''), langSwitchUrl: `${ctx.method === 'GET' ? ctx.path : base}?${switchTo.toString()}`, ...(action ? { action } : {}),
  });
}
