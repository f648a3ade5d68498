/**
 * The hub's interaction pages: local login (with activation, password change and the second
 * factor) and consent. oidc-provider hands over with `/interaction/:uid`; each action finishes
 * the interaction, or sends the browser to the next step of the same interaction.
 */
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import type { LoginPageContext } from '../../federation/index.js';
import { renderConsent, renderLogin, type LoginError } from '../views/pages.js';
import { showActivation, showPasswordChange, submitActivation, submitPasswordChange } from './account-forms.js';
import { proceed } from './auth-step.js';
import { retryMinutes } from './refusals.js';
import { clientNameOf, detailsOf, finish, formField, InteractionExpired, originOf, pageUrls, type Details, type InteractionDeps } from './interaction.js';
import {
  continueSignIn, removeSecondFactor, restartEnrolment, showEnrolment, showManagement, showSecondFactor, submitEnrolment, submitSecondFactor,
} from './second-factor.js';

export { InteractionExpired, type InteractionDeps };

function requestedScopes(details: Details): string[] {
  const missing = details.prompt.details as { missingOIDCScope?: string[]; missingResourceScopes?: Record<string, string[]> };
  return [...(missing.missingOIDCScope ?? []), ...Object.values(missing.missingResourceScopes ?? {}).flat()];
}

function realmContext(ctx: Context, deps: InteractionDeps, details: Details): LoginPageContext {
  const remembered = deps.federation.rememberedChoice(ctx);
  return { lang: pageUrls(ctx, details).lang, uid: details.uid, params: details.params, ...(remembered ? { remembered } : {}) };
}

async function loginPage(ctx: Context, deps: InteractionDeps, details: Details, state: { login?: string; error?: LoginError; retryMinutes?: number; manage: boolean }): Promise<string> {
  const urls = pageUrls(ctx, details);
  return renderLogin({
    lang: urls.lang,
    action: urls.to('login'),
    clientName: await clientNameOf(deps.provider, details),
    langSwitchUrl: urls.langSwitchUrl,
    choices: deps.federation.loginChoices(realmContext(ctx, deps, details)),
    links: { activate: urls.to('activate'), changePassword: urls.to('password'), security: urls.to(undefined, { intent: 'manage' }) },
    ...(state.manage ? { intent: 'manage' as const } : {}),
    ...(state.login !== undefined ? { login: state.login } : {}),
    ...(state.error ? { error: state.error } : {}),
    ...(state.retryMinutes !== undefined ? { retryMinutes: state.retryMinutes } : {}),
  });
}

async function showInteraction(ctx: Context, deps: InteractionDeps): Promise<void> {
  const details = await detailsOf(ctx, deps.provider);
  const urls = pageUrls(ctx, details);
  const manage = ctx.query.intent === 'manage';
  if (details.prompt.name === 'login' && !manage) {
    // An RP's idp_hint / login_hint, or the user's last choice, goes straight to that IdP.
    const upstream = deps.federation.hintedRedirect(realmContext(ctx, deps, details));
    if (upstream) {
      ctx.status = 303;
      ctx.redirect(upstream);
      return;
    }
  }
  ctx.type = 'html';
  ctx.body =
    details.prompt.name === 'login'
      ? await loginPage(ctx, deps, details, { manage })
      : renderConsent({ lang: urls.lang, action: urls.to('confirm'), abortAction: urls.to('abort'), clientName: await clientNameOf(deps.provider, details), scopes: requestedScopes(details), langSwitchUrl: urls.langSwitchUrl });
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
  ctx.body = await loginPage(ctx, deps, details, {
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
  if (!grant) throw new InteractionExpired();
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
  const grantId = await grant.save();
  await finish(ctx, provider, { consent: details.grantId ? {} : { grantId } }, true);
}

async function abort(ctx: Context, deps: InteractionDeps): Promise<void> {
  await detailsOf(ctx, deps.provider);
  await finish(ctx, deps.provider, { error: 'access_denied', error_description: 'the user denied the request' }, false);
}

export function interactionRouter(deps: InteractionDeps): Router {
  const router = new Router({ prefix: '/interaction' });
  const form = bodyParser({ enableTypes: ['form'], formLimit: `${deps.maxBodyBytes}b`, encoding: 'utf-8' });
  const get = (path: string, action: (ctx: Context, deps: InteractionDeps) => Promise<void>) => router.get(`/:uid${path}`, (ctx) => action(ctx, deps));
  const post = (path: string, action: (ctx: Context, deps: InteractionDeps) => Promise<void>) => router.post(`/:uid${path}`, form, (ctx) => action(ctx, deps));
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
  return router;
}
