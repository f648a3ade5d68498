/**
 * `npm run bench`: token endpoint throughput, the hub versus a bare oidc-provider.
 *
 * Both serve `POST /token` with grant_type=client_credentials, client_secret_basic, one
 * resource indicator and an ES256 JWT access token, with the same key set and the same client.
 * Each server runs in its own child process; autocannon (the load generator) runs here. After
 * a warm-up of each, rounds alternate between the servers and the median of each is compared.
 *
 *   BENCH_SECONDS      seconds per round (8)
 *   BENCH_ROUNDS       rounds per server (3)
 *   BENCH_WARMUP       warm-up seconds per server (10: until V8 has optimized the request path, the
 *                      hub's CPU per request is up to twice its settled figure on a loaded machine)
 *   BENCH_CONNECTIONS  concurrent connections (10)
 *   BENCH_LOG_ROUND    1 (default) also measures the hub with request logging on (level info,
 *                      stdout to /dev/null); 0 skips it
 *   BENCH_CLUSTER      1 measures 3 hub nodes against 1 instead (one PostgreSQL database, created on
 *                      DATABASE_URL's server and dropped after, one Redis prefix), each behind
 *                      testing/harness/round-robin-proxy.ts running in this process
 *   BENCH_PIN          1 pins the servers to CPU 1 and this process to CPU 0 (taskset)
 *   BENCH_CPU_PROF     a folder: the server children run with --cpu-prof and write their profiles
 *                      in <folder>/<server>/ (summarize one with `npx tsx bench/cpuprofile-summary.ts <file>`)
 *   REDIS_URL          Redis for the hub (redis://127.0.0.1:6379)
 *
 *   --json             machine-readable results on stdout (progress still goes to stderr)
 *
 * Exit status: 0 when every response was a 200, 1 otherwise (errors are printed; no rate is
 * reported as valid for a server that answered anything else), 2 on a setup failure.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import autocannon, { type Result } from 'autocannon';
import { PROJECT_ROOT } from '../src/config/load.js';
import { generateKeys } from '../src/oidc/keys.js';
import { envNumber, fmt, median, printHelpIfAsked, table } from './format.js';
import { REFRESH_SCOPE, type ServerSpec } from './servers/common.js';
import { createTestDatabase } from '../testing/harness/postgres.js';
import { startRoundRobinProxy } from '../testing/harness/round-robin-proxy.js';

// ---------------------------------------------------------------------------------------------
// Settings

const GOAL = 0.85;
const CLIENT_ID = 'bench-api';
const CLIENT_SECRET = randomBytes(24).toString('base64url');
const SCOPE = 'timetable.read';
const RESOURCE = 'https://api.bench.example/';

interface Settings {
  seconds: number;
  rounds: number;
  warmupSeconds: number;
  connections: number;
  logRound: boolean;
  cluster: boolean;
  grant: 'client_credentials' | 'refresh_token';
  pin: boolean;
  cpuProfDir: string | undefined;
  redisUrl: string;
  json: boolean;
}

function grantOf(value: string | undefined): Settings['grant'] {
  if (!value) return 'client_credentials';
  if (value === 'client_credentials' || value === 'refresh_token') return value;
  throw new Error(`BENCH_GRANT must be client_credentials or refresh_token (got "${value}")`);
}

function readSettings(argv: string[]): Settings {
  return {
    seconds: envNumber('BENCH_SECONDS', 8, 1),
    rounds: Math.floor(envNumber('BENCH_ROUNDS', 3, 1)),
    warmupSeconds: envNumber('BENCH_WARMUP', 10, 0),
    connections: Math.floor(envNumber('BENCH_CONNECTIONS', 10, 1)),
    logRound: process.env.BENCH_LOG_ROUND !== '0' && process.env.BENCH_CLUSTER !== '1',
    cluster: process.env.BENCH_CLUSTER === '1',
    grant: grantOf(process.env.BENCH_GRANT),
    pin: process.env.BENCH_PIN === '1',
    cpuProfDir: process.env.BENCH_CPU_PROF || undefined,
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    json: argv.includes('--json'),
  };
}

const progress = (line: string): void => void process.stderr.write(`${line}\n`);

// ---------------------------------------------------------------------------------------------
// Server children

type ServerName = 'bare' | 'hub' | 'hub+log' | 'hub×1' | 'hub×3';
type ChildName = 'bare' | 'hub' | 'hub+log' | `node${number}`;

interface Server {
  name: ChildName;
  child: ChildProcess;
  url: string;
  exited: boolean;
  /** Waiting for the answer of the CPU probe (servers/common.ts). */
  cpuWaiters: ((micros: number) => void)[];
  /** Waiting for refresh tokens (servers/common.ts): the tokens, or why not. */
  refreshWaiters: ((tokens: string[] | Error) => void)[];
}

