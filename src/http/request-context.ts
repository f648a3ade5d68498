import { randomUUID } from 'node:crypto';
import type { Context, Middleware, Next } from 'koa';
import { unredactedTwin, type Logger } from '../shared/logger.js';
import { NO_METRICS, type HubMetrics } from '../shared/metrics.js';
import { runInRequestScope } from '../shared/request-scope.js';

const VALID_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The route a request matched, as its template (`/interaction/:uid/login`, oidc-provider's
 * `/token`): both routers leave it on the context. Never the raw path, which anyone can vary.
 */
function routeOf(ctx: Context): string {
  const route = (ctx as Context & { _matchedRoute?: unknown })._matchedRoute;
  return typeof route === 'string' ? route : 'other';
}

/**
 * Gives each request an id (a sane incoming X-Request-Id is kept), opens its log scope (every
 * line written while it runs names it and its tenant), and once done logs it and times it.
 */
export function requestContext(log: Logger, metrics: HubMetrics = NO_METRICS): Middleware {
  // The request line holds only the id, method, path, status and time: nothing to redact.
  const requestLog = unredactedTwin(log);
  // Made once, run with the request's arguments: no closure or extra promise per request.
  const timed = async (ctx: Context, next: Next, started: bigint): Promise<void> => {
    try {
      await next();
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      metrics.httpRequest(routeOf(ctx), ctx.method, ctx.status, ms / 1000);
      requestLog.info({ method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(ms * 10) / 10 }, 'request');
    }
  };
  return (ctx, next) => {
    const incoming = ctx.get('x-request-id');
    const requestId = VALID_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = requestId;
    ctx.set('X-Request-Id', requestId);
    return runInRequestScope({ requestId, tenant: null }, timed, ctx, next, process.hrtime.bigint());
  };
}
