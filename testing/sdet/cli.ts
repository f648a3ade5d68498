/**
 * `npm run gen:sdet -- --entries N [--seed S] [--bad K] [--out file.ldif] [--academy lille|amiens]
 *  [--suffix DN] [--source AC-XXX] [--school-year YYYY]`
 *
 * Writes deterministic SDET test data as LDIF to the file, or to stdout (`--out -` or no
 * --out), and a summary to stderr. Usage errors exit with status 2.
 */
import { parseArgs } from 'node:util';
import { MAX_ENTRIES, writeSdet, type Academy, type SdetOptions } from './sdet.js';

const USAGE = `usage: gen:sdet --entries N [--seed S] [--bad K] [--out file.ldif] [--academy lille|amiens]
                [--suffix DN] [--source AC-XXX] [--school-year YYYY]

  --entries N        person entries to generate (0..${MAX_ENTRIES}); structures, classes and groups come on top
  --seed S           PRNG seed (integer, default 1): same options, same output
  --bad K            add K deliberately bad person entries (description: bad:<reason>)
  --out FILE         write to FILE instead of stdout ("-" is stdout)
  --academy A        lille (default) or amiens: UAI départements, jointure source, mail domain
  --suffix DN        base DN (default dc=ac-<academy>,dc=fr)
  --source S         jointure prefix (default AC-LILLE / AC-AMIENS)
  --school-year YYYY first year of the school year described (default 2025)`;

const SHORT_USAGE = `${USAGE.split('\n\n')[0]}\n(--help for details)`;

class UsageError extends Error {}

function integer(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^-?\d+$/.test(raw)) throw new UsageError(`--${name} must be an integer, got ${JSON.stringify(raw)}`);
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new UsageError(`--${name} must be between ${min} and ${max}, got ${raw}`);
  return value;
}

function parseCli(argv: string[]): { options: SdetOptions; out: string | undefined } | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        entries: { type: 'string', short: 'n' },
        seed: { type: 'string' },
        bad: { type: 'string' },
        out: { type: 'string', short: 'o' },
        academy: { type: 'string' },
        suffix: { type: 'string' },
        source: { type: 'string' },
        'school-year': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return 'help';
  const entries = integer('entries', values.entries, 0, MAX_ENTRIES);
  if (entries === undefined) throw new UsageError('--entries is required');
  const academy = values.academy ?? 'lille';
  if (academy !== 'lille' && academy !== 'amiens') throw new UsageError(`--academy must be lille or amiens, got ${JSON.stringify(academy)}`);
  const options: SdetOptions = {
    entries,
    seed: integer('seed', values.seed, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER) ?? 1,
    bad: integer('bad', values.bad, 0, 1_000_000) ?? 0,
    academy: academy as Academy,
  };
  if (values.suffix !== undefined) options.suffix = values.suffix;
  if (values.source !== undefined) options.source = values.source;
  const schoolYear = integer('school-year', values['school-year'], 1990, 2200);
  if (schoolYear !== undefined) options.schoolYear = schoolYear;
  return { options, out: values.out === '-' ? undefined : values.out };
}

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseCli>;
  try {
    parsed = parseCli(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`gen:sdet: ${error.message}\n${SHORT_USAGE}\n`);
    return 2;
  }
  if (parsed === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { options, out } = parsed;
  let result;
  try {
    result = await writeSdet(options, out ?? process.stdout);
  } catch (error) {
    if (error instanceof RangeError) {
      process.stderr.write(`gen:sdet: ${error.message}\n${SHORT_USAGE}\n`);
      return 2;
    }
    // A closed pipe (`| head`) is the reader's choice, not a failure.
    if ((error as NodeJS.ErrnoException).code === 'EPIPE') return 0;
    throw error;
  }
  const seconds = result.milliseconds / 1000;
  process.stderr.write(
    `gen:sdet: ${result.ldifEntries} LDIF entries (${result.persons} persons: ${result.pupils} pupils, ${result.parents} parents, ` +
      `${result.teachers} teachers, ${result.staff} staff; ${result.bad} bad; ${result.structures} structures, ${result.classes} classes, ` +
      `${result.groups} groups), ${(result.bytes / 1e6).toFixed(1)} MB in ${seconds.toFixed(2)} s ` +
      `(${Math.round(result.persons / Math.max(seconds, 1e-3))} persons/s)${out ? ` → ${out}` : ''}\n`,
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`gen:sdet: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
