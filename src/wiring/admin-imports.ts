/**
 * The import runs the admin side starts, wired as `hub import ldap` wires its own: the source
 * from the tenant's file, its bind password read when a run starts, the tenant's store tuned for
 * the source, the locks every process shares, the directory read in a worker thread.
 */
import type { Actor } from '../identity/actor.js';
import { ImportLauncher } from '../provisioning/launcher.js';
import type { DirectorySourceConfig } from '../provisioning/source-config.js';
import { openLdapSource, type LdapSourceOptions } from '../provisioning/source/ldap.js';
import { readSecret } from '../shared/secrets.js';
import type { Logger } from '../shared/logger.js';
import type { ImportMode, ImportRun, PlatformStore, TenantScope } from '../storage/ports/index.js';
import type { LockService } from '../storage/ports/locks.js';
import type { TenantDirectory } from './tenants.js';

export interface AdminImports {
  /** Starts a run in the background; answers with the run once recorded. */
  startImport(tenantId: string, sourceId: string, dryRun: boolean, actor: Actor, mode?: ImportMode): Promise<ImportRun>;
  /** The tenant's directory sources, as its file declares them. */
  sourcesOf(tenantId: string): Array<{ id: string; enabled: boolean }>;
  /** Waits a little for the runs going on (the hub is stopping). */
  close(): Promise<void>;
}

/** How the LDAP client reaches a source (the CLI's `hub import ldap` builds the same). */
export function ldapSourceOptions(source: DirectorySourceConfig, bindPassword: string): LdapSourceOptions {
  return {
    url: source.url, bindDn: source.bindDn, bindPassword, caFile: source.tls.caFile, rejectUnauthorized: source.tls.rejectUnauthorized,
    pageSize: source.pageSize, timeLimitSeconds: source.timeLimitSeconds, connectTimeoutSeconds: source.connectTimeoutSeconds, maxRetries: source.maxRetries,
  };
}

export interface AdminImportDeps {
  store: PlatformStore;
  /** A tenant's store for an import from `source`, with the source's tuning (`CommandServices.importScope`). */
  importScope(tenantId: string, source: Pick<DirectorySourceConfig, 'linkBatchSize'>): TenantScope;
  tenants: TenantDirectory;
  locks: LockService;
  log: Logger;
}

export function adminImports(deps: AdminImportDeps): AdminImports {
  const launcher = new ImportLauncher({
    store: deps.store,
    log: deps.log,
    importDeps: async (tenantId, source) => {
      const password = readSecret(source.bindPassword, `directory source ${source.id}`);
      return {
        scope: deps.importScope(tenantId, source),
        locks: deps.locks,
        openSource: (mapping) => openLdapSource(ldapSourceOptions(source, password), mapping),
      };
    },
  });
  const sourcesOfTenant = (tenantId: string) => deps.tenants.declaration(tenantId)?.directorySources ?? [];
  return {
    startImport: (tenantId, sourceId, dryRun, actor, mode = 'full') =>
      launcher.start(actor, { tenant: { id: tenantId, directorySources: sourcesOfTenant(tenantId) }, sourceId, dryRun, mode }),
    sourcesOf: (tenantId) => sourcesOfTenant(tenantId).map((s) => ({ id: s.id, enabled: s.enabled })),
    close: () => launcher.close(),
  };
}
