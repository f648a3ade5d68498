/**
 * `npm run bench`: every scenario, then ONE table where each figure of the hub stands next to
 * its baseline measured in the same run: scenario | hub | baseline | ratio | goal | met?
 *
 * Each scenario is one of the single-scenario benchmarks (`npm run bench:<name>`), run here as a
 * child process with `--json` and the smaller settings below, so that a scenario that fails or
 * hangs costs its own rows only (marked FAILED, with the reason) and never the table. Progress
 * goes to stderr; the table to stdout, to artifacts/bench.json and to artifacts/bench.md (the
 * form docs/PERFORMANCE.md quotes).
 *
 *   token      bench/run.ts        token endpoint, client_credentials: hub vs bare oidc-provider,
 *                                  with and without request logs, CPU µs per request and req/s
 *   refresh    bench/run.ts        the same for the refresh_token grant (BENCH_GRANT=refresh_token)
 *   login      bench/login.ts      full browser-less login (argon2id) vs raw argon2 verifications
 *   saml       bench/saml.ts       SAML: the SP's ACS and the IdP's responses vs the crypto floor
 *   import     bench/import.ts     LDAP import vs a raw paged read (BENCH_IMPORT_ENTRIES, 20000 here)
 *   gar        bench/gar.ts        GAR export vs a raw read of the same rows (BENCH_GAR_SIZES, 50000 here)
 *   search     bench/search.ts     account search p95 (--accounts 200000 --runs 50 here; 1M by itself)
 *   cluster    bench/run.ts        token endpoint, 3 hub nodes vs 1 behind the round-robin proxy
 *
 *   BENCH_ONLY=token,saml   runs only these scenarios (the table says which were left out)
 *   any setting of a single benchmark (BENCH_SECONDS, BENCH_IMPORT_ENTRIES…) passes through
 *   DATABASE_URL, REDIS_URL as for the tests (PostgreSQL and Redis of the machine)
 *
 * Exit status: 0 when every scenario ran (goals missed or not), 1 when one failed.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { PROJECT_ROOT } from '../src/config/load.js';
import { printHelpIfAsked, table } from './format.js';

/** One line of the table. `hub` and `baseline` are formatted figures with their unit. */
interface BenchRow {
  scenario: string;
  hub: string;
  baseline: string;
  /** hub ÷ baseline, oriented so that higher is better (for costs: baseline ÷ hub). */
  ratio: number | null;
  goal: string;
  met: boolean | null;
  /** Why a row has no figure (a failed scenario), or what the figure means. */
  note?: string;
}

interface Scenario {
  name: string;
  script: string;
  args: string[];
  /** The table's smaller defaults: the same variable set in the environment wins. */
  env: Record<string, string>;
  /** What makes the scenario what it is (a grant, the cluster): always set. */
  forced?: Record<string, string>;
  /** Rows of the table from the benchmark's `--json` report. */
  rows(report: never): BenchRow[];
  /** The table's rows when the scenario failed: the same scenarios, no figures. */
  labels: string[];
  timeoutMinutes: number;
}

