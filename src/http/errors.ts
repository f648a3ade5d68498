/**
 * The last safety net: any error thrown by the hub's own routes becomes a clear page or JSON
 * body with the right status. Internals (stack, SQL, Redis messages) are logged, never shown.
 */
import type { Context, Middleware } from 'koa';
import { HubError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { langOf } from '../oidc/provider-pages.js';
import { renderError, type ErrorKind } from '../oidc/views/pages.js';

interface Answer {
  status: number;
  code: string;
  message: string;
}

const KIND_OF_CODE: Record<string, ErrorKind> = {
  expired_interaction: 'expired_interaction',
  not_found: 'not_found',
  service_unavailable: 'unavailable',
};

function answerFor(err: unknown): Answer {
  if (err instanceof HubError && err.expose) return { status: err.status, code: err.code, message: err.message };
  const httpError = err as { status?: unknown; expose?: unknown; message?: unknown };
  // http-errors raised by Koa and the body parser (400 malformed, 413 too large, 415…)
  if (typeof httpError.status === 'number' && httpError.status < 500 && httpError.expose === true) {
    return { status: httpError.status, code: 'invalid_request', message: String(httpError.message) };
  }
  return { status: 500, code: 'server_error', message: 'an unexpected error occurred' };
}

function respond(ctx: Context, answer: Answer): void {
  ctx.status = answer.status;
  if (ctx.accepts('html', 'json') === 'html') {
    const kind = KIND_OF_CODE[answer.code] ?? (answer.status >= 500 ? 'server_error' : 'invalid_request');
    ctx.type = 'html';
    ctx.body = renderError({ lang: langOf(ctx), status: answer.status, kind, ...(kind === 'invalid_request' ? { detail: answer.message } : {}), requestId: String(ctx.state.requestId) });
  } else {
    ctx.body = { error: answer.code, error_description: answer.message, request_id: ctx.state.requestId };
  }
}

export function errorHandler(log: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) respond(ctx, { status: 404, code: 'not_found', message: 'no such page' });
    } catch (err) {
      const answer = answerFor(err);
      if (answer.status >= 500) log.error({ err, requestId: ctx.state.requestId, path: ctx.path }, 'request failed');
      respond(ctx, answer);
    }
  };
}
