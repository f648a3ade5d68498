import { readFileSync } from 'node:fs';
import Router from '@koa/router';

/** The files under /assets/ (from src/ui/) and their types; /assets/… is the hub's. */
const ASSETS = {
  /** The one stylesheet of the hub's pages. */
  'hub.css': 'text/css; charset=utf-8',
  /** The admin console's own rules, after hub.css (src/admin/console/layout.ts). */
  'admin.css': 'text/css; charset=utf-8',
  /** The SAML HTTP-POST page's script, which sends its form (src/saml/idp/post-form.ts). */
  'saml-post.js': 'text/javascript; charset=utf-8',
  /** The SAML single-logout page's script, which moves on once the services answered (src/saml/idp/pages.ts). */
  'saml-logout.js': 'text/javascript; charset=utf-8',
} as const;

/** The assets, read once at start. */
export function assetsRouter(): Router {
  const router = new Router({ prefix: '/assets' });
  for (const [file, type] of Object.entries(ASSETS)) {
    const body = readFileSync(new URL(`../ui/${file}`, import.meta.url), 'utf8');
    router.get(`/${file}`, (ctx) => {
      ctx.type = type;
      ctx.set('Cache-Control', 'public, max-age=3600');
      ctx.body = body;
    });
  }
  return router;
}

/** No icon: browsers ask for one on every page, the hub answers "nothing" and lets them cache it. */
export function faviconRouter(): Router {
  const router = new Router();
  router.get('/favicon.ico', (ctx) => {
    ctx.status = 204;
    ctx.set('Cache-Control', 'public, max-age=86400');
  });
  return router;
}