const T0 = performance.now();
const progress = (line: string): void => void process.stderr.write(`[${((performance.now() - T0) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);

const num = (value: number, digits = 0): string => value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const atLeast = (ratio: number | null, goal: number): boolean | null => (ratio === null ? null : ratio >= goal);
const ratioOf = (a: number | null | undefined, b: number | null | undefined): number | null => (a && b ? a / b : null);

// ---------------------------------------------------------------------------------------------
// The reports of the single benchmarks (only what the table reads)

interface TokenServer { server: string; valid: boolean; medianRate: number | null; medianServerCpuUsPerReq: number | null; cpuUsPerReqRange?: [number, number] }
interface TokenReport { grant?: string; servers: TokenServer[] }

function cpuFigure(server: TokenServer): string {
  const range = server.cpuUsPerReqRange;
  return `${num(server.medianServerCpuUsPerReq ?? 0)} µs CPU/req${range ? ` (${num(range[0])}–${num(range[1])})` : ''}`;
}

function tokenRows(label: string, report: TokenReport, hubName: string, baseName: string, cpuGoal: number | null, rateGoal: number | null): BenchRow[] {
  const hub = report.servers.find((s) => s.server === hubName);
  const base = report.servers.find((s) => s.server === baseName);
  if (!hub || !base) return [];
  const invalid = !hub.valid || !base.valid ? 'INVALID: a server answered other than 200 (see the log above)' : undefined;
  const cpuRatio = invalid ? null : ratioOf(base.medianServerCpuUsPerReq, hub.medianServerCpuUsPerReq);
  const rateRatio = invalid ? null : ratioOf(hub.medianRate, base.medianRate);
  return [
    { scenario: `${label}, CPU per request`, hub: cpuFigure(hub), baseline: cpuFigure(base), ratio: cpuRatio, goal: cpuGoal === null ? '—' : `≥ ${cpuGoal}`, met: cpuGoal === null ? null : atLeast(cpuRatio, cpuGoal), note: invalid },
    { scenario: `${label}, throughput`, hub: `${num(hub.medianRate ?? 0)} req/s`, baseline: `${num(base.medianRate ?? 0)} req/s`, ratio: rateRatio, goal: rateGoal === null ? '—' : `≥ ${rateGoal}`, met: rateGoal === null ? null : atLeast(rateRatio, rateGoal), note: invalid },
  ];
}

interface SamlReport { summaries: { name: string; medianRate: number | null; medianCpuUsPerOp: number | null; error: string | null }[] }

function samlRows(report: SamlReport): BenchRow[] {
  const of = (name: string) => report.summaries.find((s) => s.name === name);
  const row = (scenario: string, hubName: string, baseName: string, goal: number | null, opsPerBase = 1): BenchRow => {
    const hub = of(hubName);
    const base = of(baseName);
    const failed = hub?.error ?? base?.error ?? undefined;
    const baseRate = base?.medianRate ? base.medianRate / opsPerBase : null;
    const ratio = failed ? null : ratioOf(hub?.medianRate, baseRate);
    return {
      scenario,
      hub: `${num(hub?.medianRate ?? 0)} /s (${num(hub?.medianCpuUsPerOp ?? 0)} µs CPU)`,
      baseline: `${num(baseRate ?? 0)} /s`,
      ratio,
      goal: goal === null ? '—' : `≥ ${goal}`,
      met: goal === null ? null : atLeast(ratio, goal),
      note: failed,
    };
  };
  return [
    row('SAML SP: ACS checks a signed + encrypted response (vs crypto floor)', 'hub', 'baseline', null),
    // The floor's op is one signature; a response carries two (assertion and Response).
    row('SAML IdP: signed response (vs crypto floor)', 'idp-signed', 'idp-floor', 0.5),
    row('SAML IdP: signed + encrypted response (vs crypto floor)', 'idp-encrypted', 'idp-floor', 0.5),
  ];
}

interface ImportScenario { name: string; backend: string; step: string; ok: boolean; error: string | null; rate: number | null }
interface ImportReport { sizes: { entries: number; rawRate: number; scenarios: ImportScenario[] }[] }

function importRows(report: ImportReport): BenchRow[] {
  return report.sizes.flatMap((size) => ['sqlite', 'postgres'].flatMap((backend) => {
    const full = size.scenarios.find((s) => s.backend === backend && s.step === 'full');
    if (!full) return [];
    const ratio = full.ok ? ratioOf(full.rate, size.rawRate) : null;
    return [{
      scenario: `LDAP import, ${num(size.entries)} people, ${backend === 'sqlite' ? 'SQLite' : 'PostgreSQL'} (vs raw paged read)`,
      hub: `${num(full.rate ?? 0)} entries/s`,
      baseline: `${num(size.rawRate)} entries/s`,
      ratio,
      goal: '≥ 0.5',
      met: atLeast(ratio, 0.5),
      note: full.error ?? undefined,
    }];
  }));
}

interface GarReport { people: number; raw: { records: number; seconds: number }; export: { records: number; seconds: number; peakRssMiB: number } }

function garRows(report: GarReport[]): BenchRow[] {
  return report.map((size) => {
    const exportRate = size.export.records / size.export.seconds;
    const rawRate = size.raw.records / size.raw.seconds;
    return {
      scenario: `GAR export, ${num(size.people)} people, SQLite (vs raw read of the rows)`,
      hub: `${num(exportRate)} records/s`,
      baseline: `${num(rawRate)} records/s`,
      ratio: exportRate / rawRate,
      goal: '—',
      met: null,
      note: `XML mapped, written and validated against the XSD; peak RSS ${num(size.export.peakRssMiB)} MiB`,
    };
  });
}

interface SearchRow { kind: string; p95: number; ratio: number | null }
interface SearchReport { accounts: number; results: { engine: string; rows: SearchRow[] }[] }

function searchRows(report: SearchReport): BenchRow[] {
  return report.results.map(({ engine, rows }) => {
    const baseline = rows.find((r) => r.ratio === null);
    const kinds = rows.filter((r) => r.ratio !== null);
    const worst = kinds.reduce((a, b) => (b.p95 > a.p95 ? b : a));
    return {
      scenario: `account search, ${num(report.accounts)} accounts, ${engine === 'sqlite' ? 'SQLite' : 'PostgreSQL'}: worst p95 of ${kinds.length} kinds (${worst.kind})`,
      hub: `${num(worst.p95, 1)} ms`,
      baseline: `${num(baseline?.p95 ?? 0, 2)} ms (by id)`,
      ratio: null,
      goal: 'p95 < 100 ms',
      met: kinds.every((r) => r.p95 < 100),
    };
  });
}

interface LoginReport { concurrency: number; hub: { rate: number; cpuMsPerLogin: number | null }; argon2: { rate: number }; params: string }

function loginRows(report: LoginReport): BenchRow[] {
  const ratio = ratioOf(report.hub.rate, report.argon2.rate);
  return [{
    scenario: `full login, argon2id (authorize → form → code → token), ${report.concurrency} at a time (vs argon2 verify/s)`,
    hub: `${num(report.hub.rate, 1)} logins/s`,
    baseline: `${num(report.argon2.rate, 1)} verify/s (${report.params})`,
    ratio,
    goal: '—',
    met: null,
    note: `${num(report.hub.cpuMsPerLogin ?? 0, 1)} ms CPU per login, the hub and its client in one process`,
  }];
}

// ---------------------------------------------------------------------------------------------
// The scenarios

const tokenLabel = 'token endpoint, client_credentials';
const SCENARIOS: Scenario[] = [
  {
    name: 'token', script: 'run.ts', args: ['--json'], env: {}, forced: { BENCH_LOG_ROUND: '1', BENCH_GRANT: 'client_credentials', BENCH_CLUSTER: '0' }, timeoutMinutes: 8,
    rows: (r: TokenReport) => [
      ...tokenRows(`${tokenLabel} (hub vs bare oidc-provider)`, r, 'hub', 'bare', 0.95, null),
      ...tokenRows(`${tokenLabel}, request logs on`, r, 'hub+log', 'bare', 0.9, null),
    ],
    labels: [`${tokenLabel} (hub vs bare oidc-provider)`, `${tokenLabel}, request logs on`],
  },
  {
    name: 'refresh', script: 'run.ts', args: ['--json'], env: {}, forced: { BENCH_GRANT: 'refresh_token', BENCH_LOG_ROUND: '0', BENCH_CLUSTER: '0' }, timeoutMinutes: 6,
    rows: (r: TokenReport) => tokenRows('token endpoint, refresh_token grant (rotation) (hub vs bare)', r, 'hub', 'bare', null, null),
    labels: ['token endpoint, refresh_token grant'],
  },
  {
    name: 'login', script: 'login.ts', args: ['--json'], env: {}, timeoutMinutes: 5,
    rows: loginRows as Scenario['rows'], labels: ['full login with argon2id'],
  },
  {
    name: 'saml', script: 'saml.ts', args: ['--json'], env: {}, timeoutMinutes: 5,
    rows: samlRows as Scenario['rows'], labels: ['SAML SP ACS and IdP responses'],
  },
  {
    name: 'import', script: 'import.ts', args: ['--json'], env: { BENCH_IMPORT_ENTRIES: '20000', BENCH_IMPORT_RAW_ROUNDS: '2' }, timeoutMinutes: 10,
    rows: importRows as Scenario['rows'], labels: ['LDAP import'],
  },
  {
    name: 'gar', script: 'gar.ts', args: ['--json'], env: { BENCH_GAR_SIZES: '50000' }, timeoutMinutes: 6,
    rows: garRows as Scenario['rows'], labels: ['GAR export'],
  },
  {
    name: 'search', script: 'search.ts', args: ['--json', '--accounts', '200000', '--runs', '50'], env: {}, timeoutMinutes: 10,
    rows: searchRows as Scenario['rows'], labels: ['account search p95'],
  },
  {
    name: 'cluster', script: 'run.ts', args: ['--json'], env: {}, forced: { BENCH_CLUSTER: '1', BENCH_LOG_ROUND: '0', BENCH_GRANT: 'client_credentials' }, timeoutMinutes: 8,
    rows: (r: TokenReport) => tokenRows('token endpoint, 3 hub nodes vs 1 (PostgreSQL + Redis, round-robin proxy, 2 cores)', r, 'hub×3', 'hub×1', null, null),
    labels: ['token endpoint, 3 nodes vs 1'],
  },
];

// ---------------------------------------------------------------------------------------------

interface Outcome { scenario: string; seconds: number; error: string | null; rows: BenchRow[] }

/** Runs one benchmark child; its stderr is relayed as progress, its stdout is the JSON report. */
function runChild(scenario: Scenario): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'bench', scenario.script), ...scenario.args], {
      cwd: PROJECT_ROOT,
      env: { ...scenario.env, ...process.env, ...scenario.forced },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    const tail: string[] = [];
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => void (stdout += chunk));
    createInterface({ input: child.stderr }).on('line', (line) => {
      tail.push(line);
      if (tail.length > 5) tail.shift();
      process.stderr.write(`  ${scenario.name} | ${line}\n`);
    });
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    }, scenario.timeoutMinutes * 60_000);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      try {
        const report: unknown = JSON.parse(stdout);
        if (code === 0 || code === 1) return resolve(report); // 1: measured, with an invalid result that the rows show
      } catch {
        // no report: the reason is in the last lines of its log
      }
      const why = signal ? `stopped (${signal}${signal === 'SIGTERM' ? `, over ${scenario.timeoutMinutes} min` : ''})` : `exit status ${code}`;
      reject(new Error(`${why}: ${tail.filter(Boolean).slice(-2).join(' / ') || 'no output'}`));
    });
  });
}

async function runScenario(scenario: Scenario): Promise<Outcome> {
  const started = performance.now();
  const env = Object.entries({ ...scenario.env, ...scenario.forced }).map(([k, v]) => `${k}=${v} `).join('');
  progress(`${scenario.name}: ${env}npx tsx bench/${scenario.script} ${scenario.args.join(' ')}`);
  try {
    const report = await runChild(scenario);
    const rows = scenario.rows(report as never);
    return { scenario: scenario.name, seconds: (performance.now() - started) / 1000, error: null, rows };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    progress(`${scenario.name}: FAILED: ${error}`);
    const rows = scenario.labels.map((label) => ({ scenario: label, hub: '—', baseline: '—', ratio: null, goal: '—', met: null, note: `FAILED: ${error}` }));
    return { scenario: scenario.name, seconds: (performance.now() - started) / 1000, error, rows };
  }
}

const metText = (met: boolean | null): string => (met === null ? '' : met ? 'yes' : 'NO');

function textTable(outcomes: Outcome[]): string {
  const rows = outcomes.flatMap((o) => o.rows);
  const body = rows.map((r) => [r.scenario, r.hub, r.baseline, r.ratio === null ? '—' : r.ratio.toFixed(2), r.goal, metText(r.met)]);
  const notes = rows.flatMap((r, i) => (r.note ? [`  [${i + 1}] ${r.note}`] : []));
  const numbered = body.map((cells, i) => [String(i + 1), ...cells]);
  return [table([['#', 'scenario', 'hub', 'baseline', 'ratio', 'goal', 'met?'], ...numbered], [true, false, true, true, true, false, false]), ...(notes.length ? ['', 'notes', ...notes] : [])].join('\n');
}

function markdownTable(outcomes: Outcome[]): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  const lines = ['| scenario | hub | baseline | ratio | goal | met? |', '| --- | ---: | ---: | ---: | --- | --- |'];
  for (const r of outcomes.flatMap((o) => o.rows)) {
    lines.push(`| ${cell(r.scenario)}${r.note ? ` (${cell(r.note)})` : ''} | ${cell(r.hub)} | ${cell(r.baseline)} | ${r.ratio === null ? '—' : r.ratio.toFixed(2)} | ${cell(r.goal)} | ${metText(r.met)} |`);
  }
  return lines.join('\n');
}

async function main(): Promise<number> {
  if (printHelpIfAsked(process.argv.slice(2), import.meta.url)) return 0;
  const only = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',').map((s) => s.trim())) : undefined;
  const unknown = [...(only ?? [])].filter((name) => !SCENARIOS.some((s) => s.name === name));
  if (unknown.length) throw new Error(`BENCH_ONLY: unknown scenario ${unknown.join(', ')} (known: ${SCENARIOS.map((s) => s.name).join(', ')})`);
  const chosen = SCENARIOS.filter((s) => !only || only.has(s.name));
  const loadAtStart = loadavg();
  const outcomes: Outcome[] = [];
  for (const scenario of chosen) outcomes.push(await runScenario(scenario));

  const environment = { node: process.version, cpus: availableParallelism(), cpuModel: cpus()[0]?.model.trim() ?? 'unknown', loadAverageAtStart: loadAtStart, loadAverageAtEnd: loadavg() };
  const left = SCENARIOS.filter((s) => !chosen.includes(s)).map((s) => s.name);
  const header = [
    `ent-sso-hub benchmarks, ${new Date().toISOString()}: node ${environment.node}, ${environment.cpus} CPUs (${environment.cpuModel}), load average ${loadAtStart.map((l) => l.toFixed(1)).join(' ')} → ${environment.loadAverageAtEnd.map((l) => l.toFixed(1)).join(' ')}`,
    `ratio: higher is better (a cost: baseline ÷ hub; a rate: hub ÷ baseline); scenario times: ${outcomes.map((o) => `${o.scenario} ${o.seconds.toFixed(0)} s`).join(', ')}${left.length ? `; left out: ${left.join(', ')}` : ''}`,
  ];
  const text = [...header, '', textTable(outcomes)].join('\n');
  process.stdout.write(`\n${text}\n`);

  const dir = join(PROJECT_ROOT, 'artifacts');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'bench.json'), `${JSON.stringify({ environment, outcomes }, null, 2)}\n`);
  writeFileSync(join(dir, 'bench.md'), `${header.join('  \n')}\n\n${markdownTable(outcomes)}\n`);
  progress('written: artifacts/bench.json, artifacts/bench.md');
  return outcomes.some((o) => o.error) ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    progress(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 2;
  },
);
