/**
 * The SAML IdP's HTTP side, under /saml: its metadata (at the URL that is also its default
 * entityID, as the GAR wants), SSO (SP-initiated on both bindings, IdP-initiated by a link) and
 * SLO, and the two steps it adds to the hub's sign-in pages (`start`, `respond`).
 */
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context, Next } from 'koa';
import { STEPS_PREFIX } from '../../login/transaction.js';
import type { StepRoutes } from '../../login-pages/routes.js';
import type { LoginPagesDeps } from '../../login-pages/context.js';
import { showLoginPage } from '../../login-pages/login-page.js';
import { HubError } from '../../shared/errors.js';
import type { Lang } from '../../ui/i18n.js';
import { langOf } from '../../ui/request-lang.js';
import { SamlError } from '../core/errors.js';
import { MAX_SAML_XML_BYTES } from '../core/schema-validator.js';
import { inboundContext, type IdpDeps } from './deps.js';
import { IdpRequestRefused, MAX_RELAY_STATE_LENGTH, verifyAuthnRequest, verifyLogoutRequest, verifyLogoutResponse, type InboundMessage } from './inbound.js';
import type { IdpMetadata } from './metadata.js';
import { refusalPage, type RefusalKind } from './pages.js';
import { SAML_SIGN_IN_ID } from './sign-ins.js';
import {
  finishRun, receiveLogoutRequest, receiveLogoutResponse, runStatus, sendFrame, sendReply, showRun, SLO_PATHS, spLogoutRequestOf, type SpLogoutRequest,
} from './slo.js';
import { parkPosted, POSTED_PATHS, takePosted } from './posted.js';
import { respondAfterSignIn, resumePostedRequest, serveSso, ssoRequestOf, unsolicitedRequest } from './sso.js';

export const METADATA_CONTENT_TYPE = 'application/samlmetadata+xml';

const PAGE_REFUSALS: ReadonlySet<string> = new Set(['gar_no_school', 'tenant_not_served', 'account_unavailable', 'unknown_sp']);

/** Refusals are pages in words (the code in small print), logged with their reason; anything else goes to the hub's error handler. */
function refusals(deps: Pick<IdpDeps, 'log'>) {
  return async (ctx: Context, next: Next): Promise<void> => {
    try {
      await next();
    } catch (err) {
      const kind: RefusalKind | null = err instanceof IdpRequestRefused || err instanceof SamlError ? 'request'
        : err instanceof HubError && PAGE_REFUSALS.has(err.code) ? (err.code as RefusalKind) : null;
      if (!kind || !(err instanceof HubError)) throw err;
      deps.log.info({ code: err.code, reason: err.message, path: ctx.path }, 'SAML IdP refused a request');
      ctx.status = err.status >= 500 ? 400 : err.status;
      ctx.type = 'html';
      ctx.set('Cache-Control', 'no-store');
      ctx.body = refusalPage({ lang: langOf(ctx), kind, status: ctx.status, code: err.code, requestId: String(ctx.state.requestId) });
    }
  };
}

function messageOf(ctx: Context): InboundMessage {
  return ctx.method === 'POST' ? { binding: 'post', body: (ctx.request.body ?? {}) as Record<string, string> } : { binding: 'redirect', rawQuery: ctx.querystring };
}

async function sso(ctx: Context, deps: IdpDeps): Promise<void> {
  const verified = await verifyAuthnRequest(messageOf(ctx), inboundContext(deps, 'sso'));
  const request = ssoRequestOf(verified);
  // A POST from the SP's site carries no SameSite=Lax cookie (the hub session's): the request
  // goes on in a top-level GET, which does.
  if (ctx.method === 'POST') return parkPosted(ctx, deps.ephemeral, 'sso', { request, lang: langOf(ctx) });
  await serveSso(ctx, deps, request, verified.sp, langOf(ctx));
}

/** `/saml/sso/<entityID>?RelayState=…`: an ENT portal's link to the SP (the GAR: the resource's URL in RelayState). */
async function unsolicitedSso(ctx: Context, deps: IdpDeps): Promise<void> {
  const sp = await deps.store.serviceProviders.find(String(ctx.params.sp));
  if (!sp || !sp.enabled || (sp.validUntil !== null && sp.validUntil.getTime() <= Date.now())) throw new HubError('unknown_sp', 'unknown or disabled service provider', { status: 404 });
  const relayState = typeof ctx.query.RelayState === 'string' ? ctx.query.RelayState : null;
  if (relayState !== null && relayState.length > MAX_RELAY_STATE_LENGTH) throw new IdpRequestRefused('malformed', 'RelayState too long');
  await serveSso(ctx, deps, unsolicitedRequest(sp, relayState), sp, langOf(ctx));
}

