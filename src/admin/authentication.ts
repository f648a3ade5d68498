/**
 * From a bearer token to an admin principal. A person's token counts only if the admin console
 * obtained it after a two-factor sign-in; a script's (client credentials) counts for the client
 * itself. Either way the token must carry the admin scope, and its subject must hold a role.
 */
import { ACR_TWO_FACTORS } from '../identity/acr.js';
import { ADMIN_SCOPE, type AdminTokenReader } from '../oidc/admin-tokens.js';
import type { PlatformStore } from '../storage/ports/index.js';
import { Forbidden, Unauthenticated, type AdminPrincipal } from './authorization.js';

export interface AdminAuthDeps {
  readToken: AdminTokenReader;
  store: PlatformStore;
  /** The console's client id: the only client whose account tokens the admin API accepts. */
  consoleClientId: string;
}

export async function principalOf(deps: AdminAuthDeps, token: string | null): Promise<AdminPrincipal> {
  if (!token) throw new Unauthenticated('an admin access token is required (Authorization: Bearer …)');
  const bearer = await deps.readToken(token);
  if (!bearer) throw new Unauthenticated('the access token is unknown, expired or revoked');
  if (!bearer.scopes.has(ADMIN_SCOPE)) throw new Forbidden(`the access token lacks the "${ADMIN_SCOPE}" scope`);
  if (bearer.accountId !== null) {
    if (bearer.clientId !== deps.consoleClientId) throw new Forbidden('a person\'s admin token must come from the admin console');
    if (bearer.acr !== ACR_TWO_FACTORS) throw new Forbidden('the admin console requires a sign-in with a second factor');
    const account = await deps.store.accounts.findById(bearer.accountId);
    const grants = await deps.store.roleGrants.listFor('account', bearer.accountId);
    if (!account || grants.length === 0) throw new Forbidden('this account holds no admin role');
    return { subjectKind: 'account', subjectId: account.id, clientId: bearer.clientId, displayName: account.displayName, grants };
  }
  const grants = await deps.store.roleGrants.listFor('client', bearer.clientId);
  if (grants.length === 0) throw new Forbidden(`client ${bearer.clientId} holds no admin role`);
  return { subjectKind: 'client', subjectId: bearer.clientId, clientId: bearer.clientId, displayName: bearer.clientId, grants };
}

/** The token of an `Authorization: Bearer` header; null when absent or of another scheme. */
export function bearerTokenOf(header: string | undefined): string | null {
  const match = /^Bearer +([^\s]+) *$/i.exec(header ?? '');
  return match ? match[1]! : null;
}
