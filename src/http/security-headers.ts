import helmet from 'koa-helmet';
import type { Middleware } from 'koa';

/**
 * Strict CSP: the hub's pages use no inline script or style. oidc-provider appends the hash of
 * its own form_post script to `script-src`, so that directive must exist ('self').
 */
export function securityHeaders(https: boolean): Middleware {
  const full = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'none'"],
        'script-src': ["'self'"],
        'style-src': ["'self'"],
        'img-src': ["'self'", 'data:'],
        'form-action': ["'self'", 'http:', 'https:'],
        'frame-ancestors': ["'none'"],
        'base-uri': ["'none'"],
      },
    },
    strictTransportSecurity: https ? { maxAge: 31536000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'no-referrer' },
  }) as Middleware;
  // Machine endpoints answer JSON to back ends, never a page: the browser headers are dead
  // weight there (about a third of the hub's overhead on /token), nosniff is enough.
  return (ctx, next) => {
    if (!JSON_ENDPOINTS.test(ctx.path)) return full(ctx, next);
    ctx.set('X-Content-Type-Options', 'nosniff');
    return next();
  };
}

const JSON_ENDPOINTS = /^\/(?:token(?:\/introspection|\/revocation)?|jwks|me|\.well-known\/openid-configuration)$/;
