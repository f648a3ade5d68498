/** The import report as an operator reads it, and the progress line shown on a terminal. */
import type { ImportCounters, ImportRun } from '../storage/ports/index.js';
import type { ImportProgress, ImportReport } from './job.js';

const n = (value: number): string => value.toLocaleString('en-US');

const STATUS_WORDS: Record<string, string> = { completed_with_errors: 'completed with errors' };
const statusWords = (status: string): string => STATUS_WORDS[status] ?? status;

/** The command that shows a run in full, exactly as it can be typed. */
export const showCommand = (run: Pick<ImportRun, 'id' | 'tenantId'>, json = false): string =>
  `hub import show ${run.id} --tenant ${run.tenantId}${json ? ' --json' : ''}`;

export function formatCounters(c: ImportCounters): string {
  return `read ${n(c.read)}  created ${n(c.created)}  updated ${n(c.updated)}${c.merged ? `  merged ${n(c.merged)}` : ''}  unchanged ${n(c.unchanged)}  disappeared ${n(c.disappeared)}  quarantined ${n(c.quarantined)}`;
}

export function formatReport(report: ImportReport, quarantineLines = 20): string {
  const { run, counters, seconds } = report;
  const rate = seconds > 0 ? Math.round(counters.read / seconds) : counters.read;
  const lines = [
    `import ${run.sourceId} (${run.tenantId}) ${run.mode}${run.dryRun ? ' [dry run: nothing written]' : ''}: ${statusWords(run.status)} in ${seconds.toFixed(1)} s (${n(rate)} entries/s)`,
    `  ${formatCounters(counters)}`,
  ];
  if (report.quarantined.length > 0) {
    lines.push('quarantined:');
    const shown = report.quarantined.slice(0, quarantineLines);
    for (const q of shown) lines.push(`  ${q.dn}: ${q.reason}`);
    if (counters.quarantined > shown.length) lines.push(`  … and ${n(counters.quarantined - shown.length)} more (${showCommand(run, true)})`);
  }
  for (const warning of report.warnings) lines.push(`warning: ${warning}`);
  return lines.join('\n');
}

/** What a failed or refused run had done when it stopped, for the operator (stderr). */
export function formatStoppedRun(run: ImportRun): string {
  return `run ${run.id} (${statusWords(run.status)}): ${formatCounters(run.counters)}; see ${showCommand(run)}`;
}

export function formatRun(run: ImportRun): string {
  const c = run.counters;
  return [run.startedAt.toISOString(), run.id, run.sourceId, run.mode + (run.dryRun ? ' (dry)' : ''), run.status,
    `read=${c.read} created=${c.created} updated=${c.updated}${c.merged ? ` merged=${c.merged}` : ''} unchanged=${c.unchanged} disappeared=${c.disappeared} quarantined=${c.quarantined}`,
    run.error ?? ''].join('\t');
}

/** ESC[2K after the carriage return: the whole line is erased, nothing of a longer one remains. */
const CLEAR_LINE = '\r\x1b[2K';

/** Below these, a rate says more about the connection set-up than about the run: no ETA yet. */
export const ETA_MIN_SECONDS = 2;
export const ETA_MIN_ENTRIES = 100;

/**
 * A progress line on a terminal: entries read, rate, and an ETA when the previous run's size is
 * known and the rate is meaningful (after ETA_MIN_SECONDS and ETA_MIN_ENTRIES). `now` for tests.
 */
export function progressPrinter(stream: Pick<NodeJS.WriteStream, 'write'>, expected: number | null, now: () => number = Date.now): { update(p: ImportProgress): void; done(): void } {
  const started = now();
  let shown = false;
  return {
    update(p) {
      const elapsed = (now() - started) / 1000;
      const meaningful = elapsed >= ETA_MIN_SECONDS && p.read >= ETA_MIN_ENTRIES;
      const rate = meaningful ? p.read / elapsed : 0;
      const eta = expected && rate > 0 && expected > p.read ? ` ETA ${formatDuration((expected - p.read) / rate)}` : '';
      stream.write(`${CLEAR_LINE}${p.phase}: ${n(p.read)} entries read${meaningful ? `, ${n(Math.round(rate))}/s` : ''}${eta}`);
      shown = true;
    },
    done() {
      if (shown) stream.write(CLEAR_LINE);
      shown = false;
    },
  };
}

function formatDuration(seconds: number): string {
  const s = Math.max(1, Math.ceil(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}
