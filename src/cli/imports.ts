import { writeFileSync, appendFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { PROJECT_ROOT } from '../config/load.js';
import type { HubConfig } from '../config/schema.js';
import { readSecret } from '../config/secrets.js';
import type { DirectorySourceConfig, TenantConfig } from '../config/tenant-schema.js';
import { loadTenants } from '../config/tenants.js';
import { runImport, type ImportReport } from '../provisioning/job.js';
import { formatReport, formatRun, progressPrinter } from '../provisioning/report.js';
import { openLdapSource } from '../provisioning/source/ldap.js';
import { HubError } from '../shared/errors.js';
import { createLogger } from '../shared/logger.js';
import { FileLockService } from '../storage/file/lock.js';
import type { ImportMode, PlatformStore } from '../storage/ports/index.js';
import type { LockService } from '../storage/ports/locks.js';
import { createRedis, waitForRedis } from '../storage/redis/client.js';
import { RedisLockService } from '../storage/redis/lock.js';
import { printJsonOr, withStore } from './context.js';

const invalid = (message: string) => new HubError('invalid_argument', message, { status: 400 });

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('a positive number is expected');
  return n;
}

function pickSource(config: HubConfig, tenantId: string, sourceId?: string): { tenant: TenantConfig; source: DirectorySourceConfig } {
  const tenant = loadTenants(config.tenants.dir).find((t) => t.id === tenantId);
  if (!tenant) throw invalid(`unknown tenant "${tenantId}" (see hub tenants list)`);
  const sources = tenant.directorySources.filter((s) => !sourceId || s.id === sourceId);
  if (sources.length !== 1) throw invalid(sourceId ? `tenant ${tenantId} has no directory source "${sourceId}"` : `tenant ${tenantId} has ${sources.length} directory sources: name one with --source`);
  return { tenant, source: sources[0]! };
}

/** Lock files sit beside the SQLite database they protect (or in data/ for PostgreSQL). */
function localLockDir(config: HubConfig): string {
  const sqlite = /^sqlite:(.+)$/.exec(config.database.url);
  return sqlite && sqlite[1] !== ':memory:' ? join(dirname(sqlite[1]!), 'locks') : join(PROJECT_ROOT, 'data', 'locks');
}

/** Redis when configured (locks shared by every machine), else a lock file for this machine. */
async function withLocks<T>(config: HubConfig, fn: (locks: LockService) => Promise<T>): Promise<T> {
  if (!config.redis.url) return fn(new FileLockService(localLockDir(config)));
  const redis = createRedis(config.redis.url, config.redis.keyPrefix);
  redis.on('error', () => undefined);
  try {
    await waitForRedis(redis);
    return await fn(new RedisLockService(redis));
  } finally {
    redis.disconnect();
  }
}

interface LdapOptions {
  tenant: string;
  source?: string;
  mode: 'full' | 'delta';
  dryRun?: boolean;
  allowMassRemoval?: boolean;
  json?: boolean;
  codesOut?: string;
}

interface RunTarget {
  config: HubConfig;
  store: PlatformStore;
  tenant: TenantConfig;
  source: DirectorySourceConfig;
}

/** One import run as the CLI wires it: the source's secret, the locks, codes to a CSV file. */
async function importOnce(target: RunTarget, o: { mode: ImportMode; dryRun?: boolean; allowMassRemoval?: boolean; codesOut?: string; progress?: boolean }): Promise<ImportReport> {
  const { config, store, tenant, source } = target;
  const password = readSecret(source.bindPassword, `directory source ${source.id}`);
  const scope = store.forTenant(tenant.id);
  if (o.codesOut) writeFileSync(o.codesOut, 'login,activation_code,external_id\n', { mode: 0o600 });
  const previous = await scope.imports.lastCompletedRun(source.id);
  const progress = o.progress && process.stderr.isTTY ? progressPrinter(process.stderr, previous?.counters.read ?? null) : null;
  const report = await withLocks(config, (locks) => runImport({
    scope, locks, log: createLogger(config.log.level === 'info' ? 'warn' : config.log.level),
    openSource: (mapping) => openLdapSource({
      url: source.url, bindDn: source.bindDn, bindPassword: password, caFile: source.tls.caFile, rejectUnauthorized: source.tls.rejectUnauthorized,
      pageSize: source.pageSize, timeLimitSeconds: source.timeLimitSeconds, connectTimeoutSeconds: source.connectTimeoutSeconds, maxRetries: source.maxRetries,
    }, mapping),
    ...(progress ? { onProgress: (p) => progress.update(p) } : {}),
    ...(o.codesOut ? { onCodes: (codes) => appendFileSync(o.codesOut!, codes.map((c) => `${c.login},${c.code},${c.externalId}\n`).join('')) } : {}),
  }, { tenant, source, mode: o.mode, dryRun: Boolean(o.dryRun), allowMassRemoval: Boolean(o.allowMassRemoval) }));
  progress?.done();
  return report;
}

async function importLdap(o: LdapOptions): Promise<void> {
  await withStore(async (store, config) => {
    const report = await importOnce({ config, store, ...pickSource(config, o.tenant, o.source) }, { ...o, progress: !o.json });
    printJsonOr(Boolean(o.json), report, () => formatReport(report));
  });
}

