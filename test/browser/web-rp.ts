/**
 * A real web relying party for the browser tests: a small node:http server on its own port that
 * uses openid-client like ONE or NEO would (authorization code + PKCE, nonce, state bound to the
 * browser by a cookie, ID token verified, userinfo, RP-initiated logout).
 *
 * It is started before the hub (its port goes into the hub's client registrations, see
 * `hubClients()`), then pointed at the hub with `connect(issuer)`.
 *
 * Pages (all on `rp.url`):
 * - `/login?client=<clientId>&<any authorization parameter>`: starts a login and redirects to
 *   the hub; every query parameter but `client` is passed on (acr_values, prompt, max_age,
 *   login_hint, idp_hint, ui_locales, scope…);
 * - `/callback`: exchanges the code and shows `<pre id="claims">` (the ID token's claims, JSON),
 *   `<pre id="userinfo">`, `<pre id="id-token">` (the compact JWT) and `data-client` on
 *   <body>; an error response shows `<p id="error" data-error="…">`; a failure of the exchange
 *   shows `<pre id="rp-error">` with status 500;
 * - `/logout?post_logout=1|0`: to the hub's end_session with the session's id_token_hint, with
 *   or without post_logout_redirect_uri + state;
 * - `/bye`: the post-logout landing page, `<pre id="bye">` with `{ state, expected }`.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import { sha256Hex } from '../../src/shared/ids.js';

export interface RpClient {
  clientId: string;
  name: string;
  firstParty: boolean;
  /** A confidential client (client_secret_basic); public (PKCE only) without. */
  secret?: string;
  /** Scopes asked by default (a `scope` parameter of /login overrides it). */
  scope: string;
  /** The only tenants whose accounts the client serves (config `servedTenants`); every one without. */
  servedTenants?: string[];
}

/** The RP's first-party confidential client, used when /login names none. */
export const WEB_RP = 'web-rp';
/** A first-party public client (PKCE only, like the SPA of an ENT). */
export const WEB_PUBLIC = 'web-public';
/** A third-party client: the hub asks for consent. */
export const PARTNER = 'partner';
/** A first-party client open to the accounts of one académie (Amiens) only. */
export const AMIENS_ONLY = 'amiens-only';

export function defaultRpClients(): RpClient[] {
  return [
    { clientId: WEB_RP, name: 'Web RP (first party)', firstParty: true, secret: 'web-rp-secret-for-tests-only', scope: 'openid profile email ent' },
    { clientId: WEB_PUBLIC, name: 'Web RP (public)', firstParty: true, scope: 'openid profile ent' },
    { clientId: PARTNER, name: 'Éditeur partenaire', firstParty: false, scope: 'openid profile ent' },
    { clientId: AMIENS_ONLY, name: 'Appli de l’académie d’Amiens', firstParty: true, scope: 'openid profile', servedTenants: ['amiens'] },
  ];
}

export interface WebRpOptions {
  /**
   * Host name in the RP's URLs (it always listens on 127.0.0.1). The hub runs on 127.0.0.1:
   * the default makes the RP same-site and cross-origin; `localhost` makes it cross-site, like
   * an ENT application on its own domain (SameSite cookies then matter).
   */
  host?: '127.0.0.1' | 'localhost';
  clients?: RpClient[];
}

export interface HubClientEntry {
  clientId: string;
  name: string;
  firstParty: boolean;
  secretSha256?: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  grantTypes: ('authorization_code' | 'refresh_token')[];
  scopes: string[];
  servedTenants?: string[];
}

export interface WebRp {
  /** `http://<host>:<port>`, no trailing slash. */
  url: string;
  redirectUri: string;
  postLogoutRedirectUri: string;
  clients: RpClient[];
  /** The entries for the hub's `config.clients`. */
  hubClients(): HubClientEntry[];
  /** Points the RP at the hub (discovery happens on the first login). */
  connect(issuer: string): void;
  /** `/login` of a client (default WEB_RP) with extra authorization parameters. */
  loginUrl(params?: Record<string, string> & { client?: string }): string;
  logoutUrl(postLogout: boolean): string;
  stop(): Promise<void>;
}