/** `count` refresh tokens minted by the server for the bench's client (its own models and storage). */
function mintRefreshTokens(server: Server, count: number): Promise<string[]> {
  return new Promise<string[]>((resolve, reject) => {
    server.refreshWaiters.push((tokens) => (tokens instanceof Error ? reject(tokens) : resolve(tokens)));
    server.child.stdin?.write(`refresh ${count}\n`);
  });
}

/** The server's own CPU time (user + system, all threads, process.cpuUsage() in the child), µs. */
function serverCpuMicros(server: Server): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${server.name}: no answer to the CPU probe`)), 10_000);
    server.cpuWaiters.push((micros) => {
      clearTimeout(timer);
      resolve(micros);
    });
    server.child.stdin?.write('cpu\n');
  });
}

const children: Server[] = [];
/** Temp folder of the run (keys, databases), removed at the end or on interruption. */
let runDir: string | undefined;

/** The cluster's nodes share one PostgreSQL database and one Redis key prefix. */
const CLUSTER_PREFIX = `bench:${randomBytes(4).toString('hex')}:`;

function serverSpec(name: ChildName, root: string, settings: Settings, databaseUrl?: string): ServerSpec {
  const base = { keysDir: join(root, 'keys'), clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, scope: SCOPE, resource: RESOURCE, grant: settings.grant };
  if (name === 'bare') return base;
  const dataDir = join(root, name.replace('+', '-'));
  mkdirSync(dataDir, { recursive: true });
  return {
    ...base,
    dataDir,
    ...(databaseUrl ? { databaseUrl } : {}),
    redisUrl: settings.redisUrl,
    keyPrefix: databaseUrl ? CLUSTER_PREFIX : `bench:${randomBytes(4).toString('hex')}:`,
    logLevel: name === 'hub' ? 'silent' : 'info',
    // With logs on, stdout carries the request log (to /dev/null) and READY comes on stderr.
    readyFd: name === 'hub' ? 1 : 2,
  };
}

async function startServer(name: ChildName, root: string, settings: Settings, databaseUrl?: string): Promise<Server> {
  const spec = serverSpec(name, root, settings, databaseUrl);
  const script = join(PROJECT_ROOT, 'bench', 'servers', name === 'bare' ? 'bare.ts' : 'hub.ts');
  const nodeArgs = ['--import', 'tsx'];
  // One folder per server: Node writes a profile per thread (tsx's loader runs in its own), the
  // request path is in the largest one.
  if (settings.cpuProfDir) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${join(settings.cpuProfDir, name.replace('+', '-'))}`);
  const [command, args] = settings.pin ? ['taskset', ['-c', '1', process.execPath, ...nodeArgs, script]] : [process.execPath, [...nodeArgs, script]];
  const devNull = spec.readyFd === 2 ? openSync('/dev/null', 'w') : undefined;
  const child = spawn(command, args as string[], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, BENCH_SPEC: JSON.stringify(spec) },
    stdio: ['pipe', devNull ?? 'pipe', 'pipe'],
  });
  if (devNull !== undefined) closeSync(devNull);
  const server: Server = { name, child, url: '', exited: false, cpuWaiters: [], refreshWaiters: [] };
  children.push(server);

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name}: not ready after 60 s`)), 60_000);
    const onLine = (line: string) => {
      const ready = /^READY (\d+)$/.exec(line.trim());
      const cpu = /^CPU (\d+)$/.exec(line.trim());
      if (cpu) {
        server.cpuWaiters.shift()?.(Number(cpu[1]));
      } else if (line.startsWith('REFRESH ')) {
        server.refreshWaiters.shift()?.(JSON.parse(line.slice('REFRESH '.length)) as string[]);
      } else if (line.startsWith('REFRESH-FAILED ')) {
        server.refreshWaiters.shift()?.(new Error(`${name}: cannot mint refresh tokens: ${line.slice('REFRESH-FAILED '.length)}`));
      } else if (ready) {
        clearTimeout(timer);
        resolve(Number(ready[1]));
      } else if (line.trim()) {
        progress(`  [${name}] ${line}`);
      }
    };
    for (const stream of [child.stdout, child.stderr]) if (stream) createInterface({ input: stream }).on('line', onLine);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${name}: ${err.message}`));
    });
    child.once('exit', (code, signal) => {
      server.exited = true;
      clearTimeout(timer);
      reject(new Error(`${name}: exited before it was ready (${signal ?? `code ${code}`})`));
    });
  });
  server.url = `http://127.0.0.1:${port}`;
  return server;
}

