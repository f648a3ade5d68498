/**
 * Which request paths are the hub's own rather than oidc-provider's, read from the routers that
 * serve them: a router owns everything under its prefix (`new Router({ prefix: '/demo' })` owns
 * `/demo/…`) and the exact path of each of its routes (`/demo`, `/healthz`). Nothing else is
 * declared anywhere, so a new router or route is a hub path as soon as it exists.
 */
import type Router from '@koa/router';
import { HubError } from '../shared/errors.js';

export type HubPathTest = (path: string) => boolean;

export function hubPathTest(routers: readonly Router[]): HubPathTest {
  const patterns = routers.flatMap(ownedPatterns);
  const owned = new RegExp(`^(?:${patterns.join('|')})`);
  // An empty alternation would match every path.
  return (path) => patterns.length > 0 && owned.test(path);
}

function ownedPatterns(router: Router): string[] {
  // Layers without methods are the router's middleware (router.use), not routes.
  const routes = router.stack.filter((layer) => layer.methods.length > 0).map((layer) => `${pathPattern(layer.path)}$`);
  const prefix = router.opts.prefix;
  return prefix ? [`${pathPattern(prefix)}/`, ...routes] : routes;
}

/**
 * A router path as a regular expression: a `:name` segment stands for any one segment, the rest
 * is literal. Case-sensitive and without an optional trailing slash, unlike @koa/router's own
 * matching: `/healthz/` is not a hub path.
 */
function pathPattern(path: string | RegExp): string {
  if (typeof path !== 'string') throw new HubError('invalid_route', `a hub route needs a string path, not ${String(path)}`);
  return path
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
}