interface ScheduleOptions {
  tenant: string;
  source?: string;
  deltaEvery: number;
  fullEvery: number;
  codesDir?: string;
}

/**
 * Runs imports until SIGTERM: a full run when the last complete one is older than
 * `--full-every` hours, else a delta, every `--delta-every` minutes. A refused or failed run
 * is logged and the schedule goes on; SIGTERM waits for the current run to end.
 */
async function schedule(o: ScheduleOptions): Promise<void> {
  await withStore(async (store, config) => {
    const target = { config, store, ...pickSource(config, o.tenant, o.source) };
    const log = createLogger(config.log.level);
    let stopping = false;
    let wake: () => void = () => undefined;
    const stop = () => {
      stopping = true;
      wake();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    while (!stopping) {
      const lastFull = await store.forTenant(target.tenant.id).imports.lastCompletedRun(target.source.id, 'full');
      const mode: ImportMode = !lastFull || Date.now() - lastFull.startedAt.getTime() > o.fullEvery * 3_600_000 ? 'full' : 'delta';
      const codesOut = o.codesDir ? join(o.codesDir, `codes-${target.tenant.id}-${new Date().toISOString().replace(/[:.]/g, '-')}.csv`) : undefined;
      try {
        const report = await importOnce(target, { mode, ...(codesOut ? { codesOut } : {}) });
        log.info({ runId: report.run.id, mode, counters: report.counters, warnings: report.warnings, seconds: report.seconds }, 'scheduled import done');
      } catch (err) {
        log.error({ mode, err: (err as Error).message }, 'scheduled import failed');
      }
      if (!stopping) await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, o.deltaEvery * 60_000);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    log.flush();
  });
}

export function registerImportCommands(program: Command): void {
  const imports = program.command('import').description('account provisioning from the académie directories');
  imports
    .command('ldap')
    .description('import a tenant’s LDAP directory (SDET schema)')
    .requiredOption('--tenant <id>', 'tenant (académie) id')
    .option('--source <id>', 'directory source id, when the tenant has several')
    .addOption(new Option('--mode <mode>', 'full: everything, and mark missing accounts disappeared; delta: entries changed since the last run').choices(['full', 'delta']).makeOptionMandatory())
    .option('--dry-run', 'compute the report without writing accounts')
    .option('--allow-mass-removal', 'let a full run mark more than the configured share of accounts disappeared')
    .option('--codes-out <file>', 'write the activation codes of created accounts to this CSV file (mode 0600)')
    .option('--json', 'print the report as JSON')
    .action(importLdap);
  imports
    .command('schedule')
    .description('run imports on a schedule until stopped (SIGTERM waits for the current run)')
    .requiredOption('--tenant <id>', 'tenant (académie) id')
    .option('--source <id>', 'directory source id, when the tenant has several')
    .option('--delta-every <minutes>', 'minutes between runs', positiveNumber, 15)
    .option('--full-every <hours>', 'hours between full runs (which also mark missing accounts)', positiveNumber, 24 * 7)
    .option('--codes-dir <dir>', 'write the activation codes of each run to a CSV file in this folder')
    .action(schedule);
  imports
    .command('runs')
    .description('list import runs, newest first')
    .requiredOption('--tenant <id>', 'tenant id')
    .option('--limit <n>', 'how many', (v) => Number.parseInt(v, 10), 20)
    .option('--json', 'print JSON')
    .action(async (o: { tenant: string; limit: number; json?: boolean }) => {
      const runs = await withStore((store) => store.forTenant(o.tenant).imports.listRuns(o.limit));
      printJsonOr(Boolean(o.json), runs, () => (runs.length ? runs.map(formatRun).join('\n') : `no import run for ${o.tenant}`));
    });
  imports
    .command('show <runId>')
    .description('one run with its quarantined entries')
    .requiredOption('--tenant <id>', 'tenant id')
    .option('--json', 'print JSON')
    .action(async (runId: string, o: { tenant: string; json?: boolean }) => {
      const result = await withStore(async (store) => {
        const imports = store.forTenant(o.tenant).imports;
        const run = await imports.getRun(runId);
        if (!run) throw new HubError('not_found', `no run ${runId} for tenant ${o.tenant}`, { status: 404 });
        return { run, quarantined: await imports.listQuarantine(runId) };
      });
      printJsonOr(Boolean(o.json), result, () => [formatRun(result.run), ...result.quarantined.map((q) => `  ${q.dn}: ${q.reason}`)].join('\n'));
    });
  imports
    .command('purge')
    .description('delete accounts that disappeared longer ago than the source’s grace period')
    .requiredOption('--tenant <id>', 'tenant id')
    .option('--source <id>', 'directory source id, when the tenant has several')
    .action(async (o: { tenant: string; source?: string }) => {
      await withStore(async (store, config) => {
        const { source } = pickSource(config, o.tenant, o.source);
        const before = new Date(Date.now() - source.disappearedGraceDays * 86_400_000);
        const deleted = await store.forTenant(o.tenant).imports.purgeDisappeared(before);
        await store.forTenant(o.tenant).audit.record({ type: 'import.purge', details: { deleted, before: before.toISOString() } });
        process.stdout.write(`deleted ${deleted} account(s) disappeared before ${before.toISOString()}\n`);
      });
    });
}
