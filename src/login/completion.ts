/**
 * The completion port: what a protocol (OIDC today, the SAML IdP later) offers the login steps.
 * The steps find their transaction through it and hand it the signed-in account; the protocol
 * answers the client its own way and says where the browser goes next.
 */
import type { Context } from 'koa';
import type { LoginTransaction } from './transaction.js';

/** Who signed in, and how (`acr` and RFC 8176 `amr`). */
export interface SignedIn {
  accountId: string;
  acr: string;
  amr: string[];
}

/** How an expired sign-in starts again: its first request, as the protocol remembers it. */
export interface LoginRestart {
  /** Where the browser sends that first request again. */
  url: string;
  /** The languages that request asked the pages in (OIDC's `ui_locales`), if any. */
  locales: string | undefined;
  /** The client's name, or null when the client is gone: then there is no way back to offer. */
  clientName: string | null;
}

export interface LoginProtocol {
  /** This browser's sign-in `id`; throws LoginExpired when it is unknown, over, or at another step than signing in. */
  transaction(ctx: Context, id: string): Promise<LoginTransaction>;
  /** Finishes the sign-in: returns the URL the browser goes to. */
  complete(ctx: Context, transaction: LoginTransaction, signedIn: SignedIn): Promise<string>;
  /** How an expired sign-in `id` may start again (its first request, if still known). */
  restart(id: string): Promise<LoginRestart | undefined>;
}
