/**
 * What oidc-provider asks of each resource indicator a client requests (RFC 8707): the API's
 * audience, token lifetime and format, and the scopes of it the client may obtain. A client
 * reaches an API only through the API's scopes it was given.
 *
 * The answer depends on the client's scopes and the configured API alone, so it is made once per
 * client and indicator: the token endpoint asks it on every request. oidc-provider builds a
 * client anew when its record changes (clients.ts reuses it otherwise), so an entry keyed by the
 * client instance never outlives the scopes it was made from.
 */
import { errors } from 'oidc-provider';
import type { z } from 'zod';
import type { resourceSchema } from './config.js';

type Resource = z.infer<typeof resourceSchema>;

export interface ResourceServerInfo {
  readonly scope: string;
  readonly audience: string;
  readonly accessTokenTTL: number;
  readonly accessTokenFormat: 'jwt';
  readonly jwt: { readonly sign: { readonly alg: Resource['signingAlg'] } };
}

interface ScopedClient {
  scope?: unknown;
}

function infoFor(resource: Resource, client: ScopedClient): ResourceServerInfo {
  const allowed = new Set(String(client.scope ?? '').split(' '));
  const scopes = resource.scopes.filter((s) => allowed.has(s));
  if (scopes.length === 0) throw new errors.InvalidTarget(`this client may not obtain tokens for ${resource.indicator}`);
  // Frozen: every request of the client shares it, none may change it for the others.
  return Object.freeze({
    scope: scopes.join(' '),
    audience: resource.indicator,
    accessTokenTTL: resource.accessTokenTtl,
    accessTokenFormat: 'jwt',
    jwt: Object.freeze({ sign: Object.freeze({ alg: resource.signingAlg }) }),
  });
}

/** `getResourceServerInfo` for the configured APIs; an unknown indicator or no scope of it is invalid_target. */
export function resourceServerInfo(resources: readonly Resource[]): (indicator: string, client: ScopedClient) => ResourceServerInfo {
  const byIndicator = new Map(resources.map((r) => [r.indicator, r]));
  const made = new WeakMap<ScopedClient, Map<string, ResourceServerInfo>>();
  return (indicator, client) => {
    const resource = byIndicator.get(indicator);
    if (!resource) throw new errors.InvalidTarget();
    let ofClient = made.get(client);
    if (!ofClient) made.set(client, (ofClient = new Map()));
    let info = ofClient.get(indicator);
    if (!info) ofClient.set(indicator, (info = infoFor(resource, client)));
    return info;
  };
}
