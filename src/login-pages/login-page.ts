/**
 * The login page of a sign-in: the upstream IdPs' buttons (home-realm discovery) above the local
 * login form, and the password login it posts to.
 */
import type { Context } from 'koa';
import type { LoginTransaction } from '../login/transaction.js';
import { renderLogin, type LoginError } from './views/login-page.js';
import { proceed } from './auth-step.js';
import { formField, originOf, pageUrls, redirect, transactionOf, type LoginPagesDeps } from './context.js';
import { retryMinutes } from './refusals.js';

interface LoginState {
  login?: string;
  error?: LoginError;
  retryMinutes?: number;
  /** The user came for the second-factor settings. */
  manage: boolean;
}

function loginPage(ctx: Context, deps: LoginPagesDeps, transaction: LoginTransaction, state: LoginState): string {
  const urls = pageUrls(ctx, transaction);
  return renderLogin({
    lang: urls.lang,
    action: urls.to('login'),
    clientName: transaction.client.name,
    langSwitchUrl: urls.langSwitchUrl,
    choices: deps.federation.loginChoices(transaction, deps.federation.rememberedChoice(ctx)),
    links: { activate: urls.to('activate'), changePassword: urls.to('password'), security: urls.to(undefined, { intent: 'manage' }) },
    ...(state.manage ? { intent: 'manage' as const } : {}),
    ...(state.login !== undefined ? { login: state.login } : {}),
    ...(state.error ? { error: state.error } : {}),
    ...(state.retryMinutes !== undefined ? { retryMinutes: state.retryMinutes } : {}),
  });
}

/**
 * The sign-in's own page. `?intent=manage`: the user came for the second-factor settings;
 * `?account=other`: the user wants another account than the one just refused.
 */
export async function showLoginPage(ctx: Context, deps: LoginPagesDeps, transaction: LoginTransaction): Promise<void> {
  const manage = ctx.query.intent === 'manage';
  // Hints would send the browser straight back to the account just refused.
  if (!manage && ctx.query.account !== 'other') {
    // A client's idp_hint / login_hint, or the user's last choice, goes straight to that IdP.
    const upstream = deps.federation.hintedRedirect(transaction, deps.federation.rememberedChoice(ctx));
    if (upstream) return redirect(ctx, upstream);
  }
  ctx.type = 'html';
  ctx.body = loginPage(ctx, deps, transaction, { manage });
}

export async function submitLogin(ctx: Context, deps: LoginPagesDeps): Promise<void> {
  const transaction = await transactionOf(ctx, deps);
  const login = formField(ctx, 'login', 256).trim();
  const manage = formField(ctx, 'intent', 16) === 'manage';
  const outcome = await deps.auth.checkPassword(login, formField(ctx, 'password'), originOf(ctx, transaction));
  if (outcome.ok) {
    const { account } = outcome;
    await proceed(ctx, deps, transaction, account, { accountId: account.id, tenantId: account.tenantId, amr: ['pwd'], intent: manage ? 'manage' : 'login' });
    return;
  }
  const limited = 'retryAfterSeconds' in outcome;
  ctx.status = limited ? 429 : outcome.error === 'missing_fields' ? 400 : 401;
  ctx.type = 'html';
  ctx.body = loginPage(ctx, deps, transaction, {
    login, manage,
    error: limited ? outcome.error : outcome.error === 'missing_fields' ? 'missing_fields' : 'invalid_credentials',
    ...(limited ? { retryMinutes: retryMinutes(outcome.retryAfterSeconds) } : {}),
  });
}
