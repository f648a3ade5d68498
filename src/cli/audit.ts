/** `hub audit export`: a tenant's (or the platform's) audit log as JSON lines on stdout. */
import { once } from 'node:events';
import type { Command } from 'commander';
import { auditJsonLines } from '../admin/audit-jsonl.js';
import { streamAudit } from '../admin/tenant-reads.js';
import { UsageError, withStore } from './context.js';

interface ExportOptions {
  tenant?: string;
  platform?: boolean;
  since?: string;
  until?: string;
}

function dateOption(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(date.getTime())) throw new UsageError(`--${name} must be an ISO 8601 date or date-time (2026-09-01, 2026-09-01T08:00:00Z), not "${value}"`);
  return date;
}

async function exportAudit(o: ExportOptions): Promise<void> {
  if (Boolean(o.tenant) === Boolean(o.platform)) throw new UsageError('name either --tenant <id> or --platform');
  const from = dateOption('since', o.since);
  const to = dateOption('until', o.until);
  if (from && to && from >= to) throw new UsageError('--since must be before --until');
  await withStore(async (store, _config, tenants) => {
    if (o.tenant && !tenants.get(o.tenant)) throw new UsageError(`unknown tenant "${o.tenant}" (see hub tenants list)`);
    const events = streamAudit(store, o.tenant ?? null, { ...(from ? { from } : {}), ...(to ? { to } : {}) });
    for await (const line of auditJsonLines(events)) {
      if (!process.stdout.write(line)) await once(process.stdout, 'drain');
    }
  });
}

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('the audit log');
  audit.command('export')
    .description('write the audit events as JSON lines on stdout, newest first (one object per line)')
    .option('--tenant <id>', 'the events of this tenant')
    .option('--platform', 'the platform\'s own events')
    .option('--since <iso>', 'from this date or date-time (included)')
    .option('--until <iso>', 'until this date or date-time (excluded)')
    .action((o: ExportOptions) => exportAudit(o));
}