/** What the load is sent to: one server, or the cluster's proxy and the nodes behind it. */
interface Target {
  name: ServerName;
  url: string;
  nodes: Server[];
  /** refresh_token grant: the current refresh token of each connection (each use replaces it). */
  chains?: string[];
}

const single = (server: Server): Target => ({ name: server.name as ServerName, url: server.url, nodes: [server] });

async function stopServer(server: Server): Promise<void> {
  if (server.exited || server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => server.child.once('exit', () => resolve()));
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
  server.exited = true;
}

async function stopAll(): Promise<void> {
  await Promise.all(children.map(stopServer));
}

/** Closed at the end of the run: the cluster's proxies and database. */
const clusterCleanups: (() => Promise<void>)[] = [];

/**
 * Three hub nodes on one fresh PostgreSQL database (the first starts alone: it migrates), then
 * one proxy in front of the first node and one in front of all three.
 */
async function startCluster(root: string, settings: Settings): Promise<Target[]> {
  const database = await createTestDatabase();
  clusterCleanups.push(() => database.drop());
  const first = await startServer('node1', root, settings, database.url);
  const others = await Promise.all(['node2', 'node3'].map((name) => startServer(name as ChildName, root, settings, database.url)));
  const nodes = [first, ...others];
  const one = await startRoundRobinProxy([first.url]);
  const three = await startRoundRobinProxy(nodes.map((node) => node.url));
  clusterCleanups.push(() => one.close(), () => three.close());
  return [{ name: 'hub×1', url: one.base, nodes: [first] }, { name: 'hub×3', url: three.base, nodes }];
}

// ---------------------------------------------------------------------------------------------
// The request and its check

const TOKEN_PATH = '/token';
const BODY = new URLSearchParams({ grant_type: 'client_credentials', scope: SCOPE, resource: RESOURCE }).toString();
const HEADERS = {
  authorization: `Basic ${Buffer.from(`${encodeURIComponent(CLIENT_ID)}:${encodeURIComponent(CLIENT_SECRET)}`).toString('base64')}`,
  'content-type': 'application/x-www-form-urlencoded',
  accept: 'application/json',
};

interface Sample {
  status: number;
  headerBytes: number;
  bodyBytes: number;
}

function decodePart(jwt: string, index: number): Record<string, unknown> {
  const part = jwt.split('.')[index];
  if (!part) throw new Error('access_token is not a JWS');
  return JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>;
}

/** One request by hand: a 200 with an ES256 `at+jwt` for the resource, or the run stops here. */
const refreshBody = (token: string): string => new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token }).toString();

interface RefreshAnswer { status: number; text: string; headerBytes: number; next?: string }

