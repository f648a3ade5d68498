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

export interface LoginProtocol {
  /** This browser's sign-in `id`; throws LoginExpired when it is unknown, over, or at another step than signing in. */
  transaction(ctx: Context, id: string): Promise<LoginTransaction>;
  /** Finishes the sign-in: returns the URL the browser goes to. */
  complete(ctx: Context, transaction: LoginTransaction, signedIn: SignedIn): Promise<string>;
  /** Where an expired sign-in `id` may start again (its first request, if still known). */
  restartUrl(id: string): Promise<string | undefined>;
}
