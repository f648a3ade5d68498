/**
 * The last safety net: any error thrown by the hub's own routes becomes a clear page or JSON
 * body with the right status. Internals (stack, SQL, Redis messages) are logged, never shown.
 */
import type { Context, Middleware } from 'koa';
import { HubError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { renderError, type ErrorKind } from '../ui/error-page.js';
import { langOf } from '../ui/request-lang.js';

interface Answer {
  status: number;
  code: string;
  message: string;
}

const KIND_OF_CODE: Record<string, ErrorKind> = {
  expired_interaction: 'expired_interaction',
  not_found: 'not_found',
  service_unavailable: 'unavailable',
  temporarily_unavailable: 'unavailable',
};

/** Errors that say themselves they may be shown: HubError, oidc-provider's and Koa's http-errors. */
interface ExposableError {
  status?: unknown;
  expose?: unknown;
  error?: unknown;
  error_description?: unknown;
  message?: unknown;
}

function answerFor(err: unknown): Answer {
  if (err instanceof HubError && err.expose) return { status: err.status, code: err.code, message: err.message };
  const e = err as ExposableError;
  if (typeof e.status === 'number' && e.status >= 400 && e.expose === true) {
    const code = typeof e.error === 'string' ? e.error : e.status === 503 ? 'temporarily_unavailable' : 'invalid_request';
    return { status: e.status, code, message: String(e.error_description ?? e.message) };
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
