/**
 * Summarizes a V8 `.cpuprofile` (from `BENCH_CPU_PROF=<dir> npm run bench`):
 *
 *   npx tsx bench/cpuprofile-summary.ts <file.cpuprofile> [--top 30] [--skip-ms N] [--focus regex]...
 *
 * Prints where the busy time goes: self time by origin (package in node_modules, file of the
 * project, node internals, GC), the functions with the most self time, and the inclusive time
 * (time with the function anywhere on the stack, counted once per sample) of the functions
 * whose name or file matches each --focus (the request's middleware by default).
 * --skip-ms leaves out the first N ms of the profile: the start-up (module loading and
 * compiling), so that what remains is the cost of the requests.
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const DEFAULT_FOCUS = [
  'requestContext|request-context',
  'errorHandler|http/errors',
  'koa-helmet|helmet/index',
  '@koa/router',
  'koa-mount',
  'translatingAdapter',
  'StoreClientAdapter|oidc/clients',
  'compareClientSecret|compareHashed',
  'pino|sonic-boom',
  'getValueAndPayload|formats/jwt',
  'tokenAuth|client_auth|token_auth',
  'sign.*jose|jose.*sign|helpers/jwt',
];

function origin(url: string): string {
  if (!url) return '(native / V8)';
  if (url.startsWith('node:')) return 'node internals';
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = path.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const project = /\/(src|bench|test)\/(.*)$/.exec(path);
  return project ? `${project[1]}/${project[2]}` : path;
}

function pad(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

function main(): void {
  const args = process.argv.slice(2);
  const file = args.find((a) => !a.startsWith('--') && !/^\d+$/.test(a) && args[args.indexOf(a) - 1] !== '--focus');
  if (!file) {
    process.stderr.write('usage: npx tsx bench/cpuprofile-summary.ts <file.cpuprofile> [--top N] [--skip-ms N] [--focus regex]...\n');
    process.exit(2);
  }
  const topIndex = args.indexOf('--top');
  const top = topIndex >= 0 ? Number(args[topIndex + 1]) : 30;
  const focus = args.flatMap((a, i) => (args[i - 1] === '--focus' ? [a] : []));
  const skipIndex = args.indexOf('--skip-ms');
  const skipUs = skipIndex >= 0 ? Number(args[skipIndex + 1]) * 1000 : 0;
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  if (skipUs > 0) {
    let elapsed = 0;
    const first = profile.timeDeltas.findIndex((dt) => (elapsed += dt) >= skipUs);
    profile.samples = first < 0 ? [] : profile.samples.slice(first);
    profile.timeDeltas = first < 0 ? [] : profile.timeDeltas.slice(first);
  }

  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = [...self].filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)').reduce((a, [, t]) => a + t, 0);
  const busy = total - idle;
  const ms = (us: number) => (us / 1000).toFixed(0);
  const pct = (us: number) => `${((us / busy) * 100).toFixed(1)} %`;

  process.stdout.write(`${file}\n  sampled ${ms(total)} ms, idle ${ms(idle)} ms, busy ${ms(busy)} ms (percentages below are of busy time)\n\n`);

  const byOrigin = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const [id, t] of self) {
    const { callFrame } = byId.get(id)!;
    if (callFrame.functionName === '(idle)') continue;
    const special = callFrame.functionName.startsWith('(') ? callFrame.functionName : undefined;
    const o = special ?? origin(callFrame.url);
    byOrigin.set(o, (byOrigin.get(o) ?? 0) + t);
    const where = callFrame.url.startsWith('node:') ? callFrame.url : origin(callFrame.url);
    const key = `${callFrame.functionName || '(anonymous)'}  ${special ? '' : `${where}:${callFrame.lineNumber + 1}`}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + t);
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  process.stdout.write(`Self time by origin\n${pad([['origin', 'ms', 'share'], ...sorted(byOrigin).slice(0, top).map(([k, t]) => [k, ms(t), pct(t)])]).replace(/^/gm, '  ')}\n\n`);
  process.stdout.write(`Top functions by self time\n${pad([['function', 'ms', 'share'], ...sorted(byFunction).slice(0, top).map(([k, t]) => [k, ms(t), pct(t)])]).replace(/^/gm, '  ')}\n\n`);

  const patterns = (focus.length ? focus : DEFAULT_FOCUS).map((p) => new RegExp(p, 'i'));
  const inclusive = new Map<RegExp, number>(patterns.map((p) => [p, 0]));
  const frameText = (id: number) => {
    const { callFrame } = byId.get(id)!;
    return `${callFrame.functionName} ${callFrame.url}`;
  };
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const hit = new Set<RegExp>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const text = frameText(cur);
      for (const p of patterns) if (!hit.has(p) && p.test(text)) hit.add(p);
    }
    for (const p of hit) inclusive.set(p, inclusive.get(p)! + dt);
  });
  process.stdout.write(`Inclusive time (the matching frames anywhere on the stack)\n${pad([['pattern', 'ms', 'share'], ...patterns.map((p) => [p.source, ms(inclusive.get(p)!), pct(inclusive.get(p)!)])]).replace(/^/gm, '  ')}\n`);
}

main();
