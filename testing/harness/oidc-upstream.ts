/**
 * An académie staff IdP speaking OpenID Connect, for the federation tests: a bare
 * node-oidc-provider (a real OP not written here) that logs in whoever the test names
 * (`user()`), without forms. Code flow with PKCE required, a confidential client for the hub.
 *
 * `tamper()` rewrites the next ID tokens at the token endpoint and re-signs them, with the OP's
 * own key (wrong audience, expired, wrong nonce) or with a key the OP does not publish (bad
 * signature): the negative cases a well-behaved OP never produces.
 */
import { createServer, type Server } from 'node:http';
import { decodeJwt, exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload, type CryptoKey } from 'jose';
import Provider, { type Configuration } from 'oidc-provider';
import { freePort } from '../net.js';

export interface UpstreamUser {
  sub: string;
  /** Claims released (given_name, email, email_verified, mail, ctemail, FrEduRne…). */
  claims: Record<string, unknown>;
}

export type Tamper = (payload: JWTPayload) => { payload: JWTPayload; foreignKey?: boolean };

export interface OidcUpstream {
  issuer: string;
  clientId: string;
  /** The environment variable holding the client secret (the hub reads secrets from the environment). */
  secretEnv: string;
  /** Starts serving, trusting the hub's callback URL. */
  serve(redirectUri: string): Promise<void>;
  user(u: UpstreamUser): void;
  tamper(t: Tamper | null): void;
  stop(): Promise<void>;
}

const ALG = 'RS256';

async function signingKey(kid: string): Promise<{ jwk: JWK; key: CryptoKey }> {
  const { privateKey } = await generateKeyPair(ALG, { extractable: true });
  return { jwk: { ...(await exportJWK(privateKey)), kid, alg: ALG, use: 'sig' }, key: privateKey };
}

/** Reserves a port and an issuer URL; `serve` starts the OP once the hub's callback is known. */
export async function prepareOidcUpstream(): Promise<OidcUpstream> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const clientId = 'ent-hub';
  const secretEnv = `OIDC_UPSTREAM_SECRET_${port}`;
  process.env[secretEnv] = `secret-${port}-for-tests-only`;
  const [own, foreign] = await Promise.all([signingKey('upstream-1'), signingKey('not-published')]);
  let current: UpstreamUser = { sub: 'nobody', claims: {} };
  let tamper: Tamper | null = null;
  let server: Server | undefined;

  return {
    issuer, clientId, secretEnv,
    user: (u) => void (current = u),
    tamper: (t) => void (tamper = t),
    async serve(redirectUri) {
      const configuration: Configuration = {
        clients: [{ client_id: clientId, client_secret: process.env[secretEnv]!, redirect_uris: [redirectUri], grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic' }],
        jwks: { keys: [own.jwk] },
        // Its own cookie names: the test browser, like a real one, does not separate cookies by port.
        cookies: { keys: ['upstream-cookie-key'], names: { session: '_up_session', interaction: '_up_interaction', resume: '_up_interaction_resume' } },
        claims: { openid: ['sub'], profile: ['given_name', 'family_name'], email: ['email', 'email_verified'], academie: ['mail', 'ctemail', 'FrEduRne'] },
        scopes: ['openid', 'profile', 'email', 'academie'],
        pkce: { required: () => true },
        ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Grant: 600, Session: 600 },
        features: { devInteractions: { enabled: false } },
        findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ ...current.claims, sub }) }),
        // Every requested scope is granted: the test OP has no consent page.
        loadExistingGrant: async (ctx) => {
          const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId! });
          grant.addOIDCScope(String(ctx.oidc.params?.scope ?? 'openid'));
          await grant.save();
          return grant;
        },
        interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
      };
      const provider = new Provider(issuer, configuration);
      provider.on('server_error', (_ctx, err) => console.error('upstream OP error', err));
      provider.use(async (ctx, next) => {
        const interaction = /^\/interaction\/[\w-]+$/.exec(ctx.path);
        if (interaction) {
          // Logs in the scenario's user at once (the académie's login form is not under test).
          const to = await provider.interactionResult(ctx.req, ctx.res, { login: { accountId: current.sub } }, { mergeWithLastSubmission: false });
          ctx.status = 303;
          ctx.redirect(to);
          return;
        }
        await next();
        const body = ctx.body as { id_token?: unknown } | undefined;
        if (ctx.path === '/token' && ctx.status === 200 && tamper && body && typeof body.id_token === 'string') {
          const changed = tamper(decodeJwt(body.id_token));
          const signer = changed.foreignKey ? foreign : own;
          body.id_token = await new SignJWT(changed.payload).setProtectedHeader({ alg: ALG, kid: own.jwk.kid! }).sign(signer.key);
        }
      });
      server = createServer(provider.callback());
      await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    },
    async stop() {
      if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
      server?.closeAllConnections();
      delete process.env[secretEnv];
    },
  };
}
