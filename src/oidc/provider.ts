/**
 * Builds the node-oidc-provider instance: one issuer, clients from the store, models in Redis
 * (or memory in the embedded default), ES256/RS256 keys, and the features the ENT relies on.
 */
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from '../shared/logger.js';
import type { PlatformStore } from '../storage/ports/index.js';
import type { OidcModelAdapter } from '../storage/ports/oidc-adapter.js';
import { ACR_VALUES } from '../identity/acr.js';
import { stepsPathOf } from '../login/transaction.js';
import { claimsFor, SCOPE_CLAIMS } from './claims.js';
import { adminTokenClaims } from './admin-tokens.js';
import { accountForToken, type AccountAccessDeps, CLIENT_TENANT, SERVED_TENANTS, servesTenant, type TenantBoundClient } from './account-access.js';
import { BASE_SCOPES, type ProviderSettings } from './config.js';
import { signInPolicy } from './sign-in-policy.js';
import { FIRST_PARTY, installHashedSecretCheck, reuseBuiltClients, StoreClientAdapter } from './clients.js';
import { clientAllowsOrigin, WEB_ORIGINS } from './cors.js';
import { providerJwks, type KeySet } from './keys.js';
import { resourceServerInfo } from './resource-servers.js';
import { renderProviderError, renderLogoutConfirm, renderLoggedOut } from './provider-pages.js';
import { orUnavailable, translatingAdapter } from './unavailable.js';

export interface ProviderDeps {
  settings: ProviderSettings;
  store: PlatformStore;
  keys: KeySet;
  /** Storage for every model but Client. */
  modelAdapter: (model: string) => OidcModelAdapter;
  /** Whether a login is locked by the brute-force limit: its tokens stop working meanwhile. */
  isLocked(login: string): Promise<boolean>;
  log: Logger;
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

/**
 * RFC 7662 `active` answers what the hub itself would do with the token: false once its account
 * may no longer use it (see accountForToken), or when the client it was issued to or the client
 * asking does not serve the account's tenant.
 * oidc-provider's own rule stays: a public client introspects only its own tokens.
 */
async function introspectionAllowed(ctx: KoaContextWithOIDC, access: AccountAccessDeps, client: { clientId: string; clientAuthMethod?: string }, token: { clientId?: string; accountId?: string; iat: number }): Promise<boolean> {
  if (client.clientAuthMethod === 'none' && token.clientId !== client.clientId) return false;
  if (!token.accountId) return true;
  const account = await accountForToken(access, token.accountId, token.iat);
  if (!account) return false;
  // Neither the client the token was issued to nor the one asking may be foreign to the account's tenant.
  if (!servesTenant(client as TenantBoundClient, account.tenantId)) return false;
  const issuedTo = token.clientId === client.clientId ? client : await ctx.oidc.provider.Client.find(String(token.clientId));
  return Boolean(issuedTo) && servesTenant(issuedTo as TenantBoundClient, account.tenantId);
}

const clientAdapters = new WeakMap<Provider, StoreClientAdapter>();

/** A client was changed on this node (a new secret, new settings): the provider reads it again now. */
export function forgetClient(provider: Provider, clientId: string): void {
  clientAdapters.get(provider)?.forget(clientId);
}

export function createProvider(deps: ProviderDeps): Provider {
  const { settings: config, store } = deps;
  const clientAdapter = new StoreClientAdapter(store, config.oidc.clientCacheSeconds * 1000);
  const resourceInfo = resourceServerInfo(config.oidc.resources);
  const ttl = config.oidc.ttl;
  const privateHosts = new Set(config.oidc.outboundPrivateHosts);
  const access = { store, isLocked: deps.isLocked };

  const configuration: Configuration = {
    adapter: (model: string) => translatingAdapter(model === 'Client' ? clientAdapter : deps.modelAdapter(model)) as never,
    jwks: providerJwks(deps.keys) as Configuration['jwks'],
    // No cookies.keys: the store's cookie keys are installed on the provider (a Koa application)
    // and kept current by the wiring (followCookieKeys), as they rotate.
    // oidc-provider releases acr and amr only when the RP asks for them by name; under `openid`
    // every ID token says how the user signed in (one or two factors), as RPs expect.
    claims: { ...SCOPE_CLAIMS, openid: [...SCOPE_CLAIMS.openid, 'acr', 'amr', 'auth_time'] } as unknown as Configuration['claims'],
    // Resource scopes are listed too: oidc-provider only accepts client scopes it knows.
    scopes: [...BASE_SCOPES, ...config.oidc.resources.flatMap((r) => r.scopes)],
    extraClientMetadata: { properties: [FIRST_PARTY, CLIENT_TENANT, SERVED_TENANTS, WEB_ORIGINS] },
    clientBasedCORS: (_ctx, origin, client) => clientAllowsOrigin(client as never, origin),
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
    interactions: { policy: signInPolicy(store), url: (_ctx, interaction) => stepsPathOf(interaction.uid) },
    acrValues: ACR_VALUES,
    // Admin tokens carry the sign-in's acr: the admin API requires two factors.
    // Read from the request's own entities (no store): nothing to wait for on the token endpoint.
    extraTokenClaims: (ctx, token) => adminTokenClaims(token as never, ctx.oidc.entities as never),
    // The RP names the upstream IdP (Keycloak's kc_idp_hint, here idp_hint): the login page is skipped.
    extraParams: ['idp_hint'],
    // With a token (code, refresh, access), the account must still be allowed to use it, and the
    // client to serve its tenant; without one (a session), only an active account is found.
    findAccount: async (ctx, id, token) => {
      const account = await orUnavailable(() => (token ? accountForToken(access, id, token.iat) : store.accounts.findById(id)));
      if (!account || account.status !== 'active') return undefined;
      if (token && ctx.oidc?.client && !servesTenant(ctx.oidc.client as TenantBoundClient, account.tenantId)) return undefined;
      return {
        accountId: account.id,
        claims: async (_use, scope) => orUnavailable(() => claimsFor(account, new Set(scope.split(' ')), store.forTenant(account.tenantId))),
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
      // The claims parameter (OIDC Core 5.5) is how an RP asks for an essential `acr`: two factors.
      claimsParameter: { enabled: true },
      introspection: { enabled: true, allowedPolicy: (ctx, client, token) => orUnavailable(() => introspectionAllowed(ctx, access, client, token)) },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: { enabled: true, logoutSource: renderLogoutConfirm, postLogoutSuccessSource: renderLoggedOut },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx, _client, oneOf) => oneOf,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, indicator, client) => resourceInfo(indicator, client),
      },
    },
  };

  const prefix = new URL(config.issuer).pathname.replace(/\/$/, '');
  const provider = new Provider(`${new URL(config.issuer).origin}${prefix}`, configuration);
  provider.proxy = config.behindProxy;
  installHashedSecretCheck(provider);
  reuseBuiltClients(provider, clientAdapter);
  clientAdapters.set(provider, clientAdapter);
  provider.on('server_error', (ctx, err) => deps.log.error({ err, path: ctx.path, requestId: ctx.state.requestId }, 'oidc server error'));
  provider.on('backchannel.error', (_ctx, err, client) => deps.log.warn({ err: (err as Error).message, clientId: client.clientId }, 'back-channel logout failed'));
  return provider;
}
