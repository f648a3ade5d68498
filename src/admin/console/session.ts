/**
 * The console's sign-in, as any first-party RP of the hub: authorization code with PKCE through
 * openid-client, asking for two factors, over HTTP to the hub's own issuer. The tokens stay on
 * the server (the ephemeral store, shared by every node); the browser holds only an opaque,
 * HttpOnly, SameSite=Strict cookie scoped to /admin, and each form carries the session's CSRF token.
 */
import { randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import * as oidc from 'openid-client';
import { ACR_TWO_FACTORS } from '../../identity/acr.js';
import type { EphemeralStore } from '../../storage/ports/ephemeral.js';
import { CONSOLE_CLIENT_ID, CONSOLE_SCOPE, consolePaths } from './client.js';

export const CONSOLE_COOKIE = 'hub_admin';
const PENDING_TTL_SECONDS = 600;
const DISCOVERY_TIMEOUT_SECONDS = 5;

export interface ConsoleSession {
  accessToken: string;
  idToken: string;
  csrf: string;
  /** Epoch seconds. */
  expiresAt: number;
}

interface PendingSignIn {
  verifier: string;
  nonce: string;
  /** A console path to go back to. */
  returnTo: string;
}

const sessionKey = (id: string) => `admin-console:session:${id}`;
const pendingKey = (state: string) => `admin-console:pending:${state}`;

/** Only the console's own paths: never an open redirect. */
export const consoleReturnPath = (value: unknown): string => (typeof value === 'string' && /^\/admin(\/[\w\-./%]*)?$/.test(value) && !value.includes('..') ? value : '/admin');

export class ConsoleSessions {
  private configuration: Promise<oidc.Configuration> | undefined;

  constructor(private readonly issuer: string, private readonly ephemeral: EphemeralStore) {}

  private discover(): Promise<oidc.Configuration> {
    this.configuration ??= oidc.discovery(new URL(this.issuer), CONSOLE_CLIENT_ID, undefined, oidc.None(), {
      execute: this.issuer.startsWith('http:') ? [oidc.allowInsecureRequests] : [],
      timeout: DISCOVERY_TIMEOUT_SECONDS,
    }).catch((err: unknown) => {
      this.configuration = undefined;
      throw err;
    });
    return this.configuration;
  }

  /** The authorization URL that starts a sign-in, remembering where to come back. */
  async start(returnTo: string, lang: string): Promise<string> {
    const config = await this.discover();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    await this.ephemeral.put(pendingKey(state), JSON.stringify({ verifier, nonce, returnTo } satisfies PendingSignIn), PENDING_TTL_SECONDS);
    return oidc.buildAuthorizationUrl(config, {
      redirect_uri: consolePaths(this.issuer).callback, scope: CONSOLE_SCOPE, state, nonce, acr_values: ACR_TWO_FACTORS, ui_locales: lang,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    }).href;
  }

  /** Redeems the code of the callback; null when the answer matches no sign-in in progress. */
  async finish(ctx: Context): Promise<{ session: ConsoleSession; returnTo: string } | null> {
    const state = typeof ctx.query.state === 'string' ? ctx.query.state : '';
    const stored = state ? await this.ephemeral.take(pendingKey(state)) : null;
    if (!stored || typeof ctx.query.error === 'string') return null;
    const pending = JSON.parse(stored) as PendingSignIn;
    const config = await this.discover();
    const base = this.issuer.replace(/\/$/, '');
    const tokens = await oidc.authorizationCodeGrant(config, new URL(`${base}${ctx.url}`), { pkceCodeVerifier: pending.verifier, expectedState: state, expectedNonce: pending.nonce });
    const session: ConsoleSession = {
      accessToken: tokens.access_token, idToken: tokens.id_token ?? '', csrf: randomBytes(24).toString('base64url'),
      expiresAt: Math.floor(Date.now() / 1000) + (tokens.expires_in ?? 600),
    };
    return { session, returnTo: pending.returnTo };
  }

  async open(ctx: Context, session: ConsoleSession): Promise<void> {
    const id = randomBytes(24).toString('base64url');
    const ttl = Math.max(1, session.expiresAt - Math.floor(Date.now() / 1000));
    await this.ephemeral.put(sessionKey(id), JSON.stringify(session), ttl);
    ctx.cookies.set(CONSOLE_COOKIE, id, { httpOnly: true, sameSite: 'strict', secure: ctx.secure, path: '/admin', signed: false, overwrite: true, maxAge: ttl * 1000 });
  }

  async current(ctx: Context): Promise<ConsoleSession | null> {
    const id = ctx.cookies.get(CONSOLE_COOKIE, { signed: false });
    if (!id || !/^[\w-]{32}$/.test(id)) return null;
    const stored = await this.ephemeral.get(sessionKey(id));
    return stored ? (JSON.parse(stored) as ConsoleSession) : null;
  }

  /** Ends the console session; the URL that ends the hub session too. */
  async close(ctx: Context): Promise<string> {
    const id = ctx.cookies.get(CONSOLE_COOKIE, { signed: false });
    const session = await this.current(ctx);
    if (id) await this.ephemeral.delete(sessionKey(id));
    ctx.cookies.set(CONSOLE_COOKIE, '', { httpOnly: true, sameSite: 'strict', secure: ctx.secure, path: '/admin', maxAge: 0 });
    const config = await this.discover();
    const home = consolePaths(this.issuer).home;
    return session?.idToken ? oidc.buildEndSessionUrl(config, { id_token_hint: session.idToken, post_logout_redirect_uri: home }).href : home;
  }
}
