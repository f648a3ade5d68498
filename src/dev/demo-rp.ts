/**
 * A demonstration relying party served by the hub itself in development (`/demo`), so a
 * newcomer can run a real authorization code + PKCE flow in a browser. It uses openid-client,
 * like any RP would, and talks to the hub over HTTP.
 */
import Router from '@koa/router';
import * as oidc from 'openid-client';
import { html } from '../ui/html.js';
import type { Logger } from '../shared/logger.js';
import type { NewOidcClient } from '../storage/ports/index.js';
import { layout } from '../ui/layout.js';

const CLIENT_ID = 'demo';
const SCOPE = 'openid profile email ent ent_children';
/** Pending logins by state; a development toy, so a bounded in-memory map is enough. */
const MAX_PENDING = 1000;
/** Seconds the demo waits for the hub's discovery document (openid-client's default is 30). */
const DISCOVERY_TIMEOUT_SECONDS = 5;

interface Pending {
  verifier: string;
  nonce: string;
}

/** The demo's public client, registered in development with the issuer's own callback URL. */
export function demoClientRecord(issuer: string): NewOidcClient {
  const base = issuer.replace(/\/$/, '');
  return {
    clientId: CLIENT_ID,
    name: 'Application de démonstration',
    firstParty: false,
    secretHash: null,
    metadata: {
      redirect_uris: [`${base}/demo/callback`],
      post_logout_redirect_uris: [`${base}/demo`],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      scope: SCOPE,
    },
  };
}

function page(title: string, body: ReturnType<typeof html>, hasError = false): string {
  return layout({ lang: 'fr', title, body, showHelp: false, hasError });
}

/** An error's message and its cause's code or message ("fetch failed (ECONNREFUSED)"). */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause as { code?: unknown; message?: unknown } | undefined;
  const detail = cause && (typeof cause.code === 'string' ? cause.code : typeof cause.message === 'string' ? cause.message : undefined);
  return detail ? `${err.message} (${detail})` : err.message;
}

/** fetch's own failures: refused, reset, unknown host, timed out. */
const isNetworkError = (err: unknown): boolean =>
  err instanceof TypeError || (err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError'));

/** The demo could not talk to the hub: said to the operator in the log, to the user in French. */
class IssuerUnreachable extends Error {
  constructor(readonly step: 'discovery' | 'token', cause: unknown) {
    super(describe(cause));
  }
}

/** `log` (the hub's logger) receives the demo's failures. */
export function demoRouter(issuer: string, log: Logger): Router {
  const base = issuer.replace(/\/$/, '');
  const redirectUri = `${base}/demo/callback`;
  const pending = new Map<string, Pending>();
  let configuration: Promise<oidc.Configuration> | undefined;
  const discover = () => {
    configuration ??= oidc.discovery(new URL(issuer), CLIENT_ID, undefined, oidc.None(), {
      execute: issuer.startsWith('http:') ? [oidc.allowInsecureRequests] : [],
      timeout: DISCOVERY_TIMEOUT_SECONDS,
    }).catch((err: unknown) => {
      configuration = undefined; // tried again at the next visit
      throw new IssuerUnreachable('discovery', err);
    });
    return configuration;
  };

  const router = new Router({ prefix: '/demo' });
  router.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      if (!(err instanceof IssuerUnreachable)) throw err;
      const what = err.step === 'discovery' ? 'cannot reach the issuer' : 'cannot redeem the authorization code at the issuer';
      log.error({ issuer, step: err.step, cause: err.message, requestId: ctx.state.requestId, path: ctx.path },
        `the demo ${what} ${issuer}: set HUB_ISSUER to the URL this hub is reached at (its scheme, host and port), then restart it`);
      ctx.status = 502;
      ctx.type = 'html';
      ctx.body = page('Le hub est injoignable', html`<p class="lead">L’application de démonstration n’a pas pu joindre le hub à l’adresse <strong>${issuer}</strong>.</p>
        <p>Cette adresse doit être celle à laquelle ce hub est joint. L’administrateur peut la corriger avec la variable d’environnement <code>HUB_ISSUER</code> (par exemple <code>HUB_ISSUER=http://localhost:3000</code>), puis redémarrer le hub. Le journal du hub donne la cause exacte.</p>
        <p><a class="button button--primary" href="/demo/login">Réessayer</a></p>
        <p class="note">Code à communiquer à l’assistance : ${String(ctx.state.requestId ?? '')}</p>`, true);
    }
  });
  router.get('/', (ctx) => {
    ctx.type = 'html';
    ctx.body = page('Application de démonstration', html`<p class="lead">Cette page joue le rôle d’une application (comme ONE ou NEO) qui délègue la connexion au hub.</p>
      <p><a class="button button--primary" href="/demo/login">Se connecter avec l’ENT</a></p>
      <p class="note">Comptes de démonstration : lea.martin, sophie.martin, paul.durand (Lille), hugo.lefevre, chloe.dubois (Amiens).</p>`);
  });
  router.get('/login', async (ctx) => {
    const config = await discover();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    if (pending.size >= MAX_PENDING) pending.clear();
    pending.set(state, { verifier, nonce });
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri, scope: SCOPE, state, nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    ctx.redirect(url.href);
  });
  router.get('/callback', async (ctx) => {
    const config = await discover();
    const state = typeof ctx.query.state === 'string' ? ctx.query.state : '';
    const login = pending.get(state);
    pending.delete(state);
    const refused = typeof ctx.query.error === 'string' ? String(ctx.query.error_description ?? ctx.query.error) : null;
    if (!login || refused) {
      ctx.status = 400;
      ctx.type = 'html';
      const reason = refused ? `Le hub a répondu : ${refused}` : 'Cette réponse ne correspond à aucune connexion en cours.';
      ctx.body = page('Connexion interrompue', html`<p class="lead">${reason}</p><p><a href="/demo">Recommencer</a></p>`);
      return;
    }
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(config, new URL(`${base}${ctx.url}`), { pkceCodeVerifier: login.verifier, expectedState: state, expectedNonce: login.nonce });
    } catch (err) {
      // No answer at all: the issuer's address again. An OAuth error (an expired code…) is said
      // on the page; anything else goes to the hub's error handler.
      if (isNetworkError(err)) throw new IssuerUnreachable('token', err);
      if (!(err instanceof oidc.ResponseBodyError)) throw err;
      ctx.status = 400;
      ctx.type = 'html';
      ctx.body = page('Connexion interrompue', html`<p class="lead">Le hub a refusé la connexion : ${err.error_description ?? err.error}</p><p><a href="/demo">Recommencer</a></p>`, true);
      return;
    }
    const claims = tokens.claims()!;
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    const logout = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: `${base}/demo` });
    ctx.type = 'html';
    ctx.body = page('Vous êtes connecté', html`<p class="lead">Bonjour ${String(userinfo.name ?? claims.sub)} !</p>
      <h2>Informations reçues (userinfo)</h2>
      <pre class="detail">${JSON.stringify(userinfo, null, 2)}</pre>
      <p><a class="button button--secondary" href="${logout.href}">Se déconnecter</a></p>`);
  });
  return router;
}
