/**
 * `npm run bench:import`: LDAP import throughput and memory, against a throwaway slapd loaded
 * with generated SDET data (suffix dc=ac-lille,dc=fr).
 *
 * For each size N (person entries), in one run: the LDIF is generated once (temp folder) and
 * bulk-loaded into a throwaway slapd, then
 *   1. raw read: an ldapts paged search of the whole directory (the import's page size,
 *      attributes `*` + modifyTimestamp, values converted to strings as the import does), the
 *      rate the import is compared with (best of BENCH_IMPORT_RAW_ROUNDS rounds); then once
 *      more asking only for the attributes the import asks for (not a baseline: it shows
 *      what reading less saves, since the import itself reads less than whole entries);
 *   2. full import into SQLite (fresh file) and into PostgreSQL (fresh database);
 *   3. the same full import again, the directory unchanged (it must create and update nothing);
 *   4. a delta import after ldapmodify changed `sn` on 1 % of the people (one change record
 *      every 100 good people), more than a second after the last run.
 * Every scenario runs in a child process (`node --import tsx bench/import-child.ts`) that
 * reports its peak RSS (process.resourceUsage().maxRSS), CPU time and the import's counters;
 * this process measures the wall time of each child and the CPU time slapd spent meanwhile.
 *
 *   BENCH_IMPORT_ENTRIES     person entries (100000); a comma-separated list runs each size in
 *                            turn and compares the peak RSS of the largest with the smallest
 *   BENCH_IMPORT_BACKENDS    sqlite,postgres (default both)
 *   BENCH_IMPORT_RAW_ROUNDS  raw read rounds, the best counts (2)
 *   BENCH_IMPORT_PAGE_SIZE   LDAP page size (the source's default)
 *   BENCH_IMPORT_BATCH_SIZE  people per write batch (the source's default)
 *   BENCH_IMPORT_SEED        generator seed (1)
 *   BENCH_IMPORT_BAD         deliberately bad person entries added (0)
 *   BENCH_IMPORT_DELTA_SHARE share of the good people the delta changes (0.01)
 *   BENCH_CPU_PROF           a folder: every child runs with --cpu-prof and writes its profile in
 *                            <folder>/<N>-<scenario>/ (summarize one with
 *                            `npx tsx bench/cpuprofile-summary.ts <file>`; the main thread's is
 *                            the largest)
 *   DATABASE_URL             PostgreSQL server for the fresh database (as the tests: unset → a
 *                            throwaway cluster from Debian's binaries, fsync off, autovacuum on);
 *                            e.g. postgres://postgres@127.0.0.1:5432/postgres
 *
 *   --entries N[,M…]         same as BENCH_IMPORT_ENTRIES (wins over it)
 *   --json                   machine-readable results on stdout (progress still goes to stderr)
 *
 * Goals: full import ≥ 0.5 × the raw read rate; a re-run with unchanged data creates and
 * updates nothing; a delta touching 1 % of 1M people completes in under 10 s (checked at every
 * size); the delta updates exactly the people changed; peak RSS of a full import at the largest
 * size ≤ 1.2 × that at the smallest (when several sizes run).
 *
 * Exit status: 0 when every scenario ran (goals met or not: see the table), 1 when a scenario
 * failed (its error is printed), 2 on a setup failure. slapd, the temp folder and the
 * databases are removed in every case, Ctrl-C included.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { Client } from 'ldapts';
import pg from 'pg';
import { PROJECT_ROOT } from '../src/config/load.js';
import { tenantSchema } from '../src/config/tenant-schema.js';
import { writeSdet, type SdetWriteResult } from '../testing/sdet/sdet.js';
import { createTestDatabase, stopThrowawayCluster, type TestDatabase } from '../testing/harness/postgres.js';
import { startSlapd, type Slapd } from '../testing/harness/slapd.js';
import type { ChildResult, ChildSpec } from './import-child.js';
import { envNumber, fmt, printHelpIfAsked, table } from './format.js';
import { postgresCpuSeconds, processCpuSeconds } from './proc.js';

// ---------------------------------------------------------------------------------------------
// Settings

const SUFFIX = 'dc=ac-lille,dc=fr';
const GOAL_RATIO = 0.5;
const GOAL_DELTA_SECONDS = 10;
const GOAL_RSS_GROWTH = 1.2;
/** modifyTimestamp has a one-second resolution: the change must come strictly after the last run's high-water mark. */
const DELTA_WAIT_MS = 1100;

type Backend = 'sqlite' | 'postgres';

function parseSizes(raw: string, what: string): number[] {
  const sizes = raw.split(',').map((part) => Number(part.trim().replace(/_/g, '')));
  if (sizes.length === 0 || sizes.some((n) => !Number.isSafeInteger(n) || n < 100 || n > 5_000_000)) {
    throw new Error(`${what} must be a number of entries (100 to 5000000) or a comma-separated list of them (got "${raw}")`);
  }
  return sizes;
}

