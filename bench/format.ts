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
