/**
 * Runs around oidc-provider: once its end-session confirmation has ended the hub session, the
 * logout goes on (src/login/logout.ts): a browser signed in through a SAML IdP goes to that
 * IdP's logout first, and only then where oidc-provider was sending it (the RP's
 * post_logout_redirect_uri, or the "signed out" page). RP libraries always send
 * post_logout_redirect_uri, and oidc-provider redirects there directly, so this cannot wait for
 * the "signed out" page.
 */
import type { Middleware } from 'koa';
import type Provider from 'oidc-provider';
import type { LogoutOrchestrator } from '../login/logout.js';
import { langOf } from '../ui/request-lang.js';
import { issuerPathOf, signInOf } from './hub-session.js';

export function logoutAfterEndSession(provider: Provider, logout: LogoutOrchestrator): Middleware {
  const issuerPath = issuerPathOf(provider);
  const confirmPath = `${issuerPath}/session/end/confirm`;
  const successPath = `${issuerPath}/session/end/success`;
  const sessionCookie = provider.cookieName('session');
  const afterConfirm: Middleware = async (ctx, next) => {
    const sessionId = ctx.cookies.get(sessionCookie);
    const before = sessionId ? await provider.Session.find(sessionId) : undefined;
    await next();
    const location = ctx.response.get('location');
    if (ctx.status < 300 || ctx.status >= 400 || !location) return;
    // "Sign out of this application only" keeps the hub session (under a new id, same uid), and so the upstream one.
    if (before && (await provider.Session.findByUid(before.uid))) return;
    const then = new URL(location, provider.issuer);
    const to = await logout.afterHubSession(ctx, {
      lang: langOf(ctx),
      then: then.pathname === successPath && then.origin === new URL(provider.issuer).origin ? null : then.href,
    }, before ? signInOf(before) : null);
    if (to) {
      ctx.set('Cache-Control', 'no-store');
      ctx.status = 303;
      ctx.redirect(to);
    }
  };
  // Not async itself: every other request (the token endpoint's) passes without a promise of its own.
  return (ctx, next) => (ctx.method === 'POST' && ctx.path === confirmPath && logout.hasFollowUps(ctx) ? afterConfirm(ctx, next) : next());
}
