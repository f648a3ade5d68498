import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import { unredactedTwin, type Logger } from '../shared/logger.js';

const VALID_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Gives each request an id (a sane incoming X-Request-Id is kept) and logs it once done. */
export function requestContext(log: Logger): Middleware {
  // The request line holds only the id, method, path, status and time: nothing to redact.
  const requestLog = unredactedTwin(log);
  return async (ctx, next) => {
    const incoming = ctx.get('x-request-id');
    const requestId = VALID_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = requestId;
    ctx.set('X-Request-Id', requestId);
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      requestLog.info({ requestId, method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(ms * 10) / 10 }, 'request');
    }
  };
}
