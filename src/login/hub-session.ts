/**
 * The hub session port: the browser's single sign-on session with the hub, whoever keeps it
 * (the OIDC provider's session today: its implementation is in the OIDC module).
 */
import type { Context } from 'koa';
import type { Lang } from '../ui/i18n.js';

export interface HubSession {
  /** The account of this browser's hub session, or null when it has none. */
  currentAccount(ctx: Context): Promise<string | null>;
  /**
   * Ends this browser's hub session if it belongs to `accountId` (any account when null),
   * telling the clients signed in through it; true when one was ended.
   */
  end(ctx: Context, accountId: string | null): Promise<boolean>;
  /** The page where the user confirms ending the hub session (a GET must never end it by itself). */
  confirmationUrl(lang: Lang): string;
}
