/**
 * One sign-in, whatever protocol asked for it: who asks (an OIDC client or, later, a SAML SP),
 * what it asks (a tenant, an authentication level, a language, hints), and where the sign-in's
 * own pages live. The login page, home-realm discovery, connectors, linking and the second
 * factor read this, never the protocol's own request.
 */
import { HubError } from '../shared/errors.js';
import type { Lang } from '../ui/i18n.js';

export interface LoginTransaction {
  id: string;
  protocol: 'oidc' | 'saml';
  /** The OIDC client or SAML SP, with the name the pages show. */
  client: { id: string; name: string };
  /** The tenant the client belongs to, when it belongs to one. */
  tenantHint: string | null;
  /** The authentication level the client requires (`ACR_TWO_FACTORS`), or null when any will do. */
  requestedAcr: string | null;
  lang: Lang;
  hints: {
    /** The upstream IdP the client names (`idp_hint`). */
    idp: string | null;
    /** Who the client expects to sign in (`login_hint`). */
    login: string | null;
    /** The client wants the login page even with a session or a remembered IdP. */
    selectAccount: boolean;
  };
  /** Where this sign-in's own steps live (`stepsPathOf(id)`). */
  stepsPath: string;
}

/**
 * Every sign-in's steps live under `/interaction/<id>`: the OIDC provider scopes its interaction
 * cookie there, and a browser sends that cookie nowhere else (RFC 6265 path matching), so two
 * tabs signing in at once never mix their steps.
 */
export const STEPS_PREFIX = '/interaction';
export const stepsPathOf = (id: string): string => `${STEPS_PREFIX}/${id}`;

/** A transaction id as protocols issue them: short and URL-safe, so it may sit in a path. */
export const isTransactionId = (id: unknown): id is string => typeof id === 'string' && /^[\w-]{10,64}$/.test(id);

/**
 * An unknown, expired or already-finished sign-in: the user must start again from the app.
 * `stale`: the sign-in lives on but is at another step (a page from before going back); the
 * page then offers to resume it rather than to start again. `detail` is for logs and audit.
 */
export class LoginExpired extends HubError {
  readonly stale: boolean;
  readonly detail: string;

  constructor(options: { stale?: boolean; detail?: string } = {}) {
    super('expired_interaction', 'this sign-in attempt has expired; go back to the application and start again', { status: 400 });
    this.stale = options.stale ?? false;
    this.detail = options.detail ?? 'unknown or expired sign-in';
  }
}
