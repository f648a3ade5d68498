/**
 * The admin API over HTTP (`/admin/api`): bearer authentication, the routes' declarations run
 * through `runRoute`, answers in JSON or streamed files, every error as `application/problem+json`.
 */
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { ConfigError, HubError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { langOf } from '../../ui/request-lang.js';
import { bearerTokenOf, principalOf, type AdminAuthDeps } from '../authentication.js';
import { InvalidInput, runRoute, type AdminRoute, type Reply, type TenantExists } from './kit.js';
import { openApiDocument } from './openapi.js';

export interface AdminApiDeps {
  routes: readonly AdminRoute[];
  auth: AdminAuthDeps;
  tenantExists: TenantExists;
  issuer: string;
  log: Logger;
}

const API_BODY_LIMIT = '64kb';

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 413: 'Content Too Large', 415: 'Unsupported Media Type', 503: 'Service Unavailable',
};

function problemOf(err: unknown): { status: number; code: string; detail: string; errors?: unknown } {
  if (err instanceof InvalidInput) return { status: 400, code: err.code, detail: err.message, errors: err.problems };
  // A document a service checked with the configuration files' own schema (a connector, a client).
  if (err instanceof ConfigError) return { status: 400, code: 'invalid_input', detail: err.message, errors: err.issues.map((message) => ({ path: '', message })) };
  if (err instanceof HubError && err.expose) return { status: err.status, code: err.code, detail: err.message };
  const e = err as { status?: unknown; expose?: unknown; message?: unknown };
  // Koa's own (a body too large, malformed JSON).
  if (typeof e.status === 'number' && e.status < 500 && e.expose === true) return { status: e.status, code: 'invalid_request', detail: String(e.message) };
  return { status: 500, code: 'server_error', detail: 'an unexpected error occurred; the request id lets the operators find it in the log' };
}

function problems(log: Logger): Middleware {
  return async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    try {
      await next();
    } catch (err) {
      const problem = problemOf(err);
      if (problem.status >= 500) log.error({ err, requestId: ctx.state.requestId, path: ctx.path }, 'admin API request failed');
      if (problem.status === 401) ctx.set('WWW-Authenticate', 'Bearer realm="admin", error="invalid_token"');
      ctx.status = problem.status;
      ctx.body = { type: 'about:blank', title: TITLES[problem.status] ?? 'Error', ...problem, requestId: String(ctx.state.requestId ?? '') };
      ctx.type = 'application/problem+json';
    }
  };
}

export function send(ctx: Context, reply: Reply): void {
  ctx.status = reply.status ?? 200;
  if ('json' in reply) ctx.body = reply.json;
  else if ('stream' in reply) {
    ctx.type = reply.contentType;
    ctx.attachment(reply.filename);
    ctx.body = reply.stream;
  }
}

export function adminApiRouter(deps: AdminApiDeps): Router {
  const router = new Router({ prefix: '/admin/api' });
  const json = bodyParser({ enableTypes: ['json'], jsonLimit: API_BODY_LIMIT, encoding: 'utf-8' });
  router.use(problems(deps.log));
  const document = openApiDocument(deps.routes, deps.issuer);
  router.get('/openapi.json', (ctx) => {
    ctx.body = document;
  });
  // The body parser's own refusals (malformed JSON, too large) become problems a developer can act on.
  const body: Middleware = async (ctx, next) => {
    try {
      await json(ctx, async () => undefined);
    } catch (err) {
      const status = (err as { status?: unknown }).status;
      if (status === 413) throw new HubError('body_too_large', `the body is larger than ${API_BODY_LIMIT}`, { status: 413 });
      if (status === 415) throw new HubError('unsupported_media_type', 'the body must be JSON (Content-Type: application/json)', { status: 415 });
      throw new HubError('invalid_json', 'the body is not valid JSON', { status: 400 });
    }
    await next();
  };
  for (const route of deps.routes) {
    router[route.method](route.path, body, async (ctx) => {
      const principal = await principalOf(deps.auth, bearerTokenOf(ctx.get('Authorization')));
      const reply = await runRoute(route, principal, {
        params: ctx.params, query: ctx.query, body: ctx.request.body, lang: langOf(ctx),
      }, deps.tenantExists);
      send(ctx, reply);
    });
  }
  // Declared last: whatever no route took is a problem too, not the hub's HTML 404.
  router.all('/{*rest}', () => {
    throw new HubError('not_found', 'no such admin API route', { status: 404 });
  });
  return router;
}
