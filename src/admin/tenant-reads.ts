/**
 * What the console's dashboard and audit pages read of a tenant (or of the platform): the
 * figures of the dashboard, and the audit log, searched page by page or streamed whole.
 */
import type { LoginThrottle } from '../auth/login-throttle.js';
import type { AuditEvent, AuditFilter, KeysetPage, KeysetResult, PlatformStore } from '../storage/ports/index.js';
import type { DayCount, ProfileStatusCount, StructureActivation } from '../storage/ports/tenant-stats.js';
import type { ImportRun } from '../storage/ports/imports.js';

const auditOf = (store: PlatformStore, tenantId: string | null) => (tenantId === null ? store.audit : store.forTenant(tenantId).audit);

export function searchAudit(store: PlatformStore, tenantId: string | null, filter: AuditFilter, page: KeysetPage): Promise<KeysetResult<AuditEvent>> {
  return auditOf(store, tenantId).search(filter, page);
}

export function streamAudit(store: PlatformStore, tenantId: string | null, filter: AuditFilter): AsyncIterable<AuditEvent> {
  return auditOf(store, tenantId).stream(filter);
}

export interface Dashboard {
  accounts: ProfileStatusCount[];
  activation: StructureActivation[];
  signIns: DayCount[];
  /** Logins of the tenant locked by the brute-force limit now, and until when. */
  locked: Array<{ login: string; accountId: string; until: Date }>;
  lastImports: ImportRun[];
}

/** Locks are platform-wide by login; this many are looked at to find the tenant's. */
const LOCKS_READ = 500;
const SIGN_IN_DAYS = 30;
const LAST_IMPORTS = 5;

export async function dashboardOf(ports: { store: PlatformStore; throttle: Pick<LoginThrottle, 'lockedLogins'> }, tenantId: string, structureIds: readonly string[] | null, now = new Date()): Promise<Dashboard> {
  const scope = ports.store.forTenant(tenantId);
  const filter = structureIds === null ? {} : { structureIds };
  const [accounts, activation, signIns, locks, runs] = await Promise.all([
    scope.stats.accountsByProfileAndStatus(filter), scope.stats.activationByStructure(filter), scope.stats.signInsPerDay(SIGN_IN_DAYS, now),
    ports.throttle.lockedLogins(LOCKS_READ), structureIds === null ? scope.imports.listRuns(LAST_IMPORTS) : Promise.resolve([]),
  ]);
  // The lookups run together: up to LOCKS_READ of them, one round trip each.
  const owners = await Promise.all(locks.map((lock) => ports.store.accounts.findByLogin(lock.login)));
  const locked = locks.flatMap((lock, i) => {
    const account = owners[i];
    return account?.tenantId === tenantId ? [{ login: account.login, accountId: account.id, until: lock.until }] : [];
  });
  return { accounts, activation, signIns, locked, lastImports: runs };
}
