import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { readSecret } from '../shared/secrets.js';
import type { TenantConfig } from '../config/tenant-schema.js';
import type { DirectorySourceConfig } from '../provisioning/source-config.js';
import { CLI_OPERATOR } from '../identity/actor.js';
import { runImport, type ImportReport } from '../provisioning/job.js';
import { purgeDisappeared } from '../provisioning/purge.js';
import { formatReport, formatRun, formatStoppedRun, progressPrinter } from '../provisioning/report.js';
import { openLdapSource } from '../provisioning/source/ldap.js';
import { HubError } from '../shared/errors.js';
import { createLogger, type Logger } from '../shared/logger.js';
import type { ImportMode, ImportRun, PlatformStore } from '../storage/ports/index.js';
import type { LockService } from '../storage/ports/locks.js';
import type { CommandServices } from '../wiring/command.js';
import type { TenantDirectory } from '../wiring/tenants.js';
import { annotate, CodesFile, EXIT, IMPORT_EXIT_CODES, pickTenant, positiveNumber, printJsonOr, stderrLogger, UsageError, withCommand, withStore } from './context.js';

/**
 * The source named by --source, or the tenant's only one. With `enabled`, a disabled source is
 * refused as such (`enabled: false` in the tenant file), and without --source only enabled
 * sources count.
 */
function pickSource(tenants: TenantDirectory, tenantId: string, sourceId: string | undefined, options: { enabled: boolean }): { tenant: TenantConfig; source: DirectorySourceConfig } {
  const tenant = pickTenant(tenants, tenantId);
  const all = tenant.directorySources;
  if (sourceId !== undefined) {
    const source = all.find((s) => s.id === sourceId);
    if (!source) throw new UsageError(`tenant ${tenantId} has no directory source "${sourceId}"${all.length ? ` (it has ${all.map((s) => s.id).join(', ')})` : ''}`);
    if (options.enabled && !source.enabled) throw new UsageError(`directory source ${source.id} of tenant ${tenantId} is disabled (enabled: false in its tenant file): enable it to import`);
    return { tenant, source };
  }
  const candidates = options.enabled ? all.filter((s) => s.enabled) : all;
  if (candidates.length === 1) return { tenant, source: candidates[0]! };
  if (all.length === 0) throw new UsageError(`tenant ${tenantId} has no directory source`);
  if (candidates.length === 0) {
    throw new UsageError(all.length === 1
      ? `directory source ${all[0]!.id} of tenant ${tenantId} is disabled (enabled: false in its tenant file): enable it to import`
      : `the directory sources of tenant ${tenantId} (${all.map((s) => s.id).join(', ')}) are all disabled (enabled: false in its tenant file): enable one to import`);
  }
  throw new UsageError(`tenant ${tenantId} has ${candidates.length} ${options.enabled ? 'enabled ' : ''}directory sources (${candidates.map((s) => s.id).join(', ')}): name one with --source`);
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
  store: PlatformStore;
  importScope: CommandServices['importScope'];
  locks(): Promise<LockService>;
  tenant: TenantConfig;
  source: DirectorySourceConfig;
}

interface RunOptions {
  mode: ImportMode;
  dryRun?: boolean;
  allowMassRemoval?: boolean;
  /** Receives the activation codes of the accounts created, batch by batch, once committed. */
  codes?: CodesFile;
  progress?: boolean;
  log: Logger;
}

/** One import run as the CLI wires it: the source's secret, the locks, codes to a CSV file. */
async function importOnce(target: RunTarget, o: RunOptions): Promise<ImportReport> {
  const { tenant, source } = target;
  const password = readSecret(source.bindPassword, `directory source ${source.id}`);
  const scope = target.importScope(tenant.id, source);
  const previous = await scope.imports.lastCompletedRun(source.id);
  const progress = o.progress && process.stderr.isTTY ? progressPrinter(process.stderr, previous?.counters.read ?? null) : null;
  try {
    return await runImport({
      scope, locks: await target.locks(), log: o.log,
      openSource: (mapping) => openLdapSource({
        url: source.url, bindDn: source.bindDn, bindPassword: password, caFile: source.tls.caFile, rejectUnauthorized: source.tls.rejectUnauthorized,
        pageSize: source.pageSize, timeLimitSeconds: source.timeLimitSeconds, connectTimeoutSeconds: source.connectTimeoutSeconds, maxRetries: source.maxRetries,
      }, mapping),
      ...(progress ? { onProgress: (p) => progress.update(p) } : {}),
      ...(o.codes ? { onCodes: (codes) => o.codes!.write(codes) } : {}),
    }, { tenant, source, mode: o.mode, dryRun: Boolean(o.dryRun), allowMassRemoval: Boolean(o.allowMassRemoval) });
  } finally {
    progress?.done();
  }
}

