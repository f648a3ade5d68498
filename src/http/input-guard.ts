/**
 * The edge guard: every request's path, query string and form body is checked against the
 * rules of input-rules.ts before any route, store or oidc-provider sees it. A refused request
 * gets a 400 (413 for a body over its limit): a French-first page for a browser on the hub's
 * pages and the browser endpoints of oidc-provider, `invalid_request` JSON for the others.
 *
 * Bodies: the guard reads a form body itself (it must see every byte before anyone acts on it)
 * and hands it on already read:
 * - the hub's routes get `ctx.request.body`, parsed, which @koa/bodyparser then leaves alone;
 * - oidc-provider gets the checked raw bytes in `ctx.req.body`, which its body reader uses when
 *   the stream was already read (lib/shared/selective_body.js): it parses them exactly as it
 *   would have parsed the stream. (It prints a one-time notice that a body parser ran first.)
 *
 * Refusals are logged and audited, at most REPORTS_PER_WINDOW per window: a flood of bad
 * requests cannot flood the audit log; the next report says how many were left out.
 */
import type { IncomingMessage } from 'node:http';
import type { Context, Middleware } from 'koa';
import type { Logger } from '../shared/logger.js';
import type { AuditStore } from '../storage/ports/index.js';
import type { HubPathTest } from './hub-paths.js';
import { checkParams, checkPath, checkRawTarget, hubFormBody, plainlySafeParams, plainlySafePath, utf8Text, type InputProblem, type Reason } from './input-rules.js';
import { renderError } from '../ui/error-page.js';
import { langOf } from '../ui/request-lang.js';

export interface InputGuardOptions {
  log: Logger;
  /** Whether a path is the hub's own (hub-paths.ts); anything else is oidc-provider's. */
  isHubPath: HubPathTest;
  /** Body limit of the hub's forms (config http.maxBodyBytes). */
  maxBodyBytes: number;
  /** Where refusals are recorded; without it they are only logged. */
  audit?: Pick<AuditStore, 'record'>;
}

/** SAML HTTP-POST endpoints: the limit of src/federation/http/routes.ts (SAML_BODY_LIMIT). */
const SAML_POST_PATHS = /^\/federation\/[^/]+\/(?:acs|slo)$/;
const SAML_BODY_LIMIT = 256 * 1024;
/** oidc-provider's own limit (selective_body.js): a larger body fails there anyway. */
const PROVIDER_BODY_LIMIT = 56 * 1024;
/** oidc-provider's endpoints a browser is sent to: they answer a page, the others JSON. */
const PROVIDER_BROWSER_PATHS = /\/(?:auth|session\/end(?:\/confirm)?)(?:\/[^/]*)?$/;

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
const FORM_TYPE = 'application/x-www-form-urlencoded';

const REPORT_WINDOW_MS = 60_000;
const REPORTS_PER_WINDOW = 20;

/** For the JSON answer: what a developer needs to fix the request. */
const DESCRIPTIONS: Record<Reason | 'body_too_large' | 'unreadable_body', string> = {
  invalid_utf8: 'is not valid UTF-8',
  control_character: 'contains a control character',
  too_long: 'is too long',
  too_many_parameters: 'has too many parameters',
  raw_non_ascii: 'contains characters that must be percent-encoded',
  body_too_large: 'is too large',
  unreadable_body: 'could not be read (unsupported charset or encoding, or incomplete)',
};

type Refusal = InputProblem | { where: 'body'; field: null; reason: 'body_too_large' | 'unreadable_body' };

function describe(problem: Refusal): string {
  const subject = problem.field ? `parameter "${problem.field}" of the ${problem.where}` : `the request ${problem.where}`;
  return `${subject} ${DESCRIPTIONS[problem.reason]}`;
}

/** A charset this guard decodes as it does (UTF-8, or ASCII, its subset); absent means UTF-8. */
function readableCharset(ctx: Context): boolean {
  if (ctx.req.headers['content-type'] === FORM_TYPE) return true; // no parameters, no charset
  const charset = ctx.request.charset.toLowerCase();
  return charset === '' || charset === 'utf-8' || charset === 'utf8' || charset === 'us-ascii';
}

function bodyLimitOf(ctx: Context, options: InputGuardOptions): number {
  if (SAML_POST_PATHS.test(ctx.path)) return SAML_BODY_LIMIT;
  return options.isHubPath(ctx.path) ? options.maxBodyBytes : PROVIDER_BODY_LIMIT;
}

type BodyResult = Buffer | 'body_too_large' | 'unreadable_body';

/** The whole body, or why not: stops reading at the limit (the rest is never buffered). */
async function readBody(ctx: Context, limit: number): Promise<BodyResult> {
  const declared = ctx.request.length;
  if (declared !== undefined && declared > limit) return 'body_too_large';
  const encoding = ctx.get('content-encoding').toLowerCase();
  if ((encoding && encoding !== 'identity') || !readableCharset(ctx)) return 'unreadable_body';
  const body = await readStream(ctx.req, limit);
  if (typeof body !== 'string' && declared !== undefined && body.length !== declared) return 'unreadable_body';
  return body;
}

/**
 * The stream's bytes up to `limit`, read with listeners rather than an async iterator: the
 * iterator costs a promise per chunk and per step, each one seen by every AsyncLocalStorage.
 * Past the limit, reading stops and the stream is paused (the rest is never buffered).
 */
