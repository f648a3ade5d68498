/**
 * Several protocols' sign-ins on the one set of sign-in pages: a protocol that issues its own
 * transaction ids marks them with a prefix no other protocol's ids can carry, and the pages'
 * port sends each id to its protocol; the rest belong to the default protocol (OIDC's).
 */
import type { LoginProtocol } from './completion.js';

export interface PrefixedProtocol {
  /** Whether `id` is one of this protocol's transaction ids. */
  owns(id: string): boolean;
  protocol: LoginProtocol;
}

export function loginProtocols(defaultProtocol: LoginProtocol, others: readonly PrefixedProtocol[]): LoginProtocol {
  const of = (id: string): LoginProtocol => others.find((p) => p.owns(id))?.protocol ?? defaultProtocol;
  return {
    transaction: (ctx, id) => of(id).transaction(ctx, id),
    complete: (ctx, transaction, signedIn) => of(transaction.id).complete(ctx, transaction, signedIn),
    restart: (id) => of(id).restart(id),
  };
}