const codesLine = (codes: CodesFile): string => (codes.count > 0
  ? `activation codes of the ${codes.count.toLocaleString('en-US')} account(s) created: ${codes.path} (mode 0600; they exist nowhere else)`
  : `no account created: no codes file written (${codes.path})`);

async function importLdap(o: LdapOptions): Promise<void> {
  await withCommand(async ({ config, store, tenants, locks, importScope }) => {
    const target = { store, locks, importScope, ...pickSource(tenants, o.tenant, o.source, { enabled: true }) };
    const codes = o.codesOut ? CodesFile.create(o.codesOut) : undefined;
    let report: ImportReport;
    try {
      report = await importOnce(target, { ...o, ...(codes ? { codes } : {}), progress: !o.json, log: stderrLogger(config) });
    } catch (err) {
      if (codes && codes.count > 0) annotate(err, { note: codesLine(codes), json: { codes: { file: codes.path, written: codes.count } } });
      const run = (err as { run?: ImportRun }).run;
      if (run) annotate(err, { note: formatStoppedRun(run) });
      throw err;
    } finally {
      codes?.close();
    }
    const output = codes ? { ...report, codes: { file: codes.count > 0 ? codes.path : null, written: codes.count } } : report;
    printJsonOr(Boolean(o.json), output, () => [formatReport(report), ...(codes ? [codesLine(codes)] : [])].join('\n'));
    if (report.run.status === 'completed_with_errors') process.exitCode = EXIT.completedWithErrors;
  });
}

interface ScheduleOptions {
  tenant: string;
  source?: string;
  deltaEvery: number;
  fullEvery: number;
  codesDir?: string;
}