function readStream(req: IncomingMessage, limit: number): Promise<BodyResult> {
  // Neither `end` nor `close` would come again: answer now, as the async iterator did.
  if (req.readableEnded) return Promise.resolve(Buffer.alloc(0));
  if (req.destroyed) return Promise.resolve('unreadable_body');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    // Methods, not named arrow functions: tsx names each of those at every call (esbuild's keepNames).
    const on = {
      settle(result: BodyResult): void {
        req.off('data', on.data).off('end', on.end).off('error', on.broken).off('close', on.broken);
        resolve(result);
      },
      data(chunk: Buffer): void {
        received += chunk.length;
        if (received <= limit) return void chunks.push(chunk);
        req.pause();
        on.settle('body_too_large');
      },
      end(): void {
        on.settle(Buffer.concat(chunks, received));
      },
      // The client went away or sent a broken chunked body: `close` without `end`, or an error.
      broken(): void {
        on.settle('unreadable_body');
      },
    };
    req.on('data', on.data).on('end', on.end).on('error', on.broken).on('close', on.broken);
  });
}

/**
 * Whether the request has a form body, as `ctx.is(FORM_TYPE)` says (type-is: a body is announced
 * by Transfer-Encoding or a numeric Content-Length). The plain header of nearly every form is
 * recognised without parsing it: then there is no charset either (readableCharset).
 */
function hasFormBody(ctx: Context): boolean {
  const { headers } = ctx.req;
  if (headers['content-type'] !== FORM_TYPE) return Boolean(ctx.is(FORM_TYPE));
  return headers['transfer-encoding'] !== undefined || !Number.isNaN(Number(headers['content-length']));
}

/** Reads and checks a form body, then hands it on (see the header comment). */
async function checkBody(ctx: Context, options: InputGuardOptions): Promise<Refusal | null> {
  if (!BODY_METHODS.has(ctx.method) || !hasFormBody(ctx)) return null;
  const body = await readBody(ctx, bodyLimitOf(ctx, options));
  if (typeof body === 'string') return { where: 'body', field: null, reason: body };
  const text = utf8Text(body);
  if (text === null) return { where: 'body', field: null, reason: 'invalid_utf8' };
  const hub = options.isHubPath(ctx.path);
  if (!hub && plainlySafeParams(text)) {
    (ctx.req as { body?: unknown }).body = body;
    return null;
  }
  const checked = checkParams('body', text, hub);
  if ('problem' in checked) return checked.problem;
  if (hub) ctx.request.body = hubFormBody(checked.params);
  else (ctx.req as { body?: unknown }).body = body;
  return null;
}

function checkUrl(ctx: Context): Refusal | null {
  const path = plainlySafePath(ctx.path) ? null : checkPath(ctx.path);
  if (path) return path;
  const query = ctx.querystring;
  if (query === '') return null;
  const raw = checkRawTarget('query', query);
  if (raw) return raw;
  if (plainlySafeParams(query)) return null;
  const checked = checkParams('query', query);
  return 'problem' in checked ? checked.problem : null;
}

/** A browser gets a page on the hub's pages and on /auth, /session/end; machines get JSON. */
function wantsPage(ctx: Context, options: InputGuardOptions): boolean {
  if (options.isHubPath(ctx.path)) return ctx.accepts('html', 'json') === 'html';
  return PROVIDER_BROWSER_PATHS.test(ctx.path) && ctx.accepts('json', 'html') === 'html';
}

function answer(ctx: Context, refusal: Refusal, options: InputGuardOptions): void {
  ctx.status = refusal.reason === 'body_too_large' ? 413 : 400;
  ctx.set('Cache-Control', 'no-store');
  const requestId = String(ctx.state.requestId ?? '');
  if (wantsPage(ctx, options)) {
    ctx.type = 'html';
    ctx.body = renderError({ lang: langOf(ctx), status: ctx.status, kind: 'invalid_input', code: 'invalid_request', requestId });
  } else {
    ctx.body = { error: 'invalid_request', error_description: describe(refusal), ...(requestId ? { request_id: requestId } : {}) };
  }
}

/** Printable ASCII only, cut short: a refused request's path or user agent goes into logs as data. */
const clean = (text: string, max: number): string => text.replace(/[^\x20-\x7e]/g, '?').slice(0, max);

/** Logs and audits refusals, at most REPORTS_PER_WINDOW per window, counting the ones left out. */
class RefusalReports {
  private windowStart = 0;
  private reported = 0;
  private suppressed = 0;

  constructor(private readonly options: InputGuardOptions) {}

  async report(ctx: Context, refusal: Refusal): Promise<void> {
    const now = Date.now();
    if (now - this.windowStart >= REPORT_WINDOW_MS) {
      this.windowStart = now;
      this.reported = 0;
    }
    if (this.reported >= REPORTS_PER_WINDOW) {
      this.suppressed += 1;
      return;
    }
    this.reported += 1;
    const suppressed = this.suppressed;
    this.suppressed = 0;
    const details = {
      method: clean(ctx.method, 16), path: clean(ctx.path, 200), where: refusal.where, field: refusal.field, reason: refusal.reason,
      ...(suppressed ? { suppressedBefore: suppressed } : {}),
    };
    this.options.log.warn({ requestId: ctx.state.requestId, ...details }, 'request refused: invalid input');
    await this.options.audit
      ?.record({ type: 'request.invalid_input', ip: ctx.ip ? clean(ctx.ip, 64) : null, userAgent: clean(ctx.get('user-agent'), 300) || null, details })
      .catch((err: Error) => this.options.log.error({ err: err.message }, 'cannot audit a refused request'));
  }
}

export function inputGuard(options: InputGuardOptions): Middleware {
  const reports = new RefusalReports(options);
  return async (ctx, next) => {
    const refusal = checkUrl(ctx) ?? (await checkBody(ctx, options));
    if (!refusal) return next();
    answer(ctx, refusal, options);
    await reports.report(ctx, refusal);
  };
}
