/**
 * Builds the node-oidc-provider instance: one issuer, clients from the store, models in Redis
 * (or memory in the embedded default), ES256/RS256 keys, and the features the ENT relies on.
 */
import Provider, { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { BASE_SCOPES, type HubConfig } from '../config/schema.js';
import { ServiceUnavailable } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { PlatformStore } from '../storage/ports/index.js';
import type { OidcModelAdapter } from '../storage/ports/oidc-adapter.js';
import { ACR_VALUES } from './acr.js';
import { claimsFor, SCOPE_CLAIMS } from './claims.js';
import { issuedBeforeChange, signInPolicy } from './sign-in-policy.js';
import { FIRST_PARTY, installHashedSecretCheck, StoreClientAdapter } from './clients.js';
import { providerJwks, type KeySet } from './keys.js';
import { renderProviderError, renderLogoutConfirm, renderLoggedOut } from './provider-pages.js';

export interface ProviderDeps {
  config: HubConfig;
  store: PlatformStore;
  keys: KeySet;
  /** Storage for every model but Client. */
  modelAdapter: (model: string) => OidcModelAdapter;
  log: Logger;
}

/** An OAuth error oidc-provider renders with status 503 (its own 5xx errors are all "server_error"). */
class TemporarilyUnavailable extends errors.OIDCProviderError {
  constructor() {
    super(503, 'temporarily_unavailable');
    this.error_description = 'the service is temporarily unavailable, please retry in a moment';
    this.expose = true;
  }
}

/** Storage failures surface as 503 temporarily_unavailable instead of a 500. */
function translatingAdapter(adapter: OidcModelAdapter): OidcModelAdapter {
  return new Proxy(adapter, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } catch (err) {
          throw err instanceof ServiceUnavailable ? new TemporarilyUnavailable() : err;
        }
      };
    },
  });
}

/** Production requires configured keys (checked at load); development gets a fixed, labelled one. */
export function cookieKeysOf(config: HubConfig): string[] {
  return config.oidc.cookieKeys ?? ['development-only cookie key: set HUB_COOKIE_KEYS in production'];
}

function isFirstParty(client: { [FIRST_PARTY]?: unknown } | undefined): boolean {
  return client?.[FIRST_PARTY] === true;
}

/** First-party clients get a grant of what they asked for without a consent page. */
async function loadExistingGrant(ctx: KoaContextWithOIDC) {
  const { oidc } = ctx;
  const grantId = oidc.result?.consent?.grantId ?? oidc.session?.grantIdFor(oidc.client!.clientId);
  if (grantId) return oidc.provider.Grant.find(grantId);
  if (!isFirstParty(oidc.client as never) || !oidc.session?.accountId) return undefined;
  const grant = new oidc.provider.Grant({ clientId: oidc.client!.clientId, accountId: oidc.session.accountId });
  grant.addOIDCScope([...oidc.requestParamScopes].join(' '));
  for (const [indicator, server] of Object.entries(oidc.resourceServers ?? {})) {
    if (server.scope) grant.addResourceScope(indicator, server.scope);
  }
  await grant.save();
  return grant;
}

export function createProvider(deps: ProviderDeps): Provider {
  const { config, store } = deps;
  const clientAdapter = new StoreClientAdapter(store);
  const resources = new Map(config.oidc.resources.map((r) => [r.indicator, r]));
  const ttl = config.oidc.ttl;
  const privateHosts = new Set(config.oidc.outboundPrivateHosts);

  const configuration: Configuration = {
    adapter: (model: string) => (model === 'Client' ? clientAdapter : translatingAdapter(deps.modelAdapter(model))) as never,
    jwks: providerJwks(deps.keys) as Configuration['jwks'],
    cookies: { keys: cookieKeysOf(config) },
    // oidc-provider releases acr and amr only when the RP asks for them by name; under `openid`
    // every ID token says how the user signed in (one or two factors), as RPs expect.
    claims: { ...SCOPE_CLAIMS, openid: [...SCOPE_CLAIMS.openid, 'acr', 'amr', 'auth_time'] } as unknown as Configuration['claims'],
    // Resource scopes are listed too: oidc-provider only accepts client scopes it knows.
    scopes: [...BASE_SCOPES, ...config.oidc.resources.flatMap((r) => r.scopes)],
    extraClientMetadata: { properties: [FIRST_PARTY] },
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    enabledJWA: {
      idTokenSigningAlgValues: ['ES256', 'RS256', 'PS256'],
      userinfoSigningAlgValues: ['ES256', 'RS256', 'PS256'],
      introspectionSigningAlgValues: ['ES256', 'RS256', 'PS256'],
      authorizationSigningAlgValues: ['ES256', 'RS256', 'PS256'],
      clientAuthSigningAlgValues: ['ES256', 'RS256', 'PS256'],
      requestObjectSigningAlgValues: ['ES256', 'RS256', 'PS256'],
    },
    pkce: { required: (_ctx, client) => config.oidc.pkce === 'all' || client.clientAuthMethod === 'none' },
    ttl: {
      // An API's own lifetime wins for the tokens issued for it.
      AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? ttl.accessToken,
      AuthorizationCode: ttl.authorizationCode,
      ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? ttl.accessToken,
      IdToken: ttl.idToken,
      Interaction: ttl.interaction,
      RefreshToken: ttl.refreshToken,
      Session: ttl.session,
      Grant: ttl.grant,
    },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    loadExistingGrant,
    interactions: { policy: signInPolicy(store), url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    acrValues: ACR_VALUES,
    // The RP names the upstream IdP (Keycloak's kc_idp_hint, here idp_hint): the login page is skipped.
    extraParams: ['idp_hint'],
    // With a token (code, refresh, access): one issued before a password change no longer works.
    findAccount: async (_ctx, id, token) => {
      const account = await store.accounts.findById(id);
      if (!account || account.status !== 'active') return undefined;
      if (token && issuedBeforeChange(token.iat, account.passwordChangedAt)) return undefined;
      return {
        accountId: account.id,
        claims: async (_use, scope) => claimsFor(account, new Set(scope.split(' ')), store.forTenant(account.tenantId)),
      };
    },
    renderError: renderProviderError,
    fetch: (url, options) => {
      // oidc-provider passes a dispatcher that refuses special-use addresses; allowed hosts go without it.
      if (privateHosts.has(new URL(url instanceof Request ? url.url : url).hostname)) delete (options as { dispatcher?: unknown }).dispatcher;
      return globalThis.fetch(url, options);
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: { enabled: true, logoutSource: renderLogoutConfirm, postLogoutSuccessSource: renderLoggedOut },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx, _client, oneOf) => oneOf,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, indicator, client) => {
          const resource = resources.get(indicator);
          if (!resource) throw new errors.InvalidTarget();
          const allowed = new Set(String(client.scope ?? '').split(' '));
          return {
            scope: resource.scopes.filter((s) => allowed.has(s)).join(' '),
            audience: resource.indicator,
            accessTokenTTL: resource.accessTokenTtl,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: resource.signingAlg } },
          };
        },
      },
    },
  };

  const prefix = new URL(config.issuer).pathname.replace(/\/$/, '');
  const provider = new Provider(`${new URL(config.issuer).origin}${prefix}`, configuration);
  provider.proxy = config.http.trustProxy;
  installHashedSecretCheck(provider);
  provider.on('server_error', (ctx, err) => deps.log.error({ err, path: ctx.path, requestId: ctx.state.requestId }, 'oidc server error'));
  provider.on('backchannel.error', (_ctx, err, client) => deps.log.warn({ err: (err as Error).message, clientId: client.clientId }, 'back-channel logout failed'));
  return provider;
}
