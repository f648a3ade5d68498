/**
 * `npm run bench:search`: the helpdesk's account search (AccountStore.search, src/storage/sql/
 * account-search.ts) on a generated tenant of a million accounts, on SQLite and PostgreSQL.
 *
 * Per engine: a fresh database (SQLite: a temp file; PostgreSQL: a new database on the server
 * of DATABASE_URL, as the tests make one), the tenant seeded by SQL (testing/search-tenant.ts:
 * French names with accents and apostrophes, schools of 600 accounts, classes of ~28, each
 * account in one school and one class; then ANALYZE, and VACUUM on PostgreSQL as autovacuum
 * would), then each kind of search `--runs` times with varied inputs, pages of 50:
 *   name 1 letter        `m`, `l`…: a quarter of the tenant matches, by last or first name
 *   name 3 letters       the start of a last or first name
 *   name two words       `lefevre h`, `hugo lef`: a last name and the start of a first name, or the reverse
 *   login prefix         `hugo.lef`
 *   externalId           exact
 *   email                exact, the contact or the académie address, in other capitals
 *   uai                  a school's 600 accounts, first page by name
 *   class                a class's ~28 members
 *   name+status          1 to 3 letters, one of the four statuses
 *   name+structures      1 to 3 letters or two words, within 1 to 3 schools (a school admin)
 *   name+10 structures   1 to 3 letters within 10 schools (6,000 accounts: past the members-first cap)
 *   next page            the page after a one-letter name search's first page
 * and, as the baseline of the same run, as many `SELECT * FROM accounts WHERE id = ?`.
 * One table: engine, kind, p50/p95/p99 in ms, rows per search, p95 / the baseline's p95.
 * Goal: p95 < 100 ms for every kind on both engines.
 *
 *   --accounts N     accounts in the tenant (1000000)
 *   --runs N         searches per kind (200)
 *   --engines LIST   sqlite,postgres (both)
 *   --json           machine-readable results on stdout
 *   DATABASE_URL     PostgreSQL server (unset: a throwaway cluster, as the tests)
 *
 * Shared machines are noisy: the load average is printed before and after.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { foldName } from '../src/identity/fold.js';
import { loginPart } from '../src/identity/login-generator.js';
import { ACCOUNT_STATUSES } from '../src/identity/vocabulary.js';
import type { AccountFilters, AccountSearch } from '../src/storage/ports/index.js';
import { openSqlStore, type SqlDialect, type SqlStore } from '../src/storage/sql/index.js';
import { FIRST_NAMES, LAST_NAMES } from '../testing/french-names.js';
import { createTestDatabase } from '../testing/harness/postgres.js';
import {
  accountId, CLASS_SIZE, hasContactEmail, namesOf, seedSearchTenant, STRUCTURE_SIZE, structureCount, structureId, uaiOf,
} from '../testing/search-tenant.js';
import { fmt, printHelpIfAsked, table } from './format.js';

const TENANT = 'bench';
const PAGE = 50;
const GOAL_MS = 100;

interface Options { accounts: number; runs: number; engines: SqlDialect[]; json: boolean }

function options(argv: string[]): Options {
  const value = (name: string) => {
    const at = argv.indexOf(name);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const count = (name: string, fallback: number) => {
    const raw = value(name);
    const n = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} takes a positive integer (got "${raw}")`);
    return n;
  };
  const engines = (value('--engines') ?? 'sqlite,postgres').split(',') as SqlDialect[];
  for (const engine of engines) if (engine !== 'sqlite' && engine !== 'postgres') throw new Error(`unknown engine "${engine}"`);
  return { accounts: count('--accounts', 1_000_000), runs: count('--runs', 200), engines, json: argv.includes('--json') };
}

/** A deterministic stream of numbers in [0, 1), so that runs search the same inputs. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

interface Search { query: AccountSearch; filters: AccountFilters; after?: string }
type Kind = { name: string; inputs: (n: number) => Search[] };

function kinds(accounts: number, next: () => number): Kind[] {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const anyone = () => Math.floor(next() * accounts);
  const structures = structureCount(accounts);
  const classes = Math.ceil(STRUCTURE_SIZE / CLASS_SIZE);
  const starts = (name: string, letters: number) => foldName(name).slice(0, letters);
  const firstLetters = [...new Set([...LAST_NAMES, ...FIRST_NAMES].map((n) => starts(n, 1)))].filter((c) => /[a-z]/.test(c));
  const shortName = () => starts(pick(next() < 0.5 ? LAST_NAMES : FIRST_NAMES), 1 + Math.floor(next() * 3));
  const twoWords = () => {
    const { lastName, firstName } = namesOf(anyone());
    return next() < 0.5 ? `${lastName} ${starts(firstName, 1 + Math.floor(next() * 3))}` : `${firstName} ${starts(lastName, 3)}`;
  };
  const someStructures = (count: number) => Array.from({ length: count }, () => structureId(TENANT, Math.floor(next() * structures)));
  const name = (text: string, filters: AccountFilters = {}): Search => ({ query: { kind: 'name', text }, filters });
  const times = (n: number, make: () => Search) => Array.from({ length: n }, make);
  return [
    { name: 'name 1 letter', inputs: (n) => times(n, () => name(pick(firstLetters))) },
    { name: 'name 3 letters', inputs: (n) => times(n, () => name(starts(pick(next() < 0.5 ? LAST_NAMES : FIRST_NAMES), 3))) },
    { name: 'name two words', inputs: (n) => times(n, () => name(twoWords())) },
    {
      name: 'login prefix',
      inputs: (n) => times(n, () => {
        const { firstName, lastName } = namesOf(anyone());
        return { query: { kind: 'login', text: `${loginPart(firstName)}.${loginPart(lastName).slice(0, 3)}` }, filters: {} };
      }),
    },
    { name: 'externalId', inputs: (n) => times(n, () => ({ query: { kind: 'externalId', text: `BENCH-${anyone()}` }, filters: {} })) },
    {
      name: 'email',
      inputs: (n) => times(n, () => {
        // Someone with an address: staff have the académie's, a third of all a contact one.
        let i = anyone();
        while (i % 20 < 18 && !hasContactEmail(i)) i = anyone();
        const { firstName, lastName } = namesOf(i);
        const [first, last] = [loginPart(firstName), loginPart(lastName)];
        const text = i % 20 >= 18 && (!hasContactEmail(i) || next() < 0.5) ? `${first}.${last}.${i}@AC-LILLE.FR` : `${first.toUpperCase()}.${last}.${i}@example.ORG`;
        return { query: { kind: 'email', text }, filters: {} };
      }),
    },
    { name: 'uai', inputs: (n) => times(n, () => ({ query: { kind: 'uai', uai: uaiOf(Math.floor(next() * structures)) }, filters: {} })) },
    {
      name: 'class',
      inputs: (n) => times(n, () => ({ query: { kind: 'class', uai: uaiOf(Math.floor(next() * structures)), classCode: `C${Math.floor(next() * classes)}` }, filters: {} })),
    },
    { name: 'name+status', inputs: (n) => times(n, () => name(shortName(), { status: pick(ACCOUNT_STATUSES) })) },
    {
      name: 'name+structures',
      inputs: (n) => times(n, () => name(next() < 0.7 ? shortName() : twoWords(), { structureIds: someStructures(1 + Math.floor(next() * 3)) })),
    },
    { name: 'name+10 structures', inputs: (n) => times(n, () => name(shortName(), { structureIds: someStructures(10) })) },
    { name: 'next page', inputs: (n) => times(n, () => name(pick(firstLetters))) },
  ];
}

interface Row { engine: SqlDialect; kind: string; p50: number; p95: number; p99: number; rows: number; ratio: number | null }

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

/** Runs `run` on each input in turn, timing each; `run` returns the rows it got. */
async function timed<T>(inputs: T[], run: (input: T) => Promise<number>): Promise<{ p50: number; p95: number; p99: number; rows: number }> {
  const times: number[] = [];
  let rows = 0;
  for (const input of inputs) {
    const started = performance.now();
    rows += await run(input);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p95: percentile(times, 95), p99: percentile(times, 99), rows: rows / inputs.length };
}