async function slo(ctx: Context, deps: IdpDeps): Promise<void> {
  const message = messageOf(ctx);
  const isResponse = message.binding === 'post' ? message.body.SAMLResponse !== undefined : /(?:^|&)SAMLResponse=/.test(message.rawQuery);
  if (isResponse) return receiveLogoutResponse(ctx, deps, await verifyLogoutResponse(message, inboundContext(deps, 'slo')), langOf(ctx));
  const request = spLogoutRequestOf(await verifyLogoutRequest(message, inboundContext(deps, 'slo')));
  // Like an AuthnRequest on POST (posted.ts): the hub session's cookie comes only with the GET.
  if (ctx.method === 'POST') return parkPosted(ctx, deps.ephemeral, 'slo', { request, lang: langOf(ctx) });
  return receiveLogoutRequest(ctx, deps, request, langOf(ctx));
}

async function resumePostedLogout(ctx: Context, deps: IdpDeps, key: string): Promise<void> {
  const { request, lang } = await takePosted<{ request: SpLogoutRequest; lang: Lang }>(deps.ephemeral, 'slo', key);
  return receiveLogoutRequest(ctx, deps, request, lang);
}

export function samlIdpRouter(metadata: IdpMetadata, deps: IdpDeps): Router {
  const router = new Router({ prefix: '/saml' });
  const form = bodyParser({ enableTypes: ['form'], formLimit: `${Math.ceil((MAX_SAML_XML_BYTES * 4) / 3) + 4096}b`, encoding: 'utf-8' });
  router.get('/metadata', (ctx) => {
    ctx.type = METADATA_CONTENT_TYPE;
    // A shared cache may keep it as long as an SP may (cacheDuration): it is public and signed.
    ctx.set('Cache-Control', `public, max-age=${metadata.cacheSeconds}`);
    ctx.body = metadata.current();
  });
  router.use(refusals(deps));
  router.get('/sso', (ctx) => sso(ctx, deps));
  router.post('/sso', form, (ctx) => sso(ctx, deps));
  router.get(POSTED_PATHS.sso, (ctx) => resumePostedRequest(ctx, deps, String(ctx.params.key)));
  router.get('/sso/:sp', (ctx) => unsolicitedSso(ctx, deps));
  router.get('/slo', (ctx) => slo(ctx, deps));
  router.post('/slo', form, (ctx) => slo(ctx, deps));
  router.get(POSTED_PATHS.slo, (ctx) => resumePostedLogout(ctx, deps, String(ctx.params.key)));
  router.get(SLO_PATHS.reply, (ctx) => sendReply(ctx, deps, String(ctx.params.id)));
  router.get(SLO_PATHS.status, (ctx) => runStatus(ctx, deps, String(ctx.params.run)));
  router.get(SLO_PATHS.done, (ctx) => finishRun(ctx, deps, String(ctx.params.run)));
  router.get(SLO_PATHS.frame, (ctx) => sendFrame(ctx, deps, String(ctx.params.run), Number(ctx.params.n)));
  router.get(SLO_PATHS.run, (ctx) => showRun(ctx, deps, String(ctx.params.run)));
  return router;
}

/**
 * A SAML sign-in's own page is `…/start`: the sign-in pages' bare `/interaction/<id>` is the OIDC
 * provider's. Mounted before the sign-in pages, this sends a SAML id's bare page there.
 */
export function samlSignInEntry(): Router {
  const router = new Router({ prefix: STEPS_PREFIX });
  router.get('/:uid', (ctx, next) => {
    if (!SAML_SIGN_IN_ID.test(String(ctx.params.uid))) return next();
    ctx.redirect(`${ctx.path}/start${ctx.querystring ? `?${ctx.querystring}` : ''}`);
  });
  return router;
}

/** The steps the SAML IdP adds to the sign-in pages: its login page, and the answer to the SP once signed in. */
export function samlSignInSteps(deps: IdpDeps, pages: LoginPagesDeps): (routes: StepRoutes) => void {
  return (routes) => {
    routes.get('/start', async (ctx) => showLoginPage(ctx, pages, await pages.login.transaction(ctx, String(ctx.params.uid))));
    routes.get('/respond', (ctx) => respondAfterSignIn(ctx, deps, String(ctx.params.uid)));
  };
}
