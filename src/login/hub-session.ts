/**
 * The hub session port: the browser's single sign-on session with the hub, whoever keeps it
 * (the OIDC provider's session today: its implementation is in the OIDC module). Every protocol
 * opens and reads the same one, so a sign-in through a SAML SP gives single sign-on to the OIDC
 * RPs and the other way round.
 */
import type { Context } from 'koa';
import type { Lang } from '../ui/i18n.js';
import type { SignedIn } from './completion.js';

/** A hub session as the protocols see it. */
export interface HubSignIn extends SignedIn {
  /** Stable for the session's life (across sign-ins of the same account): what its participants key on. */
  sessionId: string;
  /** When the account last signed in. */
  authTime: Date;
}

export interface HubSession {
  /** The account of this browser's hub session, or null when it has none. */
  currentAccount(ctx: Context): Promise<string | null>;
  /** This browser's hub session, or null when it has none. */
  current(ctx: Context): Promise<HubSignIn | null>;
  /**
   * Opens this browser's hub session for `signedIn` (a sign-in finished outside the keeper's own
   * flow: the SAML IdP's). A session of another account is ended first, its clients told.
   */
  begin(ctx: Context, signedIn: SignedIn): Promise<HubSignIn>;
  /**
   * Ends this browser's hub session if it belongs to `accountId` (any account when null),
   * telling the clients signed in through it; the session ended, or null when none was.
   */
  end(ctx: Context, accountId: string | null): Promise<HubSignIn | null>;
  /** The page where the user confirms ending the hub session (a GET must never end it by itself). */
  confirmationUrl(lang: Lang): string;
}
