import { createServer } from 'node:http';
import { join } from 'node:path';
import Koa from 'koa';
import mount from 'koa-mount';
import { buildHub } from '../../src/app.js';
import { PROJECT_ROOT } from '../../src/config/load.js';
import { configSchema } from '../../src/config/schema.js';
import { sha256Hex } from '../../src/shared/ids.js';
import { createLogger } from '../../src/shared/logger.js';
import { requestContext } from '../../src/http/request-context.js';
import { errorHandler } from '../../src/http/errors.js';
import { securityHeaders } from '../../src/http/security-headers.js';
import { healthRouter } from '../../src/http/health.js';
import { assetsRouter } from '../../src/http/assets.js';
import { interactionRouter } from '../../src/oidc/interactions/routes.js';
import { announceReady, fail, freePort, readSpec, stopOn } from '../servers/common.js';

async function main(): Promise<void> {
  const spec = readSpec() as ReturnType<typeof readSpec> & { variant: string; logLevel?: string };
  const variant = spec.variant;
  const port = await freePort();
  const config = configSchema.parse({
    issuer: `http://127.0.0.1:${port}`,
    http: { port, host: '127.0.0.1' },
    database: { url: `sqlite:${join(spec.dataDir!, 'hub.sqlite')}` },
    redis: { url: 'redis://127.0.0.1:6379', keyPrefix: spec.keyPrefix ?? 'bench:' },
    keys: { dir: spec.keysDir },
    tenants: { dir: join(PROJECT_ROOT, 'tenants') },
    log: { level: spec.logLevel ?? 'silent' },
    oidc: { resources: [{ indicator: spec.resource, scopes: spec.scope.split(' '), signingAlg: 'ES256' }] },
    clients: [{ clientId: spec.clientId, name: 'Benchmark client', secretSha256: sha256Hex(spec.clientSecret), redirectUris: ['https://bench.example/cb'], grantTypes: ['client_credentials'], scopes: spec.scope.split(' ') }],
  });
  const log = createLogger(config.log.level);
  const hub = await buildHub(config, log);
  const { provider, store } = hub;
  let handler;
  const parts = new Set(variant.split('+'));
  if (variant === 'full') handler = hub.app.callback();
  else if (variant === 'provider') handler = provider.callback();
  else {
    // "app" minus the parts named: -reqctx -errors -helmet -routers
    const app = new Koa();
    app.silent = true;
    if (!parts.has('-reqctx')) app.use(requestContext(log));
    if (!parts.has('-errors')) app.use(errorHandler(log));
    if (!parts.has('-helmet')) app.use(securityHeaders(false));
    if (parts.has('static')) {
      const headers = {
        'Content-Security-Policy': "default-src 'none';script-src 'self';style-src 'self';img-src 'self' data:;form-action 'self' http: https:;frame-ancestors 'none';base-uri 'none'",
        'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Resource-Policy': 'same-origin', 'Origin-Agent-Cluster': '?1',
        'Referrer-Policy': 'no-referrer', 'X-Content-Type-Options': 'nosniff', 'X-DNS-Prefetch-Control': 'off', 'X-Download-Options': 'noopen',
        'X-Frame-Options': 'SAMEORIGIN', 'X-Permitted-Cross-Domain-Policies': 'none', 'X-XSS-Protection': '0',
      };
      app.use(async (ctx, next) => { ctx.set(headers); await next(); });
    }
    if (parts.has('tick')) app.use((_ctx, next) => Promise.resolve().then(next));
    if (!parts.has('-routers')) {
      for (const router of [healthRouter([]), assetsRouter(), interactionRouter({ provider, store, maxBodyBytes: 16384 })]) app.use(router.routes()).use(router.allowedMethods());
    }
    app.use(mount(provider));
    handler = app.callback();
  }
  const server = createServer({ requestTimeout: 30_000, headersTimeout: 15_000 }, handler);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  stopOn(async () => { server.close(); server.closeAllConnections(); await hub.close(); });
  announceReady(spec, port);
}
main().catch(fail);
