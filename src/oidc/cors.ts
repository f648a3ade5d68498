/**
 * Cross-origin calls to the hub's endpoints. Discovery and the key set are public documents,
 * open to every origin. The other endpoints (token, userinfo, revocation, PAR) answer a page's
 * script only for the origins a public browser client declared (`webOrigins`): oidc-provider
 * reflects any Origin on preflights and on errors raised before it knows the client, so the
 * answer is checked again once it is made.
 */
import type { Middleware } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { PlatformStore } from '../storage/ports/index.js';

/** Client metadata: origins allowed to call the hub from a browser for this (public) client. */
export const WEB_ORIGINS = 'web_origins';

interface BrowserClient {
  clientAuthMethod?: string;
  [WEB_ORIGINS]?: unknown;
}

/** Whether a page at `origin` may call the hub on behalf of this client (oidc-provider's clientBasedCORS). */
export function clientAllowsOrigin(client: BrowserClient, origin: string): boolean {
  const origins = client[WEB_ORIGINS];
  return client.clientAuthMethod === 'none' && Array.isArray(origins) && origins.includes(origin);
}

/** Routes whose documents any page may read. */
const OPEN_ROUTES = new Set(['discovery', 'jwks', 'cors.discovery', 'cors.jwks']);
/** Preflights answered for a declared origin; introspection is for servers, never for a page. */
const BROWSER_PREFLIGHTS = new Set(['cors.token', 'cors.userinfo', 'cors.revocation', 'cors.pushed_authorization_request']);

/** Every public client's declared origins, re-read at most every `cacheMs`. */
function declaredOrigins(store: PlatformStore, cacheMs: number): () => Promise<Set<string>> {
  let cached: { at: number; origins: Set<string> } | undefined;
  return async () => {
    if (cached && Date.now() - cached.at < cacheMs) return cached.origins;
    const tenants = await store.tenants.list();
    const clients = [...(await store.clients.list()), ...(await Promise.all(tenants.map((t) => store.forTenant(t.id).clients.list()))).flat()];
    const origins = new Set(clients.filter((c) => c.secretHash === null).flatMap((c) => {
      const declared = c.metadata[WEB_ORIGINS];
      return Array.isArray(declared) ? declared.filter((o): o is string => typeof o === 'string') : [];
    }));
    cached = { at: Date.now(), origins };
    return origins;
  };
}

function forbidCrossOrigin(ctx: KoaContextWithOIDC): void {
  for (const header of ['Access-Control-Allow-Origin', 'Access-Control-Allow-Methods', 'Access-Control-Allow-Headers', 'Access-Control-Expose-Headers', 'Access-Control-Max-Age']) ctx.remove(header);
}

/** Runs around oidc-provider: strips the CORS headers of every answer the rules above do not allow. */
export function corsGuard(store: PlatformStore, cacheMs: number): Middleware {
  const origins = declaredOrigins(store, cacheMs);
  return async (ctx, next) => {
    await next();
    const origin = ctx.get('Origin');
    if (!origin || !ctx.response.get('Access-Control-Allow-Origin')) return;
    const oidc = (ctx as KoaContextWithOIDC).oidc as KoaContextWithOIDC['oidc'] | undefined;
    const route = oidc?.route ?? '';
    if (OPEN_ROUTES.has(route)) return;
    const allowed = ctx.method === 'OPTIONS'
      ? BROWSER_PREFLIGHTS.has(route) && (await origins()).has(origin)
      : oidc?.client !== undefined && clientAllowsOrigin(oidc.client as BrowserClient, origin);
    if (!allowed) forbidCrossOrigin(ctx as KoaContextWithOIDC);
  };
}
