/**
 * The hub's interaction pages: local login (with activation, password change and the second
 * factor) and consent. oidc-provider hands over with `/interaction/:uid`; each action finishes
 * the interaction, or sends the browser to the next step of the same interaction.
 */
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import { LoginExpired, type LoginTransaction } from '../../login/transaction.js';
import type { Account } from '../../storage/ports/index.js';
import { isSignInPrompt, TENANT_REFUSED } from '../sign-in-policy.js';
import { t } from '../../ui/i18n.js';
import { renderConsent, renderLogin, type ConsentAccount, type LoginError } from '../views/pages.js';
import { showAccountDone, showActivation, showPasswordChange, submitActivation, submitPasswordChange } from './account-forms.js';
import { proceed } from './auth-step.js';
import { retryMinutes } from './refusals.js';
import { clientNameOf, detailsOf, finish, formField, originOf, pageUrls, type Details, type InteractionDeps } from './interaction.js';
import { transactionOf } from '../login-protocol.js';
import { authorizationUrl, recallRestart, rememberRestart } from '../restart.js';
import {
  continueSignIn, removeSecondFactor, restartEnrolment, showEnrolment, showManagement, showSecondFactor, submitEnrolment, submitSecondFactor,
} from './second-factor.js';
import { renderError, type ErrorAction } from '../../ui/error-page.js';
import { langOf } from '../../ui/request-lang.js';

export type { InteractionDeps };

function requestedScopes(details: Details): string[] {
  const missing = details.prompt.details as { missingOIDCScope?: string[]; missingResourceScopes?: Record<string, string[]> };
  return [...(missing.missingOIDCScope ?? []), ...Object.values(missing.missingResourceScopes ?? {}).flat()];
}

/**
 * The scopes that release something of this account (see claimsFor in src/oidc/claims.ts):
 * `ent_children` only for a parent, `email` only if the account has an address. The grant
 * still records every scope asked, so the page is not shown again for ones that gave nothing.
 */
function scopesFor(account: Account | null, scopes: string[]): string[] {
  if (!account) return scopes;
  return scopes.filter((scope) => (scope === 'ent_children' ? account.profile === 'Relative' : scope === 'email' ? Boolean(account.email) : true));
}

async function consentAccount(deps: InteractionDeps, account: Account | null, scopes: string[]): Promise<ConsentAccount | undefined> {
  if (!account) return undefined;
  const tenant = deps.store.forTenant(account.tenantId);
  const [structures, groups] = scopes.includes('ent') ? await Promise.all([tenant.memberships.structuresOf(account.id), tenant.memberships.groupsOf(account.id)]) : [[], []];
  return {
    name: account.displayName || `${account.firstName} ${account.lastName}`.trim(), login: account.login, profile: account.profile,
    structures: structures.length, classes: groups.filter((g) => g.kind === 'class').length,
  };
}

async function consentPage(ctx: Context, deps: InteractionDeps, details: Details): Promise<string> {
  const urls = pageUrls(ctx, details);
  const accountId = details.session?.accountId;
  const account = accountId ? await deps.store.accounts.findById(accountId) : null;
  const scopes = scopesFor(account, requestedScopes(details));
  const shown = await consentAccount(deps, account, scopes);
  return renderConsent({
    lang: urls.lang, action: urls.to('confirm'), abortAction: urls.to('abort'), clientName: await clientNameOf(deps.provider, details),
    scopes, langSwitchUrl: urls.langSwitchUrl, ...(shown ? { account: shown } : {}),
  });
}