/** A new codes file in `dir` for one scheduled run (never an existing one: a suffix is added). */
function scheduledCodesFile(dir: string, target: RunTarget): CodesFile {
  const base = join(dir, `codes-${target.tenant.id}-${target.source.id}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  for (let i = 1; ; i += 1) {
    const path = `${base}${i > 1 ? `-${i}` : ''}.csv`;
    if (existsSync(path)) continue;
    return CodesFile.create(path);
  }
}

/**
 * Runs imports until SIGTERM: a full run when the last complete one is older than
 * `--full-every` hours, else a delta, every `--delta-every` minutes. A refused or failed run
 * is logged and the schedule goes on; SIGTERM waits for the current run to end. Logs (JSON) go
 * to stdout, like `hub serve`'s.
 */
async function schedule(o: ScheduleOptions): Promise<void> {
  await withCommand(async ({ config, store, tenants, locks, importScope }) => {
    const target = { store, locks, importScope, ...pickSource(tenants, o.tenant, o.source, { enabled: true }) };
    if (o.codesDir !== undefined && !statSync(o.codesDir, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`--codes-dir ${o.codesDir} is not a folder`);
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
      let codes: CodesFile | undefined;
      try {
        codes = o.codesDir !== undefined ? scheduledCodesFile(o.codesDir, target) : undefined;
        const report = await importOnce(target, { mode, log, ...(codes ? { codes } : {}) });
        const done = { runId: report.run.id, mode, status: report.run.status, counters: report.counters, warnings: report.warnings, seconds: report.seconds, ...(codes?.count ? { codesFile: codes.path } : {}) };
        if (report.run.status === 'completed') log.info(done, 'scheduled import done');
        else log.warn(done, 'scheduled import done with errors');
      } catch (err) {
        const run = (err as { run?: ImportRun }).run;
        log.error({ mode, code: (err as { code?: string }).code, err: (err as Error).message, ...(run ? { runId: run.id, counters: run.counters } : {}), ...(codes?.count ? { codesFile: codes.path } : {}) }, 'scheduled import failed');
      } finally {
        codes?.close();
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

/** The run, in whichever tenant it is (run ids are unique), or in `tenantId` when given. */
async function findRun(store: PlatformStore, tenants: TenantDirectory, runId: string, tenantId: string | undefined): Promise<ImportRun> {
  const candidates = tenantId !== undefined ? [pickTenant(tenants, tenantId).id] : tenants.list().map((t) => t.id);
  for (const id of candidates) {
    const run = await store.forTenant(id).imports.getRun(runId);
    if (run) return run;
  }
  throw new HubError('not_found', `no import run ${runId}${tenantId !== undefined ? ` for tenant ${tenantId}` : ''}`, { status: 404 });
}

export function registerImportCommands(program: Command): void {
  const imports = program.command('import').description('account provisioning from the académie directories');
  imports
    .command('ldap')
    .description('import a tenant’s LDAP directory (SDET schema)')
    .requiredOption('--tenant <id>', 'tenant (académie) id')
    .option('--source <id>', 'directory source id, when the tenant has several enabled')
    .addOption(new Option('--mode <mode>', 'full: everything, and mark missing accounts disappeared; delta: entries changed since the last run').choices(['full', 'delta']).makeOptionMandatory())
    .option('--dry-run', 'compute the report without writing accounts')
    .option('--allow-mass-removal', 'let a full run mark more than the configured share of accounts disappeared')
    .option('--codes-out <file>', 'write the activation codes of created accounts to this new CSV file (mode 0600; an existing file is refused, never overwritten)')
    .option('--json', 'print the report as JSON (a failure as {"error", "message", "run"})')
    .addHelpText('after', IMPORT_EXIT_CODES)
    .action(importLdap);
  imports
    .command('schedule')
    .description('run imports on a schedule until stopped (SIGTERM waits for the current run)')
    .requiredOption('--tenant <id>', 'tenant (académie) id')
    .option('--source <id>', 'directory source id, when the tenant has several enabled')
    .option('--delta-every <minutes>', 'minutes between runs', positiveNumber, 15)
    .option('--full-every <hours>', 'hours between full runs (which also mark missing accounts)', positiveNumber, 24 * 7)
    .option('--codes-dir <dir>', 'write the activation codes of each run to a new CSV file in this folder (mode 0600; none when the run creates no account)')
    .addHelpText('after', `
Exit codes: 0 stopped by SIGTERM or SIGINT; 1 failure before the first run; 2 usage error
(unknown tenant or source, disabled source, --codes-dir not a folder). A failed or refused run
is logged (JSON, stdout) and the schedule goes on.`)
    .action(schedule);
  imports
    .command('runs')
    .description('list import runs, newest first')
    .requiredOption('--tenant <id>', 'tenant id')
    .option('--limit <n>', 'how many', (v) => Number.parseInt(v, 10), 20)
    .option('--json', 'print JSON')
    .action(async (o: { tenant: string; limit: number; json?: boolean }) => {
      const runs = await withStore((store, _config, tenants) => store.forTenant(pickTenant(tenants, o.tenant).id).imports.listRuns(o.limit));
      printJsonOr(Boolean(o.json), runs, () => (runs.length ? runs.map(formatRun).join('\n') : `no import run for ${o.tenant}`));
    });
  imports
    .command('show <runId>')
    .description('one run with its quarantined entries')
    .option('--tenant <id>', 'tenant id (not needed: run ids are unique)')
    .option('--json', 'print JSON')
    .action(async (runId: string, o: { tenant?: string; json?: boolean }) => {
      const result = await withStore(async (store, _config, tenants) => {
        const run = await findRun(store, tenants, runId, o.tenant);
        return { run, quarantined: await store.forTenant(run.tenantId).imports.listQuarantine(runId) };
      });
      printJsonOr(Boolean(o.json), result, () => [formatRun(result.run), ...result.quarantined.map((q) => `  ${q.dn}: ${q.reason}`)].join('\n'));
    });
  imports
    .command('purge')
    .description('delete accounts that disappeared longer ago than the source’s grace period')
    .requiredOption('--tenant <id>', 'tenant id')
    .option('--source <id>', 'directory source id, when the tenant has several')
    .action(async (o: { tenant: string; source?: string }) => {
      await withStore(async (store, _config, tenants) => {
        const { source } = pickSource(tenants, o.tenant, o.source, { enabled: false });
        const { deleted, before } = await purgeDisappeared(store, CLI_OPERATOR, o.tenant, source.disappearedGraceDays);
        process.stdout.write(`deleted ${deleted} account(s) disappeared before ${before.toISOString()}\n`);
      });
    });
}
