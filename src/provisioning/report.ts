/** The import report as an operator reads it, and the progress line shown on a terminal. */
import type { ImportRun } from '../storage/ports/index.js';
import type { ImportProgress, ImportReport } from './job.js';

const n = (value: number): string => value.toLocaleString('en-US');

export function formatReport(report: ImportReport, quarantineLines = 20): string {
  const { run, counters, seconds } = report;
  const rate = seconds > 0 ? Math.round(counters.read / seconds) : counters.read;
  const lines = [
    `import ${run.sourceId} (${run.tenantId}) ${run.mode}${run.dryRun ? ' [dry run: nothing written]' : ''}: ${run.status} in ${seconds.toFixed(1)} s (${n(rate)} entries/s)`,
    `  read ${n(counters.read)}  created ${n(counters.created)}  updated ${n(counters.updated)}  unchanged ${n(counters.unchanged)}  disappeared ${n(counters.disappeared)}  quarantined ${n(counters.quarantined)}`,
  ];
  if (report.quarantined.length > 0) {
    lines.push('quarantined:');
    for (const q of report.quarantined.slice(0, quarantineLines)) lines.push(`  ${q.dn}: ${q.reason}`);
    if (counters.quarantined > quarantineLines) lines.push(`  … and ${n(counters.quarantined - quarantineLines)} more (hub import show ${run.id} --json)`);
  }
  for (const warning of report.warnings) lines.push(`warning: ${warning}`);
  return lines.join('\n');
}

export function formatRun(run: ImportRun): string {
  const c = run.counters;
  return [run.startedAt.toISOString(), run.id, run.sourceId, run.mode + (run.dryRun ? ' (dry)' : ''), run.status,
    `read=${c.read} created=${c.created} updated=${c.updated} unchanged=${c.unchanged} disappeared=${c.disappeared} quarantined=${c.quarantined}`,
    run.error ?? ''].join('\t');
}

/** A progress line on a terminal: entries read, rate, and an ETA when the previous run's size is known. */
export function progressPrinter(stream: NodeJS.WriteStream, expected: number | null): { update(p: ImportProgress): void; done(): void } {
  const started = Date.now();
  return {
    update(p) {
      const elapsed = (Date.now() - started) / 1000;
      const rate = elapsed > 0 ? p.read / elapsed : 0;
      const eta = expected && rate > 0 && expected > p.read ? ` ETA ${Math.ceil((expected - p.read) / rate)} s` : '';
      stream.write(`\r${p.phase}: ${n(p.read)} entries read, ${n(Math.round(rate))}/s${eta}   `);
    },
    done() {
      stream.write('\n');
    },
  };
}