async function loginPage(
  ctx: Context, deps: InteractionDeps, details: Details, transaction: LoginTransaction, state: { login?: string; error?: LoginError; retryMinutes?: number; manage: boolean },
): Promise<string> {
  const urls = pageUrls(ctx, details);
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
 * The signed-in account belongs to a tenant the client does not serve (see TENANT_REFUSED): the
 * person is told, the refusal audited, and another account may be used. Nothing reached the client.
 */
async function tenantRefusedPage(ctx: Context, deps: InteractionDeps, details: Details): Promise<void> {
  const urls = pageUrls(ctx, details);
  const accountId = details.session?.accountId;
  const account = accountId ? await deps.store.accounts.findById(accountId) : null;
  await deps.store.audit.record({
    type: 'client.tenant_refused', accountId: account?.id ?? null, clientId: String(details.params.client_id ?? ''), ip: ctx.ip,
    details: { tenant: account?.tenantId ?? null },
  });
  ctx.status = 403;
  ctx.type = 'html';
  ctx.body = renderError({
    lang: urls.lang, status: 403, kind: TENANT_REFUSED, code: TENANT_REFUSED, requestId: String(ctx.state.requestId ?? ''), langSwitchUrl: urls.langSwitchUrl,
    action: { href: urls.to(undefined, { account: 'other' }), label: t(urls.lang, 'error.tenant_not_served.switch') },
  });
}

async function showInteraction(ctx: Context, deps: InteractionDeps): Promise<void> {
  const details = await detailsOf(ctx, deps.provider);
  await rememberRestart(deps, details);
  const otherAccount = ctx.query.account === 'other';
  if (details.prompt.reasons.includes(TENANT_REFUSED) && !otherAccount) {
    await tenantRefusedPage(ctx, deps, details);
    return;
  }
  if (!isSignInPrompt(details.prompt.name)) {
    ctx.type = 'html';
    ctx.body = await consentPage(ctx, deps, details);
    return;
  }
  const manage = ctx.query.intent === 'manage';
  const transaction = await transactionOf(ctx, deps.provider, details);
  // Hints would send the browser straight back to the account just refused.
  if (!manage && !otherAccount) {
    // An RP's idp_hint / login_hint, or the user's last choice, goes straight to that IdP.
    const upstream = deps.federation.hintedRedirect(transaction, deps.federation.rememberedChoice(ctx));
    if (upstream) {
      ctx.status = 303;
      ctx.redirect(upstream);
      return;
    }
  }
  ctx.type = 'html';
  ctx.body = await loginPage(ctx, deps, details, transaction, { manage });
}

async function submitLogin(ctx: Context, deps: InteractionDeps): Promise<void> {
  const details = await detailsOf(ctx, deps.provider, 'login');
  const login = formField(ctx, 'login', 256).trim();
  const manage = formField(ctx, 'intent', 16) === 'manage';
  const outcome = await deps.auth.checkPassword(login, formField(ctx, 'password'), originOf(ctx, details));
  if (outcome.ok) {
    const { account } = outcome;
    await proceed(ctx, deps, details, account, { accountId: account.id, tenantId: account.tenantId, amr: ['pwd'], intent: manage ? 'manage' : 'login' });
    return;
  }
  const limited = 'retryAfterSeconds' in outcome;
  ctx.status = limited ? 429 : outcome.error === 'missing_fields' ? 400 : 401;
  ctx.type = 'html';
  ctx.body = await loginPage(ctx, deps, details, await transactionOf(ctx, deps.provider, details), {
    login, manage,
    error: limited ? outcome.error : outcome.error === 'missing_fields' ? 'missing_fields' : 'invalid_credentials',
    ...(limited ? { retryMinutes: retryMinutes(outcome.retryAfterSeconds) } : {}),
  });
}

async function confirmConsent(ctx: Context, deps: InteractionDeps): Promise<void> {
  const { provider } = deps;
  const details = await detailsOf(ctx, provider, 'consent');
  const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: details.session?.accountId, clientId: String(details.params.client_id) });
  if (!grant) throw new LoginExpired();
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
  const grantId = await grant.save();
  await finish(ctx, provider, { consent: details.grantId ? {} : { grantId } }, true);
}

