/**
 * The provider's events as metrics: token requests by grant type and result, tokens issued by
 * kind. Listeners, not middleware: the token endpoint pays one function call per event.
 */
import type { HubMetrics } from '../shared/metrics.js';
import type { createProvider } from './provider.js';

type Provider = ReturnType<typeof createProvider>;

/** Grant types oidc-provider can serve: anything else a client sends is `other`, never its text. */
const GRANT_TYPES = new Set([
  'authorization_code', 'refresh_token', 'client_credentials', 'implicit',
  'urn:ietf:params:oauth:grant-type:device_code', 'urn:openid:params:grant-type:ciba', 'urn:ietf:params:oauth:grant-type:token-exchange',
]);

/** The models whose `saved` (stored) or `issued` (JWT, not stored) events are tokens handed out. */
const TOKEN_KINDS = ['access_token', 'client_credentials', 'refresh_token', 'authorization_code'] as const;

interface TokenContext {
  oidc?: { params?: { grant_type?: unknown } };
}

function grantTypeOf(ctx: TokenContext): string {
  const grantType = ctx.oidc?.params?.grant_type;
  return typeof grantType === 'string' && GRANT_TYPES.has(grantType) ? grantType : 'other';
}

export function countTokens(provider: Provider, metrics: HubMetrics): void {
  provider.on('grant.success', (ctx: TokenContext) => metrics.tokenRequest(grantTypeOf(ctx), 'success'));
  provider.on('grant.error', (ctx: TokenContext) => metrics.tokenRequest(grantTypeOf(ctx), 'error'));
  // The models' events are named at run time (`<kind>.saved`), which the provider's types do not list.
  const events = provider as unknown as { on(event: string, listener: () => void): unknown };
  for (const kind of TOKEN_KINDS) {
    const issued = () => metrics.tokenIssued(kind);
    events.on(`${kind}.saved`, issued);
    events.on(`${kind}.issued`, issued);
  }
}