async function refreshOnce(url: string, token: string): Promise<RefreshAnswer> {
  const response = await fetch(`${url}${TOKEN_PATH}`, { method: 'POST', headers: HEADERS, body: refreshBody(token) });
  const text = await response.text();
  let headerBytes = `HTTP/1.1 200 OK\r\n`.length + 2;
  response.headers.forEach((value, name) => void (headerBytes += name.length + value.length + 4));
  if (response.status !== 200) return { status: response.status, text, headerBytes };
  const body = JSON.parse(text) as { refresh_token?: unknown };
  return { status: 200, text, headerBytes, ...(typeof body.refresh_token === 'string' ? { next: body.refresh_token } : {}) };
}

/** refresh_token grant: a token per connection, then one use by hand: a 200 with a new refresh token, an access token and an ID token. */
async function checkRefresh(target: Target, connections: number): Promise<Sample> {
  target.chains = await mintRefreshTokens(target.nodes[0]!, connections);
  const answer = await refreshOnce(target.url, target.chains[0]!);
  if (answer.status !== 200) throw new Error(`${target.name}: refresh_token grant answered ${answer.status}: ${answer.text.slice(0, 300)}`);
  const body = JSON.parse(answer.text) as Record<string, unknown>;
  const missing = ['access_token', 'id_token', 'refresh_token'].filter((key) => typeof body[key] !== 'string');
  if (missing.length || body.refresh_token === target.chains[0]) throw new Error(`${target.name}: unexpected refresh answer (missing ${missing.join(', ') || 'a new refresh token'})`);
  target.chains[0] = answer.next!;
  return { status: 200, headerBytes: answer.headerBytes, bodyBytes: Buffer.byteLength(answer.text) };
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

/**
 * The refresh_token grant under load: autocannon repeats one body, and each use of a refresh
 * token replaces it (rotation), so each connection here is a loop of fetch calls carrying its
 * current token. A chain whose token was refused stops (counted as a failure).
 */
async function measureRefresh(target: Target, seconds: number): Promise<Omit<Round, 'server' | 'round' | 'serverCpuUsPerReq' | 'serverCpuCores' | 'loadGenCpuCores'> & { completed: number }> {
  const chains = target.chains!;
  const latencies: number[] = [];
  const statusCodes: Record<string, number> = {};
  let non2xx = 0;
  let errors = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(chains.map(async (_, i) => {
    while (performance.now() < end) {
      const sent = performance.now();
      try {
        const answer = await refreshOnce(target.url, chains[i]!);
        statusCodes[answer.status] = (statusCodes[answer.status] ?? 0) + 1;
        if (!answer.next) {
          non2xx += 1;
          return;
        }
        chains[i] = answer.next;
        latencies.push(performance.now() - sent);
      } catch {
        errors += 1;
        return;
      }
    }
  }));
  const duration = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    seconds: duration, rate: latencies.length / duration, ok: latencies.length, non2xx, errors, timeouts: 0, statusCodes, completed: latencies.length + non2xx,
    p50: percentile(latencies, 50), p90: percentile(latencies, 90), p99: percentile(latencies, 99), max: latencies.at(-1) ?? 0,
  };
}

