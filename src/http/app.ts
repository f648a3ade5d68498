/** Assembles the Koa application: context, errors, headers, the hub's routes, then oidc-provider. */
import Koa from 'koa';
import compose from 'koa-compose';
import mount from 'koa-mount';
import type { Logger } from '../shared/logger.js';
import type { HubMetrics } from '../shared/metrics.js';
import type { AuditStore } from '../storage/ports/index.js';
import { assetsRouter, faviconRouter } from './assets.js';
import { behindProxy, clientAddress, type TrustProxy } from './client-address.js';
import { errorHandler } from './errors.js';
import { inputGuard } from './input-guard.js';
import { healthRouter, type ReadinessCheck } from './health.js';
import { hubPathTest } from './hub-paths.js';
import { requestContext } from './request-context.js';
import { securityHeaders } from './security-headers.js';
import type Router from '@koa/router';

export interface HttpDeps {
  issuer: string;
  /** The reverse proxies whose X-Forwarded-* headers are believed (see client-address.ts). */
  trustProxy: TrustProxy;
  maxBodyBytes: number;
  /** The OIDC provider (a Koa application), mounted at the issuer's path after the hub's routes. */
  provider: Koa;
  readiness: ReadinessCheck[];
  log: Logger;
  /** Times each request by route (request-context.ts). */
  metrics: HubMetrics;
  /** Where the input guard records refused requests (the platform's audit log). */
  audit: Pick<AuditStore, 'record'>;
  /**
   * The hub's own pages (interactions, federation, the development demo RP), before oidc-provider.
   * Each router's prefix and routes are the paths it owns (hub-paths.ts).
   */
  routers: Router[];
  /** Middleware that runs around oidc-provider's own requests (after the hub's routes). */
  aroundProvider: Koa.Middleware[];
}

export function createHttpApp(deps: HttpDeps): Koa {
  // Koa reads X-Forwarded-Proto/Host only when proxied; clientAddress drops them from untrusted peers.
  const app = new Koa({ proxy: behindProxy(deps.trustProxy) });
  // No keys here: the wiring installs the store's cookie keys on this app and on oidc-provider,
  // and replaces them as they rotate (src/auth/cookie-keys.ts).
  app.silent = true; // errors are logged by errorHandler, with the request id
  const routers = [healthRouter(deps.readiness), assetsRouter(), faviconRouter(), ...deps.routers];
  const isHubPath = hubPathTest(routers);
  app.use(clientAddress(deps.trustProxy));
  app.use(requestContext(deps.log, deps.metrics));
  app.use(errorHandler(deps.log));
  app.use(securityHeaders(deps.issuer.startsWith('https://')));
  // Before any route or oidc-provider: bad bytes get a 400 here, never reach a store (input-guard.ts).
  app.use(inputGuard({ log: deps.log, isHubPath, maxBodyBytes: deps.maxBodyBytes, audit: deps.audit }));
  // The hub's routers run only for the hub's own paths: oidc-provider's requests (the token
  // endpoint above all) skip their matching entirely.
  const hubRoutes = compose(routers.flatMap((router) => [router.routes(), router.allowedMethods()]) as Koa.Middleware[]);
  app.use((ctx, next) => (isHubPath(ctx.path) ? hubRoutes(ctx, next) : next()));
  for (const middleware of deps.aroundProvider) app.use(middleware);
  const prefix = new URL(deps.issuer).pathname.replace(/\/$/, '');
  app.use(prefix ? mount(prefix, deps.provider) : mount(deps.provider));
  return app;
}
