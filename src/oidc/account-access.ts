/**
 * Who may still use what the hub issued, and which accounts a client serves. One set of rules
 * for every use of a token (code exchange, refresh, userinfo) and for introspection, so that a
 * resource server asking the hub learns exactly what the hub itself would refuse.
 */
import type { Account, PlatformStore } from '../storage/ports/index.js';

/** Whole seconds, as oidc-provider stamps sessions and tokens: a login in the same second still counts. */
export const issuedBeforeChange = (issuedAtSeconds: number, changedAt: Date | null): boolean =>
  changedAt !== null && issuedAtSeconds < Math.floor(changedAt.getTime() / 1000);

export interface AccountAccessDeps {
  store: PlatformStore;
  /** Whether a login is locked by the brute-force limit (LoginThrottle.isLocked). */
  isLocked(login: string): Promise<boolean>;
}

/**
 * The account behind a token issued at `issuedAtSeconds`, if it may still use it: it exists,
 * is active (not disabled, disappeared or pending), its password has not changed since, and
 * its login is not locked (someone is guessing its password: what was issued before stops
 * working until the lock ends or an admin lifts it).
 */
export async function accountForToken(deps: AccountAccessDeps, accountId: string, issuedAtSeconds: number): Promise<Account | undefined> {
  const account = await deps.store.accounts.findById(accountId);
  if (!account || account.status !== 'active') return undefined;
  if (issuedBeforeChange(issuedAtSeconds, account.passwordChangedAt)) return undefined;
  if (await deps.isLocked(account.login)) return undefined;
  return account;
}

/** Client metadata naming the tenant that registered a client (absent or null: a platform client). */
export const CLIENT_TENANT = 'tenant';
/** Client metadata: further tenants whose accounts the client serves, as the platform allowed. */
export const SERVED_TENANTS = 'served_tenants';

export interface TenantBoundClient {
  [CLIENT_TENANT]?: unknown;
  [SERVED_TENANTS]?: unknown;
}

/**
 * Whether a client serves the accounts of a tenant. A platform client serves every tenant,
 * unless the platform restricted it to a list; a tenant's client serves its own tenant and
 * those the platform added.
 */
export function servesTenant(client: TenantBoundClient, tenantId: string): boolean {
  if (servesEveryTenant(client)) return true;
  return client[CLIENT_TENANT] === tenantId || (Array.isArray(client[SERVED_TENANTS]) && client[SERVED_TENANTS].includes(tenantId));
}

/** A platform client without a list: no account needs to be looked up to know it is served. */
export function servesEveryTenant(client: TenantBoundClient): boolean {
  return typeof client[CLIENT_TENANT] !== 'string' && !Array.isArray(client[SERVED_TENANTS]);
}
