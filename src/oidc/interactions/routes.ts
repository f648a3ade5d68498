/**
 * The hub's interaction pages: local login and consent. oidc-provider hands over with
 * `/interaction/:uid`; each action finishes the interaction and redirects back to it.
 */
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { errors, type InteractionResults } from 'oidc-provider';
import { HubError } from '../../shared/errors.js';
import type { Federation } from '../../federation/index.js';
import type { EphemeralStore } from '../../storage/ports/ephemeral.js';
import type { PlatformStore } from '../../storage/ports/index.js';
import { langOf } from '../provider-pages.js';
import { renderConsent, renderLogin } from '../views/pages.js';
import { loginWithPassword } from './password-login.js';

export interface InteractionDeps {
  provider: Provider;
  store: PlatformStore;
  ephemeral: EphemeralStore;
  maxBodyBytes: number;
  /** The federation connectors' buttons on the login page. */
  loginChoices: Federation['loginChoices'];
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

/** An unknown, expired or already-used interaction: the user must start again from the app. */
export class InteractionExpired extends HubError {
  constructor() {
    super('expired_interaction', 'this sign-in attempt has expired; go back to the application and start again', { status: 400 });
  }
}

async function detailsOf(ctx: Context, provider: Provider, expectedPrompt?: string): Promise<Details> {
  let details: Details;
  try {
    details = await provider.interactionDetails(ctx.req, ctx.res);
  } catch (err) {
    if (err instanceof errors.SessionNotFound) throw new InteractionExpired();
    throw err;
  }
  if (details.uid !== ctx.params.uid || (expectedPrompt && details.prompt.name !== expectedPrompt)) throw new InteractionExpired();
  return details;
}

async function finish(ctx: Context, provider: Provider, result: InteractionResults, merge: boolean): Promise<void> {
  const to = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: merge });
  ctx.status = 303;
  ctx.redirect(to);
}

async function clientNameOf(provider: Provider, details: Details): Promise<string> {
  const client = await provider.Client.find(String(details.params.client_id));
  return String(client?.clientName ?? details.params.client_id);
}

function pageUrls(ctx: Context, uid: string) {
  const lang = langOf(ctx);
  const q = `?lang=${lang}`;
  return {
    lang,
    login: `/interaction/${uid}/login${q}`,
    confirm: `/interaction/${uid}/confirm${q}`,
    abort: `/interaction/${uid}/abort${q}`,
    langSwitchUrl: `/interaction/${uid}?lang=${lang === 'fr' ? 'en' : 'fr'}`,
  };
}

function requestedScopes(details: Details): string[] {
  const missing = details.prompt.details as { missingOIDCScope?: string[]; missingResourceScopes?: Record<string, string[]> };
  return [...(missing.missingOIDCScope ?? []), ...Object.values(missing.missingResourceScopes ?? {}).flat()];
}

async function showInteraction(ctx: Context, deps: InteractionDeps): Promise<void> {
  const details = await detailsOf(ctx, deps.provider);
  const urls = pageUrls(ctx, details.uid);
  const clientName = await clientNameOf(deps.provider, details);
  ctx.type = 'html';
  ctx.body =
    details.prompt.name === 'login'
      ? renderLogin({ lang: urls.lang, action: urls.login, clientName, langSwitchUrl: urls.langSwitchUrl, choices: deps.loginChoices({ lang: urls.lang, uid: details.uid, params: details.params }) })
      : renderConsent({ lang: urls.lang, action: urls.confirm, abortAction: urls.abort, clientName, scopes: requestedScopes(details), langSwitchUrl: urls.langSwitchUrl });
}

async function submitLogin(ctx: Context, deps: InteractionDeps): Promise<void> {
  const details = await detailsOf(ctx, deps.provider, 'login');
  const body = (ctx.request.body ?? {}) as Record<string, unknown>;
  const login = typeof body.login === 'string' ? body.login.trim().slice(0, 256) : '';
  const password = typeof body.password === 'string' ? body.password.slice(0, 1024) : '';
  const outcome = await loginWithPassword(deps.store, { login, password, clientId: String(details.params.client_id), ip: ctx.ip, userAgent: ctx.get('user-agent') });
  if (outcome.ok) {
    await finish(ctx, deps.provider, { login: { accountId: outcome.accountId, amr: ['pwd'] } }, false);
    return;
  }
  const urls = pageUrls(ctx, details.uid);
  ctx.status = outcome.error === 'missing_fields' ? 400 : 401;
  ctx.type = 'html';
  ctx.body = renderLogin({ lang: urls.lang, action: urls.login, clientName: await clientNameOf(deps.provider, details), login, error: outcome.error, langSwitchUrl: urls.langSwitchUrl, choices: deps.loginChoices({ lang: urls.lang, uid: details.uid, params: details.params }) });
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
  router.get('/:uid', (ctx) => showInteraction(ctx, deps));
  router.post('/:uid/login', form, (ctx) => submitLogin(ctx, deps));
  router.post('/:uid/confirm', form, (ctx) => confirmConsent(ctx, deps));
  router.post('/:uid/abort', form, (ctx) => abort(ctx, deps));
  return router;
}