async function checkServer(server: Target, settings: Settings): Promise<Sample> {
  if (settings.grant === 'refresh_token') return checkRefresh(server, settings.connections);
  const response = await fetch(`${server.url}${TOKEN_PATH}`, { method: 'POST', headers: HEADERS, body: BODY });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${server.name}: POST ${TOKEN_PATH} answered ${response.status}: ${text.slice(0, 300)}`);
  const body = JSON.parse(text) as { access_token?: string; token_type?: string; scope?: string };
  const token = body.access_token ?? '';
  const header = decodePart(token, 0);
  const payload = decodePart(token, 1);
  const problems = [
    header.alg === 'ES256' ? '' : `alg ${String(header.alg)}`,
    header.typ === 'at+jwt' ? '' : `typ ${String(header.typ)}`,
    payload.aud === RESOURCE ? '' : `aud ${JSON.stringify(payload.aud)}`,
    payload.scope === SCOPE ? '' : `scope ${JSON.stringify(payload.scope)}`,
    payload.client_id === CLIENT_ID ? '' : `client_id ${JSON.stringify(payload.client_id)}`,
    body.token_type === 'Bearer' ? '' : `token_type ${String(body.token_type)}`,
  ].filter(Boolean);
  if (problems.length) throw new Error(`${server.name}: unexpected token (${problems.join(', ')})`);
  let headerBytes = `HTTP/1.1 200 OK\r\n`.length + 2;
  response.headers.forEach((value, name) => void (headerBytes += name.length + value.length + 4));
  return { status: response.status, headerBytes, bodyBytes: Buffer.byteLength(text) };
}

// ---------------------------------------------------------------------------------------------
// Measuring

interface Round {
  server: ServerName;
  round: number;
  seconds: number;
  /** 2xx responses per second. */
  rate: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Server process CPU (all threads) per completed request, µs. */
  serverCpuUsPerReq: number | null;
  /** Server process CPU over the round, in cores (1 = one core busy all the time). */
  serverCpuCores: number | null;
  /** This process (autocannon) CPU over the round, in cores. */
  loadGenCpuCores: number;
}

/** CPU µs of every node of the target, added up. */
async function targetCpuMicros(target: Target): Promise<number> {
  const each = await Promise.all(target.nodes.map(serverCpuMicros));
  return each.reduce((a, b) => a + b, 0);
}

/** One autocannon run of the client_credentials request, in the shape measureRefresh answers. */
async function measureClientCredentials(target: Target, seconds: number, settings: Settings): Promise<Awaited<ReturnType<typeof measureRefresh>>> {
  const result: Result = await autocannon({
    url: `${target.url}${TOKEN_PATH}`,
    method: 'POST',
    headers: HEADERS,
    body: BODY,
    connections: settings.connections,
    pipelining: 1,
    duration: seconds,
    timeout: 10,
    renderProgressBar: false,
    renderResultsTable: false,
  });
  return {
    seconds: result.duration,
    rate: result['2xx'] / result.duration,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count])),
    completed: result.requests.total,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
  };
}

async function measure(server: Target, seconds: number, settings: Settings, round: number): Promise<Round> {
  const gone = server.nodes.find((node) => node.exited);
  if (gone) throw new Error(`${gone.name}: the server process has exited`);
  const cpuBefore = await targetCpuMicros(server);
  const ownBefore = process.cpuUsage();
  const { completed, ...result } = settings.grant === 'refresh_token' ? await measureRefresh(server, seconds) : await measureClientCredentials(server, seconds, settings);
  const own = process.cpuUsage(ownBefore);
  const serverCpuMs = ((await targetCpuMicros(server)) - cpuBefore) / 1000;
  return {
    server: server.name,
    round,
    ...result,
    serverCpuUsPerReq: completed > 0 ? (serverCpuMs * 1000) / completed : null,
    serverCpuCores: serverCpuMs / (result.seconds * 1000),
    loadGenCpuCores: (own.user + own.system) / 1000 / (result.seconds * 1000),
  };
}

const failures = (r: Pick<Round, 'non2xx' | 'errors' | 'timeouts'>): number => r.non2xx + r.errors + r.timeouts;

interface Summary {
  server: ServerName;
  /** False when any response (warm-up included) was not a 2xx, or a request failed. */
  valid: boolean;
  medianRate: number | null;
  medianP50: number;
  medianP99: number;
  medianServerCpuUsPerReq: number | null;
  /** Lowest and highest CPU µs per request of the rounds: how much the machine moved it. */
  cpuUsPerReqRange: [number, number] | null;
  warmupFailures: number;
  failures: { non2xx: number; errors: number; timeouts: number; statusCodes: Record<string, number> };
  responseBytes: { headers: number; body: number };
}

function summarize(name: ServerName, rounds: Round[], warmup: Round | undefined, sample: Sample): Summary {
  const own = rounds.filter((r) => r.server === name);
  const statusCodes: Record<string, number> = {};
  for (const r of [...own, ...(warmup ? [warmup] : [])]) {
    for (const [code, count] of Object.entries(r.statusCodes)) if (!code.startsWith('2')) statusCodes[code] = (statusCodes[code] ?? 0) + count;
  }
  const sum = (key: 'non2xx' | 'errors' | 'timeouts') => own.reduce((n, r) => n + r[key], 0);
  const warmupFailures = warmup ? failures(warmup) : 0;
  const valid = warmupFailures === 0 && own.every((r) => failures(r) === 0);
  const cpu = own.map((r) => r.serverCpuUsPerReq).filter((v): v is number => v !== null);
  return {
    server: name,
    valid,
    medianRate: valid ? median(own.map((r) => r.rate)) : null,
    medianP50: median(own.map((r) => r.p50)),
    medianP99: median(own.map((r) => r.p99)),
    medianServerCpuUsPerReq: cpu.length ? median(cpu) : null,
    cpuUsPerReqRange: cpu.length ? [Math.min(...cpu), Math.max(...cpu)] : null,
    warmupFailures,
    failures: { non2xx: sum('non2xx'), errors: sum('errors'), timeouts: sum('timeouts'), statusCodes },
    responseBytes: { headers: sample.headerBytes, body: sample.bodyBytes },
  };
}

// ---------------------------------------------------------------------------------------------
// Output

interface Report {
  grant: Settings['grant'];
  benchmark: string;
  request: { method: 'POST'; path: string; grantType: string; clientAuth: string; resource: string; scope: string; accessToken: string };
  settings: Omit<Settings, 'json' | 'redisUrl'>;
  environment: { node: string; cpus: number; cpuModel: string; loadAverageAtStart: number[] };
  notes: string[];
  rounds: Round[];
  warmup: Round[];
  servers: Summary[];
  ratio: { hubOverBare: number | null; hubWithLogsOverBare: number | null; cpuBareOverHub: number | null; goal: number; met: boolean | null };
  valid: boolean;
}

function printReport(report: Report): void {
  const out: string[] = [];
  const s = report.settings;
  out.push('', `ent-sso-hub token endpoint benchmark`, '');
  out.push(`  request   POST ${report.request.path}  grant_type=client_credentials, client_secret_basic, resource=${report.request.resource}, scope=${report.request.scope}`);
  out.push(`            → ES256 JWT access token (at+jwt); both servers use the same key set and client`);
  out.push(`  load      autocannon in the parent, ${s.connections} connections, ${s.rounds} round(s) × ${s.seconds} s per server, alternating, after ${s.warmupSeconds} s warm-up each${s.pin ? '; servers pinned to CPU 1, load generator to CPU 0' : ''}`);
  out.push(`  machine   node ${report.environment.node}, ${report.environment.cpus} CPU(s) ${report.environment.cpuModel}, load average at start ${report.environment.loadAverageAtStart.map((v) => v.toFixed(2)).join(' ')}`);
  for (const note of report.notes) out.push(`  note      ${note}`);
  out.push('', 'Rounds');
  const roundRows = [['round', 'server', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'server µs CPU/req', 'server CPU', 'autocannon CPU', 'non-2xx', 'errors', 'timeouts']];
  for (const r of [...report.warmup, ...report.rounds]) {
    roundRows.push([
      r.round === 0 ? 'warm-up' : String(r.round), r.server, fmt(r.rate), fmt(r.p50, 1), fmt(r.p90, 1), fmt(r.p99, 1), fmt(r.max, 0),
      fmt(r.serverCpuUsPerReq, 0), r.serverCpuCores === null ? '—' : `${(r.serverCpuCores * 100).toFixed(0)} %`, `${(r.loadGenCpuCores * 100).toFixed(0)} %`,
      String(r.non2xx), String(r.errors), String(r.timeouts),
    ]);
  }
  out.push('  (latencies are autocannon\'s, in whole milliseconds; server CPU is user+system of the server process, all threads, from /proc)');
  out.push(table(roundRows, [false, false, true, true, true, true, true, true, true, true, true, true, true]).replace(/^/gm, '  '));
  out.push('', 'Summary (median of the measured rounds)');
  const bare = report.servers[0];
  const summaryRows = [['server', 'req/s', 'vs bare', 'p50 ms', 'p99 ms', 'server µs CPU/req', 'response bytes (headers+body)', 'status']];
  for (const x of report.servers) {
    const vsBare = x.medianRate !== null && bare?.medianRate ? `${((x.medianRate / bare.medianRate) * 100).toFixed(1)} %` : '—';
    const bad = x.failures.non2xx + x.failures.errors + x.failures.timeouts + x.warmupFailures;
    const status = x.valid ? 'ok (all 200)' : `INVALID: ${bad} failed (non-2xx ${x.failures.non2xx}, errors ${x.failures.errors}, timeouts ${x.failures.timeouts}${Object.keys(x.failures.statusCodes).length ? `; status ${Object.entries(x.failures.statusCodes).map(([c, n]) => `${c}×${n}`).join(', ')}` : ''})`;
    summaryRows.push([x.server, x.valid ? fmt(x.medianRate) : 'INVALID', vsBare, fmt(x.medianP50, 1), fmt(x.medianP99, 1), fmt(x.medianServerCpuUsPerReq, 0), `${x.responseBytes.headers}+${x.responseBytes.body}`, status]);
  }
  out.push(table(summaryRows, [false, true, true, true, true, true, true, false]).replace(/^/gm, '  '));
  out.push('');
  const { ratio } = report;
  if (ratio.hubOverBare === null) {
    out.push(`  ratio hub/bare: not reported (a server answered with errors, see above)`);
  } else {
    out.push(`  ratio hub/bare (median req/s): ${ratio.hubOverBare.toFixed(3)}   goal ≥ ${ratio.goal}  →  ${ratio.met ? 'MET' : 'BELOW GOAL'}`);
    if (ratio.cpuBareOverHub !== null) out.push(`  CPU cost ratio bare/hub (µs per request, less sensitive to noise): ${ratio.cpuBareOverHub.toFixed(3)}`);
    if (ratio.hubWithLogsOverBare !== null) out.push(`  ratio hub+log/bare: ${ratio.hubWithLogsOverBare.toFixed(3)}`);
  }
  out.push('');
  process.stdout.write(`${out.join('\n')}\n`);
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (printHelpIfAsked(argv, import.meta.url)) return 0;
  const settings = readSettings(argv);
  const names: ServerName[] = settings.cluster ? ['hub×1', 'hub×3'] : settings.logRound ? ['bare', 'hub', 'hub+log'] : ['bare', 'hub'];
  const loadAverageAtStart = loadavg();
  if (settings.pin) execFileSync('taskset', ['-pc', '0', String(process.pid)], { stdio: 'ignore' });
  if (settings.cpuProfDir) mkdirSync(settings.cpuProfDir, { recursive: true });

  const root = mkdtempSync(join(tmpdir(), 'ent-sso-hub-bench-'));
  runDir = root;
  try {
    progress(`generating the key set (ES256 + RS256) in ${root}/keys`);
    await generateKeys(join(root, 'keys'));
    progress(`starting ${names.join(', ')}`);
    const servers = settings.cluster ? await startCluster(root, settings) : (await Promise.all(names.map((name) => startServer(name as ChildName, root, settings)))).map(single);
    const samples = new Map<ServerName, Sample>();
    for (const server of servers) {
      samples.set(server.name, await checkServer(server, settings));
      progress(`  ${server.name.padEnd(7)} ${server.url} ok: 200, ES256 at+jwt for ${RESOURCE}`);
    }

    const warmup: Round[] = [];
    if (settings.warmupSeconds > 0) {
      for (const server of servers) {
        progress(`warm-up ${server.name} (${settings.warmupSeconds} s)`);
        warmup.push(await measure(server, settings.warmupSeconds, settings, 0));
      }
    }
    const rounds: Round[] = [];
    for (let round = 1; round <= settings.rounds; round++) {
      for (const server of servers) {
        progress(`round ${round}/${settings.rounds} ${server.name} (${settings.seconds} s)`);
        const r = await measure(server, settings.seconds, settings, round);
        rounds.push(r);
        progress(`  ${fmt(r.rate)} req/s, p50 ${fmt(r.p50, 1)} ms, p99 ${fmt(r.p99, 1)} ms${failures(r) ? `, FAILURES: non-2xx ${r.non2xx}, errors ${r.errors}, timeouts ${r.timeouts} ${JSON.stringify(r.statusCodes)}` : ''}`);
      }
    }

    const summaries = names.map((name) => summarize(name, rounds, warmup.find((w) => w.server === name), samples.get(name)!));
    const byName = (name: ServerName) => summaries.find((x) => x.server === name);
    const bare = byName(names[0]!)!;
    const hub = byName(names[1]!)!;
    const hubLog = byName('hub+log');
    const hubOverBare = bare.medianRate && hub.medianRate !== null ? hub.medianRate / bare.medianRate : null;
    const report: Report = {
      grant: settings.grant,
      benchmark: settings.cluster
        ? 'token endpoint, client_credentials, ES256 JWT access token: 3 hub nodes vs 1, behind the round-robin proxy'
        : settings.grant === 'refresh_token'
          ? `token endpoint, refresh_token grant with rotation (scope ${REFRESH_SCOPE}: opaque access token, ID token, new refresh token): hub vs bare oidc-provider`
          : 'token endpoint, client_credentials, ES256 JWT access token: hub vs bare oidc-provider',
      request: { method: 'POST', path: TOKEN_PATH, grantType: settings.grant, clientAuth: 'client_secret_basic', resource: RESOURCE, scope: SCOPE, accessToken: 'jwt ES256 (at+jwt)' },
      settings: { seconds: settings.seconds, rounds: settings.rounds, warmupSeconds: settings.warmupSeconds, connections: settings.connections, logRound: settings.logRound, cluster: settings.cluster, grant: settings.grant, pin: settings.pin, cpuProfDir: settings.cpuProfDir },
      environment: { node: process.version, cpus: availableParallelism(), cpuModel: cpus()[0]?.model.trim() ?? 'unknown', loadAverageAtStart },
      notes: settings.cluster ? [
        `hub×1 = one hub node (buildHub + listen as in \`hub serve\`, PostgreSQL, Redis) behind testing/harness/round-robin-proxy.ts; hub×3 = that node and two more on the same database and Redis prefix, behind another proxy`,
        `the proxy runs in this process beside autocannon; server CPU is the nodes' CPU added up; this machine has ${availableParallelism()} CPUs for the nodes, the proxy and the load: 3 nodes cannot be 3 times 1 here`,
        'rates count 200 responses only; any other status, socket error or timeout invalidates that result',
      ] : [
        'hub = buildHub + listen as in `hub serve`: SQLite (temp), Redis (local, random key prefix), request logging OFF (log.level silent)',
        ...(settings.logRound ? ['hub+log = the same hub with log.level info, its stdout (the request log) going to /dev/null'] : []),
        'bare = new Provider(...) with a static client, the in-memory adapter, http.createServer(provider.callback())',
        'rates count 200 responses only; any other status, socket error or timeout invalidates that server\'s result',
      ],
      rounds,
      warmup,
      servers: summaries,
      ratio: {
        hubOverBare,
        hubWithLogsOverBare: hubLog && bare.medianRate && hubLog.medianRate !== null ? hubLog.medianRate / bare.medianRate : null,
        cpuBareOverHub: bare.valid && hub.valid && bare.medianServerCpuUsPerReq && hub.medianServerCpuUsPerReq ? bare.medianServerCpuUsPerReq / hub.medianServerCpuUsPerReq : null,
        goal: GOAL,
        met: hubOverBare === null ? null : hubOverBare >= GOAL,
      },
      valid: summaries.every((x) => x.valid),
    };
    if (settings.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else printReport(report);
    return report.valid ? 0 : 1;
  } finally {
    for (const cleanup of clusterCleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
    await stopAll();
    rmSync(root, { recursive: true, force: true });
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    progress(`${signal}: stopping the servers`);
    // Synchronously first: tsx's CLI SIGKILLs this process soon after relaying the signal.
    for (const server of children) if (!server.exited) server.child.kill('SIGTERM');
    if (runDir) rmSync(runDir, { recursive: true, force: true });
    void stopAll().finally(() => process.exit(130));
  });
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  async (err: unknown) => {
    progress(`benchmark failed: ${err instanceof Error ? err.message : String(err)}`);
    await stopAll();
    process.exitCode = 2;
  },
);
