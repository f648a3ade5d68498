import { readFileSync } from 'node:fs';
import Router from '@koa/router';

/** The one stylesheet of the hub's pages, read once at start; /assets/… is the hub's. */
export function assetsRouter(): Router {
  const css = readFileSync(new URL('../ui/hub.css', import.meta.url), 'utf8');
  const router = new Router({ prefix: '/assets' });
  router.get('/hub.css', (ctx) => {
    ctx.type = 'text/css; charset=utf-8';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = css;
  });
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
