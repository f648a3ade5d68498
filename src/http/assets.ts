import { readFileSync } from 'node:fs';
import Router from '@koa/router';

/** The one stylesheet of the hub's pages, read once at start. */
export function assetsRouter(): Router {
  const css = readFileSync(new URL('../oidc/views/hub.css', import.meta.url), 'utf8');
  const router = new Router();
  router.get('/assets/hub.css', (ctx) => {
    ctx.type = 'text/css; charset=utf-8';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = css;
  });
  return router;
}
