/** Assembles the Koa application: context, errors, headers, the hub's routes, then oidc-provider. */
import Koa from 'koa';
import compose from 'koa-compose';
import mount from 'koa-mount';
import type Provider from 'oidc-provider';
import type { Logger } from '../shared/logger.js';
import { assetsRouter } from './assets.js';
import { errorHandler } from './errors.js';
import { healthRouter, type ReadinessCheck } from './health.js';
import { requestContext } from './request-context.js';
import { securityHeaders } from './security-headers.js';
import type Router from '@koa/router';

export interface HttpDeps {
  issuer: string;
  trustProxy: boolean;
  maxBodyBytes: number;
  /** The provider's cookie keys: koa-mount runs oidc-provider with this app's context, so both must sign alike. */
  cookieKeys: string[];
  provider: Provider;
  readiness: ReadinessCheck[];
  log: Logger;
  /** The hub's own pages (interactions, federation, the development demo RP), before oidc-provider. */
  routers: Router[];
  /** Middleware that runs around oidc-provider's own requests (after the hub's routes). */
  aroundProvider: Koa.Middleware[];
}

const HUB_PATHS = /^\/(?:healthz$|readyz$|favicon\.ico$|assets\/|interaction\/|federation\/|demo(?:\/|$))/;

export function createHttpApp(deps: HttpDeps): Koa {
  const app = new Koa({ proxy: deps.trustProxy });
  app.keys = deps.cookieKeys;
  app.silent = true; // errors are logged by errorHandler, with the request id
  const routers = [healthRouter(deps.readiness), assetsRouter(), ...deps.routers];
  app.use(requestContext(deps.log));
  app.use(errorHandler(deps.log));
  app.use(securityHeaders(deps.issuer.startsWith('https://')));
  // The hub's routers run only for the hub's own paths: oidc-provider's requests (the token
  // endpoint above all) skip their matching entirely.
  const hubRoutes = compose(routers.flatMap((router) => [router.routes(), router.allowedMethods()]) as Koa.Middleware[]);
  app.use((ctx, next) => (HUB_PATHS.test(ctx.path) ? hubRoutes(ctx, next) : next()));
  for (const middleware of deps.aroundProvider) app.use(middleware);
  const prefix = new URL(deps.issuer).pathname.replace(/\/$/, '');
  app.use(prefix ? mount(prefix, deps.provider) : mount(deps.provider));
  return app;
}