async function openEngine(engine: SqlDialect): Promise<{ store: SqlStore; drop: () => Promise<void> }> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'bench-search-'));
    const store = await openSqlStore(`sqlite:${join(dir, 'hub.db')}`);
    return { store, drop: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
  }
  const database = await createTestDatabase();
  const store = await openSqlStore(database.url);
  return { store, drop: async () => { await store.close(); await database.drop(); } };
}

async function benchEngine(engine: SqlDialect, opts: Options): Promise<{ rows: Row[]; seedSeconds: number }> {
  const { store, drop } = await openEngine(engine);
  try {
    await store.tenants.upsert({ id: TENANT, name: 'Bench', academyCode: '00' });
    const seedStart = performance.now();
    await seedSearchTenant(store, TENANT, opts.accounts);
    // The visibility map autovacuum would have set after an import.
    if (engine === 'postgres') await sql`vacuum accounts`.execute(store.db);
    const seedSeconds = (performance.now() - seedStart) / 1000;
    process.stderr.write(`${engine}: ${opts.accounts.toLocaleString('en-US')} accounts seeded in ${seedSeconds.toFixed(1)} s\n`);

    const accounts = store.forTenant(TENANT).accounts;
    const next = random(15);
    const all = kinds(opts.accounts, next);
    const search = async ({ query, filters, after }: Search) => (await accounts.search(query, filters, { limit: PAGE, after })).items.length;
    // A warm-up pass: the first reads of an index come from the disk, not what a running hub sees.
    for (const kind of all) for (const input of kind.inputs(20)) await search(input);

    const byId = Array.from({ length: opts.runs }, () => accountId(Math.floor(next() * opts.accounts)));
    const baseline = await timed(byId, async (id) => ((await store.db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst()) ? 1 : 0));
    const rows: Row[] = [{ engine, kind: 'baseline: by id', ...baseline, ratio: null }];
    for (const kind of all) {
      let inputs = kind.inputs(opts.runs);
      if (kind.name === 'next page') {
        // The cursor of each first page, taken before the clock starts.
        const firsts = await Promise.all(inputs.map((input) => accounts.search(input.query, input.filters, { limit: PAGE })));
        inputs = inputs.map((input, i) => ({ ...input, after: firsts[i]!.next ?? undefined }));
      }
      const result = await timed(inputs, search);
      rows.push({ engine, kind: kind.name, ...result, ratio: result.p95 / baseline.p95 });
      process.stderr.write(`  ${kind.name}: p95 ${result.p95.toFixed(1)} ms\n`);
    }
    return { rows, seedSeconds };
  } finally {
    await drop();
  }
}

