/**
 * Local login with a password. Unknown login, wrong password and an account that may not log in
 * get the same answer after the same work (a dummy hash is verified), so logins can't be probed.
 */
import { hashPassword, needsRehash, verifyPassword } from '../../auth/passwords.js';
import type { AuditStore, PlatformStore } from '../../storage/ports/index.js';

export interface PasswordAttempt {
  login: string;
  password: string;
  clientId: string;
  ip: string;
  userAgent: string;
}

export type LoginOutcome = { ok: true; accountId: string } | { ok: false; error: 'missing_fields' | 'invalid_credentials' };

/** Logins are stored lower-case (generated `firstname.lastname`); users type them any way. */
export const normalizeLogin = (login: string): string => login.trim().toLowerCase();

export async function loginWithPassword(store: PlatformStore, attempt: PasswordAttempt): Promise<LoginOutcome> {
  if (!attempt.login || !attempt.password) return { ok: false, error: 'missing_fields' };
  const account = await store.accounts.findByLogin(normalizeLogin(attempt.login));
  const passwordOk = await verifyPassword(account?.passwordHash ?? null, attempt.password);
  const audit: AuditStore = account ? store.forTenant(account.tenantId).audit : store.audit;
  const context = { clientId: attempt.clientId, ip: attempt.ip, userAgent: attempt.userAgent.slice(0, 512) };

  if (!account || !passwordOk || account.status !== 'active') {
    const reason = !account ? 'unknown_login' : !passwordOk ? 'wrong_password' : `account_${account.status}`;
    await audit.record({ type: 'login.failure', accountId: account?.id ?? null, ...context, details: { method: 'password', reason, login: attempt.login.slice(0, 64) } });
    return { ok: false, error: 'invalid_credentials' };
  }
  if (needsRehash(account.passwordHash!)) {
    await store.forTenant(account.tenantId).accounts.update(account.id, { passwordHash: await hashPassword(attempt.password) });
  }
  await audit.record({ type: 'login.success', accountId: account.id, ...context, details: { method: 'password' } });
  return { ok: true, accountId: account.id };
}
