/**
 * What the admin API learns from a bearer token the hub issued: who it stands for (an account
 * signed in at the console, or a client on its own with client credentials), to which client it
 * was issued, its scopes and, for an account, how the account signed in (acr). Opaque tokens are
 * looked up in the provider's storage, so every node reads the same answer.
 */
import type Provider from 'oidc-provider';
import { accountForToken, type AccountAccessDeps } from './account-access.js';

/** The scope every token of the admin API carries; roles come from grants, not from scopes. */
export const ADMIN_SCOPE = 'admin';

export interface AdminBearer {
  /** null: a client credentials token (a script). */
  accountId: string | null;
  clientId: string;
  scopes: ReadonlySet<string>;
  /** The account's sign-in level when the token was issued (absent for client tokens). */
  acr: string | null;
}

export type AdminTokenReader = (token: string) => Promise<AdminBearer | null>;

interface StoredToken {
  accountId?: string;
  clientId?: string;
  scope?: string;
  iat: number;
  extra?: Record<string, unknown>;
  isExpired?: boolean;
}

/** Access tokens of the admin scope remember the acr of the sign-in they come from (see extraTokenClaims). */
export function adminTokenClaims(token: { kind?: string; scope?: string }, entities: Record<string, { acr?: unknown } | undefined>): Record<string, unknown> | undefined {
  if (token.kind !== 'AccessToken' || !String(token.scope ?? '').split(' ').includes(ADMIN_SCOPE)) return undefined;
  const source = entities.AuthorizationCode ?? entities.RefreshToken ?? entities.DeviceCode;
  return typeof source?.acr === 'string' ? { acr: source.acr } : undefined;
}

export function adminTokenReader(provider: Provider, access: AccountAccessDeps): AdminTokenReader {
  return async (token) => {
    // Opaque tokens only: a JWT access token is for a resource server, not for the hub itself.
    if (token.length > 100 || !/^[A-Za-z0-9_-]+$/.test(token)) return null;
    const found = ((await provider.AccessToken.find(token)) ?? (await provider.ClientCredentials.find(token))) as StoredToken | undefined;
    if (!found || found.isExpired || !found.clientId) return null;
    if (found.accountId && !(await accountForToken(access, found.accountId, found.iat))) return null;
    return {
      accountId: found.accountId ?? null,
      clientId: found.clientId,
      scopes: new Set(String(found.scope ?? '').split(' ').filter(Boolean)),
      acr: typeof found.extra?.acr === 'string' ? found.extra.acr : null,
    };
  };
}