interface Pending {
  clientId: string;
  verifier: string;
  nonce: string;
  maxAge?: number;
}

interface RpSession {
  clientId: string;
  idToken: string;
  logoutState?: string;
}

const TX_COOKIE = 'webrp_tx';
const SESSION_COOKIE = 'webrp_sid';

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(res: ServerResponse, status: number, title: string, body: string, bodyAttrs = ''): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(title)} – web RP</title></head><body${bodyAttrs}><main><h1>${escape(title)}</h1>${body}</main></body></html>`);
}

function cookiesOf(req: IncomingMessage): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq).trim(), decodeURIComponent(part.slice(eq + 1).trim()));
  }
  return out;
}

const cookie = (name: string, value: string, maxAge?: number) =>
  `${name}=${encodeURIComponent(value)}; Path=/; HttpOnly; SameSite=Lax${maxAge !== undefined ? `; Max-Age=${maxAge}` : ''}`;

export async function startWebRp(options: WebRpOptions = {}): Promise<WebRp> {
  const clients = options.clients ?? defaultRpClients();
  const byId = new Map(clients.map((c) => [c.clientId, c]));
  const pending = new Map<string, Pending>();
  const sessions = new Map<string, RpSession>();
  const configurations = new Map<string, Promise<oidc.Configuration>>();
  let issuer: string | undefined;
  let base = '';

  const configurationOf = (clientId: string): Promise<oidc.Configuration> => {
    if (!issuer) throw new Error('web RP: connect(issuer) was not called');
    const client = byId.get(clientId);
    if (!client) throw new Error(`web RP: unknown client ${clientId}`);
    let config = configurations.get(clientId);
    if (!config) {
      const auth = client.secret ? oidc.ClientSecretBasic(client.secret) : oidc.None();
      config = oidc.discovery(new URL(issuer), clientId, undefined, auth, { execute: [oidc.allowInsecureRequests] });
      config.catch(() => configurations.delete(clientId));
      configurations.set(clientId, config);
    }
    return config;
  };

  async function login(url: URL, res: ServerResponse): Promise<void> {
    const params = Object.fromEntries(url.searchParams);
    const clientId = params.client ?? WEB_RP;
    delete params.client;
    const config = await configurationOf(clientId);
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    pending.set(state, { clientId, verifier, nonce, ...(params.max_age ? { maxAge: Number(params.max_age) } : {}) });
    const authorization = oidc.buildAuthorizationUrl(config, {
      redirect_uri: `${base}/callback`, scope: byId.get(clientId)!.scope, state, nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
      ...params,
    });
    res.writeHead(302, { location: authorization.href, 'set-cookie': cookie(TX_COOKIE, state, 600), 'cache-control': 'no-store' });
    res.end();
  }

  async function callback(req: IncomingMessage, url: URL, res: ServerResponse): Promise<void> {
    const state = url.searchParams.get('state') ?? '';
    const bound = cookiesOf(req).get(TX_COOKIE);
    const tx = pending.get(state);
    if (url.searchParams.has('error')) {
      const error = url.searchParams.get('error')!;
      const description = url.searchParams.get('error_description') ?? '';
      page(res, 200, 'Sign-in refused', `<p id="error" data-error="${escape(error)}">${escape(error)}</p><p id="error-description">${escape(description)}</p><p id="state-bound">${bound === state && tx ? 'yes' : 'no'}</p>`);
      return;
    }
    if (!tx || bound !== state) {
      page(res, 400, 'Unknown login', `<pre id="rp-error">state ${escape(state)} is ${tx ? 'not the one of this browser (cookie ' + escape(bound ?? 'absent') + ')' : 'unknown'}</pre>`);
      return;
    }
    pending.delete(state);
    const config = await configurationOf(tx.clientId);
    const tokens = await oidc.authorizationCodeGrant(config, url, {
      pkceCodeVerifier: tx.verifier, expectedState: state, expectedNonce: tx.nonce, idTokenExpected: true, ...(tx.maxAge !== undefined ? { maxAge: tx.maxAge } : {}),
    });
    const claims = tokens.claims()!;
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    const sid = randomBytes(16).toString('base64url');
    sessions.set(sid, { clientId: tx.clientId, idToken: tokens.id_token! });
    res.setHeader('set-cookie', [cookie(TX_COOKIE, '', 0), cookie(SESSION_COOKIE, sid)]);
    page(res, 200, 'Signed in', `<p>Signed in as <span id="sub">${escape(claims.sub)}</span> through <span id="client">${escape(tx.clientId)}</span>.</p>