async function main(): Promise<void> {
  if (printHelpIfAsked(process.argv, import.meta.url)) return;
  const opts = options(process.argv.slice(2));
  const loadBefore = loadavg()[0]!;
  const results: { engine: SqlDialect; seedSeconds: number; rows: Row[] }[] = [];
  for (const engine of opts.engines) results.push({ engine, ...(await benchEngine(engine, opts)) });
  const loadAfter = loadavg()[0]!;
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ accounts: opts.accounts, runs: opts.runs, load: [loadBefore, loadAfter], results }, null, 2)}\n`);
    return;
  }
  const header = ['engine', 'kind', 'p50 ms', 'p95 ms', 'p99 ms', 'rows', 'p95 / by id'];
  const lines = results.flatMap(({ rows }) => rows.map((r) => [
    r.engine, r.kind, fmt(r.p50, 2), fmt(r.p95, 2), fmt(r.p99, 2), fmt(r.rows, 1), r.ratio === null ? '' : `${fmt(r.ratio, 0)} ×`,
  ]));
  process.stdout.write(`Account search, ${opts.accounts.toLocaleString('en-US')} accounts, ${opts.runs} searches per kind, pages of ${PAGE} (load average ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)})\n\n`);
  process.stdout.write(`${table([header, ...lines], [false, false, true, true, true, true, true])}\n\n`);
  for (const { engine, seedSeconds, rows } of results) {
    const over = rows.filter((r) => r.ratio !== null && r.p95 >= GOAL_MS).map((r) => r.kind);
    process.stdout.write(`${engine}: seeded in ${seedSeconds.toFixed(1)} s; p95 < ${GOAL_MS} ms: ${over.length === 0 ? 'every kind' : `not for ${over.join(', ')}`}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
