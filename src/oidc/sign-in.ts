/**
 * What the hub's login needs of OIDC, built once: the completion port of its sign-ins,
 * oidc-provider's hub session and the logout orchestrator over it, and the middleware that
 * carries the logout on after oidc-provider's end-session confirmation.
 */
import type { Middleware } from 'koa';
import type Provider from 'oidc-provider';
import type { LoginProtocol } from '../login/completion.js';
import type { HubSession } from '../login/hub-session.js';
import { LogoutOrchestrator } from '../login/logout.js';
import type { Logger } from '../shared/logger.js';
import type { EphemeralStore } from '../storage/ports/ephemeral.js';
import { logoutAfterEndSession } from './end-session.js';
import { oidcHubSession } from './hub-session.js';
import { oidcLoginProtocol } from './login-protocol.js';

export interface OidcSignIn {
  protocol: LoginProtocol;
  hubSession: HubSession;
  logout: LogoutOrchestrator;
  /** Runs around oidc-provider (see end-session.ts). */
  afterEndSession: Middleware;
}

export function oidcSignIn(deps: { provider: Provider; ephemeral: EphemeralStore; log: Logger; sessionTtl: number }): OidcSignIn {
  const hubSession = oidcHubSession(deps.provider, deps.log, deps.sessionTtl);
  const logout = new LogoutOrchestrator(hubSession);
  return {
    protocol: oidcLoginProtocol(deps),
    hubSession,
    logout,
    afterEndSession: logoutAfterEndSession(deps.provider, logout),
  };
}
