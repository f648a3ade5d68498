/**
 * The admin console (`/admin`): server-rendered pages over the admin API's own route
 * declarations (`runRoute`), with the principal of the console session's access token. Works
 * without JavaScript; every change is a POST carrying the session's CSRF token.
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import { HubError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { html } from '../../ui/html.js';
import type { Lang } from '../../ui/i18n.js';
import { langOf } from '../../ui/request-lang.js';
import type { PlatformStore } from '../../storage/ports/index.js';
import { principalOf, type AdminAuthDeps } from '../authentication.js';
import { Unauthenticated, type AdminPrincipal } from '../authorization.js';
import { runRoute, type AdminRoute, type RawInput, type Reply, type TenantExists } from '../api/kit.js';
import { send } from '../api/router.js';
import { consoleLayout, type ConsolePage } from './layout.js';
import { consoleReturnPath, type ConsoleSession, type ConsoleSessions } from './session.js';
import { tx } from './text.js';

export interface ConsoleDeps {
  sessions: ConsoleSessions;
  auth: AdminAuthDeps;
  routes: readonly AdminRoute[];
  tenantExists: TenantExists;
  store: PlatformStore;
  log: Logger;
}

/** What a page handler has at hand. */
export interface ConsoleRequest {
  ctx: Context;
  lang: Lang;
  principal: AdminPrincipal;
  session: ConsoleSession;
  tenant: { id: string; name: string } | null;
  /** Runs an admin route by its operationId, as the API would, for this principal. */
  call(operationId: string, input?: Partial<RawInput>): Promise<Reply>;
  /** Runs it and returns its JSON. */
  json<T>(operationId: string, input?: Partial<RawInput>): Promise<T>;
  /** Answers with a console page. */
  render(page: Pick<ConsolePage, 'title' | 'section' | 'body' | 'flash'>, status?: number): void;
  /** The form body, once its CSRF token is checked. */
  form(): Record<string, string>;
}

export type ConsolePageHandler = (request: ConsoleRequest) => Promise<void>;

/** The current URL with `lang` set to the other language. */
function otherLangUrl(ctx: Context, lang: Lang): string {
  const url = new URL(ctx.originalUrl, 'http://console.invalid');
  url.searchParams.set('lang', lang === 'fr' ? 'en' : 'fr');
  return `${url.pathname}${url.search}`;
}

export class ConsoleForbidden extends HubError {
  constructor() {
    super('csrf', 'the form is out of date: reload the page and try again', { status: 403 });
  }
}

function flatForm(body: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries((body ?? {}) as Record<string, unknown>)) out[key] = Array.isArray(value) ? String(value[0] ?? '') : String(value ?? '');
  return out;
}

export function consoleRouter(deps: ConsoleDeps, pages: (router: Router, page: (handler: ConsolePageHandler) => (ctx: Context) => Promise<void>) => void): Router {
  const router = new Router({ prefix: '/admin' });
  const byId = new Map(deps.routes.map((r) => [r.operationId, r]));

  router.get('/login', async (ctx) => {
    ctx.redirect(await deps.sessions.start(consoleReturnPath(ctx.query.returnTo), langOf(ctx)));
  });
  router.get('/callback', async (ctx) => {
    const finished = await deps.sessions.finish(ctx);
    if (!finished) {
      ctx.redirect('/admin/login');
      return;
    }
    await deps.sessions.open(ctx, finished.session);
    ctx.redirect(finished.returnTo);
  });
  router.post('/logout', async (ctx) => {
    ctx.redirect(await deps.sessions.close(ctx));
  });

  const page = (handler: ConsolePageHandler) => async (ctx: Context) => {
    const lang = langOf(ctx);
    const session = await deps.sessions.current(ctx);
    const signIn = () => ctx.redirect(`/admin/login?returnTo=${encodeURIComponent(ctx.path)}`);
    if (!session) return signIn();
    let principal: AdminPrincipal;
    try {
      principal = await principalOf(deps.auth, session.accessToken);
    } catch (err) {
      if (err instanceof Unauthenticated) return signIn();
      throw err;
    }
    const tenantId = (ctx.params as Record<string, string | undefined>).tenant;
    const known = tenantId ? await deps.store.tenants.get(tenantId) : null;
    const tenant = known ? { id: known.id, name: known.name } : null;
    const call = (operationId: string, input: Partial<RawInput> = {}) => runRoute(byId.get(operationId)!, principal, {
      params: { ...(tenantId ? { tenant: tenantId } : {}), ...input.params }, query: input.query ?? {}, body: input.body, lang,
    }, deps.tenantExists);
    const request: ConsoleRequest = {
      ctx, lang, principal, session, tenant, call,
      json: async <T>(operationId: string, input?: Partial<RawInput>) => ((await call(operationId, input)) as { json: T }).json,
      render: (p, status = 200) => {
        ctx.status = status;
        ctx.type = 'html';
        ctx.set('Cache-Control', 'no-store');
        ctx.body = consoleLayout({ ...p, lang, tenant, who: principal.displayName, csrf: session.csrf, langSwitchUrl: otherLangUrl(ctx, lang) });
      },
      form: () => {
        const body = flatForm(ctx.request.body);
        if (body.csrf !== session.csrf) throw new ConsoleForbidden();
        return body;
      },
    };
    try {
      await handler(request);
    } catch (err) {
      if (!(err instanceof HubError) || !err.expose) throw err;
      request.render({ title: tx(lang, 'errorTitle'), flash: { text: html`${err.message}`, error: true }, body: html`<p><a href="${tenant ? `/admin/t/${encodeURIComponent(tenant.id)}` : '/admin'}">${tx(lang, 'backTo')}</a></p>` }, err.status);
    }
  };
  pages(router, page);
  return router;
}

/** Sends a route's file answer (a PDF, a CSV) from a console page. */
export function download(ctx: Context, reply: Reply): void {
  send(ctx, reply);
}