interface Settings {
  sizes: number[];
  backends: Backend[];
  rawRounds: number;
  pageSize: number;
  batchSize: number;
  seed: number;
  bad: number;
  deltaShare: number;
  cpuProfDir: string | undefined;
  json: boolean;
}

function readSettings(argv: string[]): Settings {
  // The source's own defaults, so that the benchmark follows them when they change.
  const defaults = tenantSchema.parse({
    id: 'bench', name: 'x', academyCode: '09',
    directorySources: [{ id: 'AC-X', type: 'ldap', url: 'ldap://x', bindDn: 'x', bindPassword: { env: 'X' }, baseDn: { people: 'x', structures: 'x', groups: 'x' } }],
  }).directorySources[0]!;
  const entriesFlag = argv.indexOf('--entries');
  const inline = argv.find((a) => a.startsWith('--entries='));
  const sizesRaw = inline ? inline.slice('--entries='.length) : entriesFlag >= 0 ? argv[entriesFlag + 1] ?? '' : process.env.BENCH_IMPORT_ENTRIES || '100000';
  const backends = (process.env.BENCH_IMPORT_BACKENDS || 'sqlite,postgres').split(',').map((b) => b.trim());
  for (const b of backends) if (b !== 'sqlite' && b !== 'postgres') throw new Error(`BENCH_IMPORT_BACKENDS: unknown backend "${b}" (sqlite, postgres)`);
  return {
    sizes: parseSizes(sizesRaw, entriesFlag >= 0 || inline ? '--entries' : 'BENCH_IMPORT_ENTRIES'),
    backends: [...new Set(backends as Backend[])],
    rawRounds: Math.floor(envNumber('BENCH_IMPORT_RAW_ROUNDS', 2, 1, 20)),
    pageSize: Math.floor(envNumber('BENCH_IMPORT_PAGE_SIZE', defaults.pageSize, 10, 5000)),
    batchSize: Math.floor(envNumber('BENCH_IMPORT_BATCH_SIZE', defaults.batchSize, 10, 10_000)),
    seed: Math.floor(envNumber('BENCH_IMPORT_SEED', 1, 0)),
    bad: Math.floor(envNumber('BENCH_IMPORT_BAD', 0, 0, 1_000_000)),
    deltaShare: envNumber('BENCH_IMPORT_DELTA_SHARE', 0.01, 0.0001, 1),
    cpuProfDir: process.env.BENCH_CPU_PROF || undefined,
    json: argv.includes('--json'),
  };
}

const progress = (line: string): void => void process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (since: number): number => (performance.now() - since) / 1000;

// ---------------------------------------------------------------------------------------------
// What must be cleaned up, on every path

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();
const slapds = new Set<Slapd>();
const databases = new Set<TestDatabase>();

async function cleanUp(): Promise<void> {
  for (const child of children) child.kill('SIGKILL');
  await Promise.all([...slapds].map((s) => s.stop().catch((e: unknown) => progress(`could not stop slapd: ${String(e)}`))));
  slapds.clear();
  await Promise.all([...databases].map((d) => d.drop().catch((e: unknown) => progress(`could not drop a benchmark database: ${String(e)}`))));
  databases.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
  await stopThrowawayCluster();
}

// ---------------------------------------------------------------------------------------------
// The data

interface Dataset {
  ldif: string;
  plan: SdetWriteResult;
  /** DNs of the good people the delta changes (every k-th in LDIF order). */
  changeDns: string[];
}

/**
 * Writes the LDIF and, on the way, picks every k-th good person (bad entries carry
 * `description: bad:<reason>` and are never picked), spread over pupils, parents and staff.
 */
async function generate(dir: string, entries: number, settings: Settings): Promise<Dataset> {
  const ldif = join(dir, 'data.ldif');
  const file = createWriteStream(ldif);
  const stride = Math.max(1, Math.round(1 / settings.deltaShare));
  const peopleSuffix = `,ou=people,${SUFFIX}`;
  const changeDns: string[] = [];
  let carry = '';
  let good = 0;
  const scan = (text: string, final: boolean) => {
    const records = (carry + text).split('\n\n');
    carry = final ? '' : records.pop()!;
    for (const record of records) {
      const dn = /^dn: (uid=[^\n]+)/.exec(record.replace(/^\n+/, ''))?.[1];
      if (!dn?.endsWith(peopleSuffix) || record.includes('\ndescription: bad:')) continue;
      good += 1;
      if (good % stride === 0) changeDns.push(dn);
    }
  };
  const tee = new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, callback) {
      const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      scan(text, false);
      if (file.write(text)) callback();
      else file.once('drain', () => callback());
    },
  });
  const plan = await writeSdet({ entries, seed: settings.seed, bad: settings.bad, suffix: SUFFIX }, tee);
  tee.end(); // writeSdet leaves a stream it is given open; chunks may still wait in it
  await finished(tee);
  scan('', true);
  file.end();
  await finished(file);
  if (good !== plan.persons) throw new Error(`found ${good} good people in the LDIF, the generator planned ${plan.persons}`);
  return { ldif, plan, changeDns };
}