<h2>ID token claims</h2><pre id="claims">${escape(JSON.stringify(claims, null, 2))}</pre>
<h2>Userinfo</h2><pre id="userinfo">${escape(JSON.stringify(userinfo, null, 2))}</pre>
<h2>ID token</h2><pre id="id-token">${escape(tokens.id_token!)}</pre>
<p><a href="/logout?post_logout=1">Sign out (back here)</a> · <a href="/logout?post_logout=0">Sign out (stay on the hub)</a></p>`, ` data-client="${escape(tx.clientId)}"`);
  }

  async function logout(req: IncomingMessage, url: URL, res: ServerResponse): Promise<void> {
    const sid = cookiesOf(req).get(SESSION_COOKIE) ?? '';
    const session = sessions.get(sid);
    if (!session) {
      page(res, 400, 'Not signed in', '<pre id="rp-error">no RP session in this browser</pre>');
      return;
    }
    const config = await configurationOf(session.clientId);
    const params: Record<string, string> = { id_token_hint: session.idToken, client_id: session.clientId };
    if (url.searchParams.get('post_logout') !== '0') {
      session.logoutState = oidc.randomState();
      Object.assign(params, { post_logout_redirect_uri: `${base}/bye`, state: session.logoutState });
    }
    const endSession = oidc.buildEndSessionUrl(config, params);
    res.writeHead(302, { location: endSession.href, 'cache-control': 'no-store' });
    res.end();
  }

  function bye(req: IncomingMessage, url: URL, res: ServerResponse): void {
    const sid = cookiesOf(req).get(SESSION_COOKIE) ?? '';
    const expected = sessions.get(sid)?.logoutState ?? null;
    sessions.delete(sid);
    res.setHeader('set-cookie', cookie(SESSION_COOKIE, '', 0));
    const out = { state: url.searchParams.get('state'), expected };
    page(res, 200, 'Signed out', `<pre id="bye">${escape(JSON.stringify(out))}</pre>`);
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', base);
    const route = async () => {
      switch (url.pathname) {
        case '/': return page(res, 200, 'Web RP', '<p><a href="/login">Sign in with the ENT</a></p>');
        case '/login': return login(url, res);
        case '/callback': return callback(req, url, res);
        case '/logout': return logout(req, url, res);
        case '/bye': return bye(req, url, res);
        default: return page(res, 404, 'Not found', '');
      }
    };
    route().catch((err: unknown) => {
      const detail = err instanceof oidc.ResponseBodyError ? `${err.error}: ${err.error_description ?? ''}` : err instanceof Error ? `${err.name}: ${err.message}${err.cause ? ` (cause: ${JSON.stringify(err.cause)})` : ''}` : String(err);
      if (!res.headersSent) page(res, 500, 'RP error', `<pre id="rp-error">${escape(detail)}</pre>`);
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  base = `http://${options.host ?? '127.0.0.1'}:${port}`;

  return {
    url: base,
    redirectUri: `${base}/callback`,
    postLogoutRedirectUri: `${base}/bye`,
    clients,
    hubClients: () => clients.map((c) => ({
      clientId: c.clientId, name: c.name, firstParty: c.firstParty,
      ...(c.secret ? { secretSha256: sha256Hex(c.secret) } : {}),
      redirectUris: [`${base}/callback`], postLogoutRedirectUris: [`${base}/bye`],
      grantTypes: ['authorization_code', 'refresh_token'], scopes: c.scope.split(' '),
      ...(c.servedTenants ? { servedTenants: c.servedTenants } : {}),
    })),
    connect: (iss: string) => {
      issuer = iss;
      configurations.clear();
    },
    loginUrl: (params = {}) => `${base}/login?${new URLSearchParams(params).toString()}`,
    logoutUrl: (postLogout: boolean) => `${base}/logout?post_logout=${postLogout ? 1 : 0}`,
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
