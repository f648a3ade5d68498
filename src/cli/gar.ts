/**
 * `hub gar export` and `hub gar schedule`: the GAR annuaire export of one tenant (or of every
 * tenant with a `gar` section), written, validated, packed and, with --deliver, sent to the
 * GAR's SFTP server (src/gar/export-run.ts).
 */
import type { Command } from 'commander';
import { failed, runGarExport, type GarExportPorts, type GarExportReport } from '../gar/export-run.js';
import { CLI_OPERATOR } from '../identity/actor.js';
import { createLogger } from '../shared/logger.js';
import { EXIT, pickTenant, positiveNumber, printJsonOr, UsageError, withCommand, type CommandScope } from './context.js';

interface ExportOptions {
  tenant?: string;
  all?: boolean;
  dryRun?: boolean;
  deliver?: boolean;
  out?: string;
  json?: boolean;
}

const GAR_EXIT_CODES = `
Exit codes: 0 done; 1 a file did not validate, the delivery failed, or another failure (the report
says which); 2 usage error (unknown tenant, no gar section, delivery not configured); 3 an export
of the tenant is already running.`;

/** The tenants to export: the one named, or every tenant whose file has a `gar` section. */
function tenantsOf(scope: CommandScope, o: Pick<ExportOptions, 'tenant' | 'all'>): string[] {
  if (Boolean(o.tenant) === Boolean(o.all)) throw new UsageError('one of --tenant <id> or --all is required');
  if (o.tenant) return [pickTenant(scope.tenants, o.tenant).id];
  return scope.tenants.declarations().filter((t) => t.gar).map((t) => t.id);
}

async function portsOf(scope: CommandScope): Promise<GarExportPorts> {
  return { store: scope.store, locks: await scope.locks(), config: scope.config.garExport, keysDir: scope.config.keys.dir, garOf: (id) => scope.tenants.gar(id) };
}

const n = (value: number): string => value.toLocaleString('en-US');

function describe(report: GarExportReport): string {
  const counts = Object.entries(report.counts).map(([kind, count]) => `${kind} ${n(count)}`).join(', ');
  const lines = [`${report.tenant}: ${report.files.length} file(s), ${counts}, ${n(report.bytes)} bytes in ${report.dir}`];
  if (!report.validation.ok) {
    const [first] = report.validation.problems;
    const node = first?.node ? ` (${first.node.element} ${Object.entries(first.node.ids).map(([k, v]) => `${k} ${v}`).join(', ')})` : '';
    lines.push(`  not valid: ${report.validation.file} line ${first?.line ?? '?'}${first?.element ? `, ${first.element}` : ''}${node}: ${first?.message ?? ''}`, '  nothing packed or delivered');
  }
  if (report.package) lines.push(`  package: ${report.package.archive} (${n(report.package.bytes)} bytes) and its .md5`);
  if (report.delivery.status === 'delivered') lines.push(`  delivered in ${report.delivery.attempts} attempt(s): ${report.delivery.remoteFiles.join(', ')}`);
  if (report.delivery.status === 'failed') lines.push(`  delivery failed (${report.delivery.code}): ${report.delivery.message}`);
  return lines.join('\n');
}

/** A progress line on stderr while people and groups are written. */
function progressLine(tenant: string): { tick(written: number): void; done(): void } | null {
  if (!process.stderr.isTTY) return null;
  return {
    tick: (written) => { if (written % 1000 === 0) process.stderr.write(`\r\u001b[2K${tenant}: ${n(written)} people and groups written`); },
    done: () => process.stderr.write('\r\u001b[2K'),
  };
}

async function exportCommand(o: ExportOptions): Promise<void> {
  await withCommand(async (scope) => {
    const ports = await portsOf(scope);
    const reports: GarExportReport[] = [];
    for (const tenantId of tenantsOf(scope, o)) {
      const progress = o.json ? null : progressLine(tenantId);
      try {
        reports.push(await runGarExport(ports, CLI_OPERATOR, {
          tenantId, dryRun: Boolean(o.dryRun), deliver: Boolean(o.deliver), ...(o.out ? { outDir: o.out } : {}),
          ...(progress ? { onProgress: progress.tick } : {}),
        }));
      } finally {
        progress?.done();
      }
    }
    printJsonOr(Boolean(o.json), o.all ? reports : reports[0], () => reports.map(describe).join('\n') || '(no tenant has a gar section)');
    if (reports.some(failed)) process.exitCode = EXIT.failure;
  });
}

/** Exports every `--every` hours until SIGTERM (which waits for the current run); each run is logged. */
async function scheduleCommand(o: ExportOptions & { every: number }): Promise<void> {
  await withCommand(async (scope) => {
    const ports = await portsOf(scope);
    const tenants = tenantsOf(scope, o);
    const log = createLogger(scope.config.log.level);
    let stopping = false;
    let wake: () => void = () => undefined;
    const stop = () => { stopping = true; wake(); };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    while (!stopping) {
      for (const tenantId of tenants) {
        try {
          const report = await runGarExport(ports, CLI_OPERATOR, { tenantId, deliver: Boolean(o.deliver) });
          const done = { tenant: tenantId, run: report.run, counts: report.counts, valid: report.validation.ok, delivery: report.delivery.status };
          if (failed(report)) log.warn(done, 'scheduled GAR export done with a failure');
          else log.info(done, 'scheduled GAR export done');
        } catch (err) {
          log.error({ tenant: tenantId, code: (err as { code?: string }).code, err: (err as Error).message }, 'scheduled GAR export failed');
        }
      }
      if (!stopping) await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, o.every * 3_600_000);
        wake = () => { clearTimeout(timer); resolve(); };
      });
    }
    log.flush();
  });
}

export function registerGarCommands(program: Command): void {
  const gar = program.command('gar').description('the GAR annuaire export (schools, people and groups of the schools that use the GAR)');
  const common = (command: Command) => command
    .option('--tenant <id>', 'tenant (académie) id')
    .option('--all', 'every tenant with a gar section')
    .option('--deliver', 'send the package to the GAR SFTP server (garExport.sftp, the tenant\'s gar.remoteDir)');
  common(gar.command('export').description('write, validate and pack one export; with --deliver, send it'))
    .option('--dry-run', 'write and validate the files only: no package, no delivery')
    .option('--out <dir>', 'the folder runs are written to (default garExport.outDir)')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', GAR_EXIT_CODES)
    .action(exportCommand);
  common(gar.command('schedule').description('export on a schedule until stopped (SIGTERM waits for the current run)'))
    .option('--every <hours>', 'hours between runs', positiveNumber, 24)
    .action(scheduleCommand);
}