function changeLdif(dns: string[]): string {
  return dns.map((dn) => `dn: ${dn}\nchangetype: modify\nreplace: sn\nsn: Benchmodif\n`).join('\n');
}

// ---------------------------------------------------------------------------------------------
// Processes: the children, and slapd's CPU time

/** The slapd serving `url` (the harness does not expose its pid): found by its command line. */
function slapdPid(url: string): number | undefined {
  try {
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
        if (argv[0]?.endsWith('/slapd') && argv.some((arg) => arg.replace(/\/$/, '') === url.replace(/\/$/, ''))) return Number(name);
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    // no /proc
  }
  return undefined;
}

interface ChildOutcome {
  result: ChildResult | undefined;
  wallSeconds: number;
  slapdCpuSeconds: number | null;
  /** PostgreSQL scenarios on a local server only. */
  postgresCpuSeconds: number | null;
  error: string | undefined;
}

async function runChild(label: string, spec: ChildSpec, settings: Settings, slapdProcess: number | undefined): Promise<ChildOutcome> {
  const script = join(PROJECT_ROOT, 'bench', 'import-child.ts');
  const nodeArgs = ['--import', 'tsx'];
  if (settings.cpuProfDir) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${join(settings.cpuProfDir, label.replace(/[^A-Za-z0-9_.-]+/g, '-'))}`);
  const fingerprint = srcFingerprint();
  srcAtStart ??= fingerprint;
  if (fingerprint !== srcAtStart && srcChangedBefore.length === 0) srcChangedBefore.push(label);
  const cpuBefore = processCpuSeconds(slapdProcess);
  const onPostgres = spec.databaseUrl?.startsWith('postgres') ?? false;
  const postgresBefore = onPostgres ? postgresCpuSeconds() : undefined;
  const started = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, script], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, BENCH_IMPORT_SPEC: JSON.stringify({ ...spec, watchStdin: true, progressSeconds: 15 }) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.add(child);
  child.stdin!.on('error', () => undefined);
  let stdout = '';
  let stderrTail = '';
  child.stdout!.setEncoding('utf8').on('data', (data: string) => void (stdout += data));
  createInterface({ input: child.stderr! }).on('line', (line) => {
    stderrTail = `${stderrTail}\n${line}`.slice(-4000);
    progress(`    [${label}] ${line}`);
  });
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (c, s) => resolve({ code: c, signal: s }));
  });
  children.delete(child);
  const wallSeconds = seconds(started);
  const cpuAfter = processCpuSeconds(slapdProcess);
  const slapdCpuSeconds = cpuBefore !== undefined && cpuAfter !== undefined ? cpuAfter - cpuBefore : null;
  // The child's connections are closed: their backends have ended and been counted.
  const postgresAfter = onPostgres ? postgresCpuSeconds() : undefined;
  const postgresCpu = postgresBefore !== undefined && postgresAfter !== undefined ? postgresAfter - postgresBefore : null;
  const line = stdout.trim().split('\n').pop() ?? '';
  if (code === 0 && line.startsWith('{')) return { result: JSON.parse(line) as ChildResult, wallSeconds, slapdCpuSeconds, postgresCpuSeconds: postgresCpu, error: undefined };
  const tail = stderrTail.trim().split('\n').slice(-12).join('\n');
  return { result: undefined, wallSeconds, slapdCpuSeconds, postgresCpuSeconds: postgresCpu, error: `${label}: child ${signal ? `killed by ${signal}` : `exited with code ${code}`}${tail ? `\n${tail}` : ''}` };
}

// ---------------------------------------------------------------------------------------------
// One size

type Step = 'raw' | 'full' | 'rerun' | 'delta';

interface Scenario {
  name: string;
  backend: Backend | 'ldap';
  step: Step;
  ok: boolean;
  error: string | null;
  /** Child process, start to exit (node start, tsx, store opening included). */
  wallSeconds: number;
  /** The timed part in the child: the paged search, or runImport. */
  runSeconds: number | null;
  read: number | null;
  /** Entries read per second of runSeconds. */
  rate: number | null;
  /** rate ÷ best raw read rate. */
  vsRaw: number | null;
  maxRssMiB: number | null;
  nodeCpuSeconds: number | null;
  slapdCpuSeconds: number | null;
  postgresCpuSeconds: number | null;
  child: ChildResult | null;
}

interface Goal {
  entries: number | null;
  what: string;
  value: string;
  target: string;
  met: boolean | null;
}

interface SizeResult {
  entries: number;
  directory: {
    persons: number; bad: number; structures: number; classes: number; groups: number; ldifEntries: number;
    ldifBytes: number; generateSeconds: number; loadSeconds: number; slapdDbBytes: number | null;
  };
  rawRate: number | null;
  scenarios: Scenario[];
  change: {
    entries: number;
    seconds: number;
    attribute: 'sn';
    /** The high-water mark of the last full run, from which the deltas start. */
    since: string | null;
    /** Entries (other than the changed ones) whose modifyTimestamp is that very second: a delta reads them again. */
    stampedAtSince: number | null;
  } | null;
  goals: Goal[];
}

function scenarioOf(name: string, backend: Scenario['backend'], step: Step, outcome: ChildOutcome, rawRate: number | null): Scenario {
  const r = outcome.result;
  const rate = r && r.seconds > 0 ? r.read / r.seconds : null;
  return {
    name, backend, step, ok: r !== undefined, error: outcome.error ?? null,
    wallSeconds: outcome.wallSeconds,
    runSeconds: r?.seconds ?? null,
    read: r?.read ?? null,
    rate,
    vsRaw: rate !== null && rawRate ? rate / rawRate : null,
    maxRssMiB: r ? r.maxRssKiB / 1024 : null,
    nodeCpuSeconds: r ? r.userCpuSeconds + r.systemCpuSeconds : null,
    slapdCpuSeconds: outcome.slapdCpuSeconds,
    postgresCpuSeconds: outcome.postgresCpuSeconds,
    child: r ?? null,
  };
}

function duBytes(dir: string): number | null {
  try {
    // Blocks in use: the mdb file is sparse (its apparent size is the map size).
    return Number(execFileSync('du', ['-s', '--block-size=1', dir], { encoding: 'utf8' }).split('\t')[0]);
  } catch {
    return null;
  }
}

async function runSize(entries: number, settings: Settings, notes: Set<string>): Promise<SizeResult> {
  const root = mkdtempSync(join(tmpdir(), 'ent-sso-hub-bench-import-'));
  tempDirs.add(root);
  try {
    progress(`[${entries}] generating the LDIF in ${root}`);
    const generating = performance.now();
    const data = await generate(root, entries, settings);
    const generateSeconds = seconds(generating);
    const ldifBytes = statSync(data.ldif).size;
    progress(`[${entries}] ${data.plan.ldifEntries} LDIF entries, ${(ldifBytes / 2 ** 20).toFixed(0)} MiB in ${generateSeconds.toFixed(1)} s; slapadd + start`);
    const loading = performance.now();
    const slapd = await startSlapd({ ldif: data.ldif, suffix: SUFFIX });
    slapds.add(slapd);
    const loadSeconds = seconds(loading);
    rmSync(data.ldif, { force: true }); // loaded: free the disk
    const pid = slapdPid(slapd.url);
    const slapdDir = pid !== undefined ? /(?:^|\0)-f\0([^\0]+)\/slapd\.conf/.exec(readFileSync(`/proc/${pid}/cmdline`, 'utf8'))?.[1] : undefined;
    const slapdDbBytes = slapdDir ? duBytes(join(slapdDir, 'db')) : null;
    if (pid === undefined) notes.add('slapd CPU time not measured (its process was not found in /proc)');
    progress(`[${entries}] slapd ${slapd.url} loaded in ${loadSeconds.toFixed(1)} s${slapdDbBytes !== null ? `, database ${(slapdDbBytes / 2 ** 20).toFixed(0)} MiB` : ''}`);

    const base = { ldapUrl: slapd.url, bindDn: slapd.rootDn, bindPassword: slapd.rootPassword, suffix: SUFFIX, pageSize: settings.pageSize };
    const scenarios: Scenario[] = [];
    const ran = (s: Scenario): Scenario => {
      scenarios.push(s);
      if (s.ok) {
        const c = s.child?.counters;
        progress(`[${entries}] ${s.name}: ${s.read} read in ${fmt(s.runSeconds, 1)} s (${fmt(s.rate)} /s${s.vsRaw !== null ? `, ${fmt(s.vsRaw, 2)} × raw` : ''}), wall ${fmt(s.wallSeconds, 1)} s, peak RSS ${fmt(s.maxRssMiB)} MiB${c ? `; created ${c.created}, updated ${c.updated}, unchanged ${c.unchanged}, disappeared ${c.disappeared}, quarantined ${c.quarantined}` : ''}`);
      } else progress(`[${entries}] ${s.name} FAILED: ${s.error}`);
      return s;
    };

    // 1. Raw read.
    let rawRate: number | null = null;
    for (let round = 1; round <= settings.rawRounds; round++) {
      progress(`[${entries}] raw read ${round}/${settings.rawRounds}`);
      const s = ran(scenarioOf(`raw read ${round}`, 'ldap', 'raw', await runChild(`${entries}-raw-${round}`, { kind: 'raw', ...base }, settings, pid), null));
      if (s.rate !== null) rawRate = Math.max(rawRate ?? 0, s.rate);
    }
    progress(`[${entries}] raw read of the import's attributes`);
    ran(scenarioOf('raw read, import\'s attributes', 'ldap', 'raw', await runChild(`${entries}-raw-attributes`, { kind: 'raw', attributes: 'import', ...base }, settings, pid), null));
    for (const s of scenarios) s.vsRaw = s.rate !== null && rawRate ? s.rate / rawRate : null;

    // 2–3. Full import, then the same again, per backend.
    const urls = new Map<Backend, string>();
    for (const backend of settings.backends) {
      let url: string;
      if (backend === 'sqlite') url = `sqlite:${join(root, 'hub.sqlite')}`;
      else {
        const db = await createTestDatabase();
        databases.add(db);
        url = db.url;
        const described = await describePostgres(url);
        notes.add(`postgres: ${described}`);
        if (described.endsWith('autovacuum off')) {
          notes.add('postgres: autovacuum is OFF on that server, so nothing ANALYZEs the tables a first import fills: the planner keeps the estimates of empty tables (sequential scans for the IN-list lookups and deletes of every batch), which makes a full import quadratic');
        }
      }
      urls.set(backend, url);
      const spec: ChildSpec = { kind: 'import', ...base, batchSize: settings.batchSize, databaseUrl: url, lockDir: join(root, 'locks'), mode: 'full' };
      progress(`[${entries}] ${backend}: full import`);
      const full = ran(scenarioOf(`${backend} full`, backend, 'full', await runChild(`${entries}-${backend}-full`, spec, settings, pid), rawRate));
      if (!full.ok) continue;
      progress(`[${entries}] ${backend}: full import again (unchanged)`);
      ran(scenarioOf(`${backend} re-run`, backend, 'rerun', await runChild(`${entries}-${backend}-rerun`, spec, settings, pid), rawRate));
    }

    // 4. Change 1 %, then a delta per backend.
    let change: SizeResult['change'] = null;
    const deltaBackends = settings.backends.filter((b) => scenarios.some((s) => s.backend === b && s.step === 'full' && s.ok));
    if (deltaBackends.length > 0) {
      await sleep(DELTA_WAIT_MS);
      progress(`[${entries}] ldapmodify: sn of ${data.changeDns.length} people`);
      const changing = performance.now();
      await slapd.add(changeLdif(data.changeDns));
      change = { entries: data.changeDns.length, seconds: seconds(changing), attribute: 'sn', since: null, stampedAtSince: null };
      const lastFull = scenarios.filter((s) => s.ok && (s.step === 'full' || s.step === 'rerun')).pop();
      change.since = lastFull?.child?.highWaterMark ?? null;
      if (change.since) change.stampedAtSince = await countStamped(slapd, change.since);
      for (const backend of deltaBackends) {
        progress(`[${entries}] ${backend}: delta import`);
        const spec: ChildSpec = { kind: 'import', ...base, batchSize: settings.batchSize, databaseUrl: urls.get(backend)!, lockDir: join(root, 'locks'), mode: 'delta' };
        ran(scenarioOf(`${backend} delta`, backend, 'delta', await runChild(`${entries}-${backend}-delta`, spec, settings, pid), rawRate));
      }
    }

    const result: SizeResult = {
      entries,
      directory: {
        persons: data.plan.persons, bad: data.plan.bad, structures: data.plan.structures, classes: data.plan.classes, groups: data.plan.groups,
        ldifEntries: data.plan.ldifEntries, ldifBytes, generateSeconds, loadSeconds, slapdDbBytes,
      },
      rawRate,
      scenarios,
      change,
      goals: [],
    };
    result.goals = goalsOf(result, settings);
    return result;
  } finally {
    for (const s of slapds) await s.stop().catch(() => undefined);
    slapds.clear();
    for (const d of databases) await d.drop().catch((e: unknown) => progress(`could not drop a benchmark database: ${String(e)}`));
    databases.clear();
    rmSync(root, { recursive: true, force: true });
    tempDirs.delete(root);
  }
}

