/**
 * Benchmark child: a bare oidc-provider with the same keys, client, scope and resource as the
 * hub, nothing else (in-memory adapter, static client with a plain secret, no Koa app around).
 */
import { createServer } from 'node:http';
import Provider, { type Configuration } from 'oidc-provider';
import { providerJwks, readKeySet } from '../../src/oidc/keys.js';
import { announceReady, fail, freePort, mintRefreshToken, readSpec, REFRESH_SCOPE, stopOn } from './common.js';

async function main(): Promise<void> {
  const spec = readSpec();
  const keySet = readKeySet(spec.keysDir);
  if (!keySet) throw new Error(`no key set in ${spec.keysDir}`);
  const port = await freePort();
  const provider = new Provider(`http://127.0.0.1:${port}`, {
    jwks: providerJwks(keySet) as Configuration['jwks'],
    // oidc-provider accepts only client scopes it knows (the hub lists its resource scopes too).
    scopes: ['openid', 'offline_access', ...spec.scope.split(' ')],
    // As the hub: a used refresh token is replaced by a new one.
    rotateRefreshToken: true,
    // As the hub: a fixed lifetime (oidc-provider's default function warns when called).
    ttl: { ClientCredentials: 3600, AccessToken: 3600, IdToken: 3600, RefreshToken: 86400, Grant: 86400 },
    clients: [
      {
        client_id: spec.clientId,
        client_secret: spec.clientSecret,
        ...(spec.grant === 'refresh_token'
          ? { grant_types: ['client_credentials', 'authorization_code', 'refresh_token'], redirect_uris: ['https://bench.example/cb'], response_types: ['code'], scope: `${spec.scope} ${REFRESH_SCOPE}` }
          : { grant_types: ['client_credentials'], redirect_uris: [], response_types: [], scope: spec.scope }),
      },
    ],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => spec.resource,
        useGrantedResource: async () => true,
        getResourceServerInfo: async () => ({
          scope: spec.scope,
          audience: spec.resource,
          accessTokenTTL: 3600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        }),
      },
    },
  });
  const server = createServer(provider.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  stopOn(async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await closed;
  });
  // The default findAccount finds any account id, with only a `sub` claim.
  announceReady(spec, port, { mintRefreshToken: () => mintRefreshToken(provider, spec.clientId, 'bench-account') });
}

main().catch(fail);
