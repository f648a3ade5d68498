/**
 * Identity → account. Safe by default: an account is reached only through a remembered link
 * or through an identifier the upstream vouches for (AAF id from ÉduConnect, académie e-mail
 * from the académie IdP); names and self-declared e-mails are never used. Accounts are never
 * created here: a connector with `linkOnly: false` creates them in ./provision.ts. Every link
 * and activation is audited in the account's tenant.
 */
import type { Account, PlatformStore } from '../../storage/ports/index.js';
import type { UpstreamIdentity } from '../core/identity.js';

/** Accounts a federated login may open: pending ones are activated by it. */
const usable = (a: Account): boolean => a.status === 'active' || a.status === 'pending';

export interface AuditContext {
  ip: string | null;
  userAgent: string | null;
  clientId: string | null;
}

/** Remembered links first, then matches on vouched identifiers; de-duplicated, usable only. */
export async function candidateAccounts(store: PlatformStore, identity: UpstreamIdentity): Promise<Account[]> {
  const found = new Map<string, Account>();
  for (const tenantId of identity.tenantIds) {
    const scope = store.forTenant(tenantId);
    const link = await scope.identities.find(identity.connectorId, identity.subject);
    if (link) {
      const account = await scope.accounts.get(link.accountId).catch(() => null);
      if (account) found.set(account.id, account);
    }
  }
  const match = identity.match;
  if (match?.kind === 'externalId') {
    for (const c of match.candidates) {
      const account = await store.forTenant(c.tenantId).accounts.findByExternalId(c.externalId);
      if (account) found.set(account.id, account);
    }
  } else if (match?.kind === 'academicEmail') {
    for (const account of await store.forTenant(match.tenantId).accounts.findByAcademicEmail(match.email)) found.set(account.id, account);
  }
  return [...found.values()].filter(usable);
}

/** Remembers the link (once), activates a pending account, audits both. */
export async function completeFederatedLogin(store: PlatformStore, identity: UpstreamIdentity, account: Account, audit: AuditContext): Promise<void> {
  const scope = store.forTenant(account.tenantId);
  const base = { accountId: account.id, ip: audit.ip, userAgent: audit.userAgent, clientId: audit.clientId };
  const existing = await scope.identities.find(identity.connectorId, identity.subject);
  if (!existing) {
    const link = await scope.identities.link(account.id, identity.connectorId, identity.subject);
    await scope.audit.record({ ...base, type: 'federation.link', details: { connector: identity.connectorId, subject: identity.subject, identityId: link.id, via: identity.match?.kind ?? null } });
  } else if (existing.accountId !== account.id) {
    // The subject now matches another account (the user chose it): the link follows the choice.
    await scope.identities.unlink(existing.id);
    await scope.audit.record({ ...base, accountId: existing.accountId, type: 'federation.unlink', details: { connector: identity.connectorId, subject: identity.subject, identityId: existing.id, reason: 'relinked' } });
    const link = await scope.identities.link(account.id, identity.connectorId, identity.subject);
    await scope.audit.record({ ...base, type: 'federation.link', details: { connector: identity.connectorId, subject: identity.subject, identityId: link.id, via: 'choice' } });
  }
  if (account.status === 'pending') {
    await scope.accounts.update(account.id, { status: 'active', activationCodeHash: null, activationExpiresAt: null });
    await scope.audit.record({ ...base, type: 'federation.activation', details: { connector: identity.connectorId } });
  }
  await scope.audit.record({ ...base, type: 'login.success', details: { method: 'federation', connector: identity.connectorId, ...identity.auditDetails } });
}

/** Removes a remembered link (admin action), audited. */
export async function unlinkIdentity(store: PlatformStore, tenantId: string, identityId: string, accountId: string, connectorId: string, audit: AuditContext & { actor: string }): Promise<void> {
  const scope = store.forTenant(tenantId);
  await scope.identities.unlink(identityId);
  await scope.audit.record({ type: 'federation.unlink', accountId, ip: audit.ip, userAgent: audit.userAgent, clientId: audit.clientId, details: { connector: connectorId, identityId, actor: audit.actor } });
}