/** Entries the import reads whose modifyTimestamp is exactly `stamp` (indexed equality search, no attributes). */
async function countStamped(slapd: Slapd, stamp: string): Promise<number> {
  const client = new Client({ url: slapd.url, connectTimeout: 10_000, timeout: 600_000 });
  await client.bind(slapd.rootDn, slapd.rootPassword);
  try {
    let count = 0;
    for await (const page of client.searchPaginated(SUFFIX, { scope: 'sub', filter: `(&(modifyTimestamp=${stamp})(|(objectClass=ENTPerson)(objectClass=ENTStructure)(objectClass=ENTClasse)(objectClass=ENTGroupe)))`, attributes: ['1.1'], paged: { pageSize: 1000 } })) {
      count += page.searchEntries.length;
    }
    return count;
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

async function describePostgres(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const setting = async (name: string) => ((await client.query<{ v: string }>(`select current_setting('${name}') as v`)).rows[0]?.v ?? '?');
    const where = new URL(url);
    return `${where.hostname}:${where.port || 5432} (${process.env.DATABASE_URL ? 'DATABASE_URL' : 'throwaway cluster'}), PostgreSQL ${await setting('server_version')}, fsync ${await setting('fsync')}, synchronous_commit ${await setting('synchronous_commit')}, shared_buffers ${await setting('shared_buffers')}, autovacuum ${await setting('autovacuum')}`;
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------
// Goals

function goalsOf(size: SizeResult, settings: Settings): Goal[] {
  const goals: Goal[] = [];
  const find = (backend: Backend, step: Step) => size.scenarios.find((s) => s.backend === backend && s.step === step);
  for (const backend of settings.backends) {
    const full = find(backend, 'full');
    goals.push({
      entries: size.entries, what: `${backend} full import rate / raw read rate`,
      value: full?.vsRaw != null ? full.vsRaw.toFixed(2) : full?.ok === false ? 'FAILED' : '—', target: `≥ ${GOAL_RATIO}`,
      met: full?.vsRaw != null ? full.vsRaw >= GOAL_RATIO : full ? false : null,
    });
    const rerun = find(backend, 'rerun');
    const rc = rerun?.child?.counters;
    goals.push({
      entries: size.entries, what: `${backend} re-run (unchanged) writes nothing`,
      value: rc ? `created ${rc.created}, updated ${rc.updated}, disappeared ${rc.disappeared}` : rerun?.ok === false ? 'FAILED' : '—', target: 'all 0',
      met: rc ? rc.created === 0 && rc.updated === 0 && rc.disappeared === 0 : rerun ? false : null,
    });
    const delta = find(backend, 'delta');
    const dc = delta?.child?.counters;
    goals.push({
      entries: size.entries, what: `${backend} delta (1 % changed): run time`,
      value: delta?.runSeconds != null ? `${delta.runSeconds.toFixed(1)} s (process ${delta.wallSeconds.toFixed(1)} s)` : delta?.ok === false ? 'FAILED' : '—',
      target: `< ${GOAL_DELTA_SECONDS} s (stated for 1M)`,
      met: delta?.runSeconds != null ? delta.runSeconds < GOAL_DELTA_SECONDS : delta ? false : null,
    });
    goals.push({
      entries: size.entries, what: `${backend} delta: updated = people changed`,
      value: dc ? `updated ${dc.updated} of ${size.change?.entries ?? '?'} (read ${dc.read}, created ${dc.created}, quarantined ${dc.quarantined})` : delta?.ok === false ? 'FAILED' : '—',
      target: `= ${size.change?.entries ?? '?'}`,
      met: dc && size.change ? dc.updated === size.change.entries && dc.created === 0 : delta ? false : null,
    });
  }
  return goals;
}

function scalingGoals(sizes: SizeResult[], settings: Settings): Goal[] {
  if (sizes.length < 2) return [];
  const sorted = [...sizes].sort((a, b) => a.entries - b.entries);
  const small = sorted[0]!;
  const large = sorted[sorted.length - 1]!;
  if (small.entries === large.entries) return [];
  const goals: Goal[] = [];
  for (const backend of settings.backends) {
    for (const step of ['full', 'rerun', 'delta'] as const) {
      const a = small.scenarios.find((s) => s.backend === backend && s.step === step)?.maxRssMiB;
      const b = large.scenarios.find((s) => s.backend === backend && s.step === step)?.maxRssMiB;
      const ratio = a != null && b != null ? b / a : null;
      goals.push({
        entries: null, what: `${backend} ${step === 'rerun' ? 're-run' : step} peak RSS at ${large.entries} / at ${small.entries}`,
        value: ratio !== null ? `${ratio.toFixed(2)} (${b!.toFixed(0)} / ${a!.toFixed(0)} MiB)` : '—',
        target: step === 'full' ? `≤ ${GOAL_RSS_GROWTH}` : `(≤ ${GOAL_RSS_GROWTH}, informative)`,
        met: step === 'full' ? (ratio === null ? null : ratio <= GOAL_RSS_GROWTH) : null,
      });
    }
  }
  return goals;
}

// ---------------------------------------------------------------------------------------------
// Output

interface Report {
  benchmark: string;
  settings: Omit<Settings, 'json'>;
  environment: { node: string; nproc: number; cpuModel: string; memoryGiB: number; loadAverageAtStart: number[]; slapd: string; git: string };
  notes: string[];
  sizes: SizeResult[];
  goals: Goal[];
  failures: string[];
}

function printReport(report: Report): void {
  const out: string[] = [];
  const e = report.environment;
  const s = report.settings;
  out.push('', 'ent-sso-hub LDAP import benchmark', '');
  out.push(`  machine   node ${e.node}, nproc ${e.nproc} (${e.cpuModel}), ${e.memoryGiB.toFixed(0)} GiB RAM, load average at start ${e.loadAverageAtStart.map((v) => v.toFixed(2)).join(' ')}`);
  out.push(`  code      ${e.git}`);
  out.push(`  slapd     ${e.slapd}, throwaway (back_mdb, dbnosync), suffix ${SUFFIX}, loaded with slapadd -q`);
  out.push(`  settings  page size ${s.pageSize}, batch size ${s.batchSize}, seed ${s.seed}, bad entries ${s.bad}, delta changes sn on ${(s.deltaShare * 100).toFixed(2)} % of the good people, raw read best of ${s.rawRounds}`);
  for (const note of report.notes) out.push(`  note      ${note}`);
  for (const size of report.sizes) {
    const d = size.directory;
    out.push('', `N = ${size.entries} people (+${d.bad} bad): ${d.ldifEntries} LDIF entries (${d.structures} structures, ${d.classes} classes, ${d.groups} groups), LDIF ${(d.ldifBytes / 2 ** 20).toFixed(0)} MiB generated in ${d.generateSeconds.toFixed(1)} s, slapadd + start ${d.loadSeconds.toFixed(1)} s${d.slapdDbBytes !== null ? `, slapd database ${(d.slapdDbBytes / 2 ** 20).toFixed(0)} MiB` : ''}`);
    const rows = [['scenario', 'read', 'created', 'updated', 'unchanged', 'disapp.', 'quarant.', 'run s', 'process s', 'entries/s', 'vs raw', 'peak RSS MiB', 'node CPU s', 'slapd CPU s', 'postgres CPU s']];
    const line = (x: Scenario) => {
      const c = x.child?.counters;
      rows.push([
        x.name, fmt(x.read), c ? String(c.created) : '', c ? String(c.updated) : '', c ? String(c.unchanged) : '', c ? String(c.disappeared) : '', c ? String(c.quarantined) : '',
        x.ok ? fmt(x.runSeconds, 2) : 'FAILED', fmt(x.wallSeconds, 1), fmt(x.rate), fmt(x.vsRaw, 2), fmt(x.maxRssMiB), fmt(x.nodeCpuSeconds, 2), fmt(x.slapdCpuSeconds, 2), fmt(x.postgresCpuSeconds, 2),
      ]);
    };
    for (const x of size.scenarios.filter((x) => x.step !== 'delta')) line(x);
    if (size.change) rows.push([`(ldapmodify ${size.change.entries} × sn)`, '', '', String(size.change.entries), '', '', '', fmt(size.change.seconds, 2), '', fmt(size.change.entries / size.change.seconds), '', '', '', '']);
    for (const x of size.scenarios.filter((x) => x.step === 'delta')) line(x);
    out.push(table(rows, [false, ...Array<boolean>(13).fill(true)]).replace(/^/gm, '  '));
    const phased = size.scenarios.filter((x) => x.child?.phases);
    if (phased.length) {
      out.push('', '  import phases (seconds each; "finish" = relations, disappeared and run record after the last batch; RSS = highest sampled every 100 ms)');
      const phaseRows = [['scenario', 'open store', 'structures', 'groups', 'people', 'finish', 'run', 'RSS MiB: people', 'finish']];
      for (const x of phased) {
        const p = x.child!.phases!;
        const people = p.people !== null && p.groups !== null ? p.people - p.groups : null;
        phaseRows.push([x.name, fmt(x.child!.openSeconds, 2), fmt(p.structures, 2), fmt(p.groups !== null && p.structures !== null ? p.groups - p.structures : null, 2), fmt(people, 2), fmt(p.people !== null && x.runSeconds !== null ? x.runSeconds - p.people : null, 2), fmt(x.runSeconds, 2), fmt(p.rssPeakMiB?.people), fmt(p.rssPeakMiB?.finish)]);
      }
      out.push(table(phaseRows, [false, true, true, true, true, true, true, true, true]).replace(/^/gm, '  '));
    }
    const reasons = size.scenarios.filter((x) => x.child && Object.keys(x.child.quarantinedReasons).length);
    for (const x of reasons) out.push(`  quarantined in ${x.name}: ${Object.entries(x.child!.quarantinedReasons).map(([r, n]) => `${n}× ${r}`).join('; ')}`);
    for (const x of size.scenarios) for (const w of x.child?.warnings ?? []) out.push(`  warning in ${x.name}: ${w}`);
    const ch = size.change;
    const deltaRead = Math.max(...size.scenarios.filter((x) => x.step === 'delta' && x.read !== null).map((x) => x.read!));
    if (ch && ch.since && ch.stampedAtSince !== null && deltaRead > 2 * ch.entries) {
      out.push(`  delta read ${deltaRead} entries for ${ch.entries} changed. It starts at ${ch.since}, the newest modifyTimestamp the previous run saw`,
        `  (one-second resolution), and ${ch.stampedAtSince} other entries carry that very second (slapadd -q stamped them in its last second):`,
        `  a delta that searches modifyTimestamp >= the mark reads them again and finds them unchanged (${ch.entries} + ${ch.stampedAtSince} = ${ch.entries + ch.stampedAtSince}).`);
    }
  }
  out.push('', 'Goals');
  const goalRows = [['N', 'goal', 'value', 'target', '']];
  for (const g of report.goals) goalRows.push([g.entries === null ? 'all' : String(g.entries), g.what, g.value, g.target, g.met === null ? '' : g.met ? 'MET' : 'MISSED']);
  out.push(table(goalRows, [true, false, false, false, false]).replace(/^/gm, '  '));
  if (report.failures.length) out.push('', 'Failures', ...report.failures.map((f) => f.replace(/^/gm, '  ')));
  out.push('');
  process.stdout.write(`${out.join('\n')}\n`);
}

// ---------------------------------------------------------------------------------------------

/**
 * A fingerprint of src/ as the children will load it (HEAD, uncommitted changes, new files):
 * every child compiles src/ afresh, so an edit made during a long run changes what the later
 * scenarios measure; the report says when that happened.
 */
function srcFingerprint(): string {
  const git = (...args: string[]) => spawnSync('git', args, { cwd: PROJECT_ROOT, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }).stdout ?? '';
  const hash = createHash('sha1').update(git('rev-parse', 'HEAD')).update(git('diff', 'HEAD', '--', 'src'));
  for (const file of git('ls-files', '--others', '--exclude-standard', '--', 'src').split('\n').filter(Boolean)) {
    try {
      hash.update(file).update(readFileSync(join(PROJECT_ROOT, file)));
    } catch {
      // removed meanwhile
    }
  }
  return hash.digest('hex').slice(0, 12);
}

let srcAtStart: string | undefined;
const srcChangedBefore: string[] = [];

/** The code measured: HEAD and the files of src/ changed since (others edit it meanwhile). */
function gitState(): string {
  const git = (...args: string[]) => spawnSync('git', args, { cwd: PROJECT_ROOT, encoding: 'utf8' }).stdout?.trim() ?? '';
  const head = git('rev-parse', '--short', 'HEAD') || 'unknown';
  const changed = git('status', '--porcelain', '--', 'src').split('\n').filter(Boolean).length;
  return changed ? `${head} + ${changed} changed file(s) in src/` : head;
}

function slapdVersion(): string {
  // `slapd -VV` prints its version on stderr.
  const out = spawnSync('/usr/sbin/slapd', ['-VV'], { encoding: 'utf8' });
  return /slapd (\d[^ ]*)/.exec(`${out.stdout ?? ''}${out.stderr ?? ''}`)?.[1] ?? '(version unknown)';
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (printHelpIfAsked(argv, import.meta.url)) return 0;
  const settings = readSettings(argv);
  const loadAverageAtStart = loadavg();
  const notes = new Set<string>([
    'rates are entries read (structures + groups + people) per second of the timed part in the child: the paged search (raw) or runImport (imports); "process s" adds node start, tsx and opening the store (migrations)',
    'peak RSS is the child\'s process.resourceUsage().maxRSS (the tsx loader thread and the import\'s LDAP reader worker included); node CPU is the child\'s user + system time, slapd CPU and postgres CPU (every local postgres process, ended backends included; other work of that server in the meantime too) are read from /proc around each child',
  ]);
  const sizes: SizeResult[] = [];
  const failures: string[] = [];
  for (const entries of settings.sizes) {
    const size = await runSize(entries, settings, notes);
    sizes.push(size);
    for (const s of size.scenarios) if (s.error) failures.push(`[${entries}] ${s.error}`);
  }
  if (srcChangedBefore.length) notes.add(`src/ CHANGED during the run (first seen before ${srcChangedBefore[0]}): the scenarios from there on measured other code than the earlier ones`);
  const report: Report = {
    benchmark: 'LDAP import (SDET) from a throwaway slapd: raw paged read vs full, re-run and delta imports into SQLite and PostgreSQL',
    settings: { sizes: settings.sizes, backends: settings.backends, rawRounds: settings.rawRounds, pageSize: settings.pageSize, batchSize: settings.batchSize, seed: settings.seed, bad: settings.bad, deltaShare: settings.deltaShare, cpuProfDir: settings.cpuProfDir },
    environment: { node: process.version, nproc: availableParallelism(), cpuModel: cpus()[0]?.model.trim() ?? 'unknown', memoryGiB: totalmem() / 2 ** 30, loadAverageAtStart, slapd: `OpenLDAP slapd ${slapdVersion()}`, git: gitState() },
    notes: [...notes],
    sizes,
    goals: [...sizes.flatMap((s) => s.goals), ...scalingGoals(sizes, settings)],
    failures,
  };
  if (settings.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else printReport(report);
  return failures.length ? 1 : 0;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    progress(`${signal}: stopping slapd and the children, dropping the databases`);
    // Synchronously first (tsx's CLI may SIGKILL this process soon after relaying the signal);
    // slapd's own exit hook kills it and removes its folder in any case.
    for (const child of children) child.kill('SIGKILL');
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
    void cleanUp().finally(() => process.exit(130));
  });
}

main().then(
  async (code) => {
    await cleanUp();
    process.exitCode = code;
  },
  async (err: unknown) => {
    progress(`benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    await cleanUp();
    process.exitCode = 2;
  },
);
