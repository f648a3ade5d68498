/** Output helpers shared by the benchmarks. */
import { readFileSync } from 'node:fs';
export const fmt = (value: number | null | undefined, digits = 0): string => (value === null || value === undefined ? '—' : value.toFixed(digits));

/** Aligned columns; `rightAligned[i]` for numbers. */
export function table(rows: string[][], rightAligned: boolean[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows
    .map((row) => row.map((cell, i) => (rightAligned[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd())
    .join('\n');
}

/** `--help`: prints the leading doc comment of the benchmark file `url`; true when asked for. */
export function printHelpIfAsked(argv: string[], url: string): boolean {
  if (!argv.includes('--help') && !argv.includes('-h')) return false;
  const doc = readFileSync(new URL(url), 'utf8').split('*/')[0] ?? '';
  process.stdout.write(`${doc.replace(/^\/\*\*?\n?|^ \* ?/gm, '')}\n`);
  return true;
}

/** The middle value (mean of the two middle ones for an even count): rounds are compared by it, as one noisy round must not decide. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A numeric setting from the environment: `fallback` when unset, an error naming it when outside [min, max]. */
export function envNumber(name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new Error(`${name} must be a number ${max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `between ${min} and ${max}`} (got "${raw}")`);
  }
  return value;
}