/** The RP gets `access_denied` (its description is for the RP's logs, never a hub page's text). */
async function abort(ctx: Context, deps: InteractionDeps): Promise<void> {
  await detailsOf(ctx, deps.provider);
  await finish(ctx, deps.provider, { error: 'access_denied', error_description: 'the user denied the request' }, false);
}

/**
 * The page of an expired (or stale) interaction, for a browser; other clients get the JSON error
 * of the app's error handler. Its way back: resume a stale interaction where it is; restart an
 * expired one with its first authorization request, if still remembered; else the instruction.
 */
async function expiredPage(ctx: Context, deps: InteractionDeps, err: LoginExpired): Promise<void> {
  const uid = String(ctx.params.uid ?? '');
  // oidc-provider's uids are short url-safe strings; anything else was never remembered.
  const restart = err.stale || !/^[\w-]{1,64}$/.test(uid) ? null : await recallRestart(deps, uid);
  const requestedLocales = restart ? new URLSearchParams(restart.query).get('ui_locales') ?? undefined : undefined;
  const lang = langOf(ctx, requestedLocales);
  const base = `/interaction/${encodeURIComponent(uid)}`;
  let action: ErrorAction | undefined;
  if (err.stale) {
    action = { href: `${base}?lang=${lang}`, label: t(lang, 'error.resume') };
  } else if (restart) {
    const client = await deps.provider.Client.find(restart.clientId).catch(() => undefined);
    if (client) action = { href: authorizationUrl(deps.provider, restart.query), label: t(lang, 'error.restart', { client: String(client.clientName ?? client.clientId) }) };
  }
  // A GET page switches language in place; after a POST, the interaction's page shows the same answer.
  const switchTo = new URLSearchParams({ ...(ctx.method === 'GET' ? Object.fromEntries(Object.entries(ctx.query).filter((e): e is [string, string] => typeof e[1] === 'string')) : {}), lang: lang === 'fr' ? 'en' : 'fr' });
  ctx.status = 400;
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = renderError({
    lang, status: 400, kind: err.stale ? 'stale_step' : 'expired_interaction', code: 'expired_interaction',
    requestId: String(ctx.state.requestId ?? ''), langSwitchUrl: `${ctx.method === 'GET' ? ctx.path : base}?${switchTo.toString()}`, ...(action ? { action } : {}),
  });
}

export function interactionRouter(deps: InteractionDeps): Router {
  const router = new Router({ prefix: '/interaction' });
  const form = bodyParser({ enableTypes: ['form'], formLimit: `${deps.maxBodyBytes}b`, encoding: 'utf-8' });
  const guarded = (action: (ctx: Context, deps: InteractionDeps) => Promise<void>) => async (ctx: Context) => {
    try {
      await action(ctx, deps);
    } catch (err) {
      if (!(err instanceof LoginExpired) || ctx.accepts('html', 'json') !== 'html') throw err;
      await expiredPage(ctx, deps, err);
    }
  };
  const get = (path: string, action: (ctx: Context, deps: InteractionDeps) => Promise<void>) => router.get(`/:uid${path}`, guarded(action));
  const post = (path: string, action: (ctx: Context, deps: InteractionDeps) => Promise<void>) => router.post(`/:uid${path}`, form, guarded(action));
  get('', showInteraction);
  post('/login', submitLogin);
  post('/confirm', confirmConsent);
  post('/abort', abort);
  get('/activate', showActivation);
  post('/activate', submitActivation);
  get('/password', showPasswordChange);
  post('/password', submitPasswordChange);
  get('/mfa', showSecondFactor);
  post('/mfa', submitSecondFactor);
  get('/enrol', showEnrolment);
  post('/enrol', submitEnrolment);
  get('/manage', (ctx, d) => showManagement(ctx, d));
  post('/manage/remove', removeSecondFactor);
  post('/manage/enrol', restartEnrolment);
  post('/continue', continueSignIn);
  get('/done', showAccountDone);
  return router;
}
