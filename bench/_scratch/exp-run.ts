import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { generateKeys } from '../../src/oidc/keys.js';

const variants = (process.env.VARIANTS ?? 'bare,provider,full').split(',');
const SECONDS = Number(process.env.S ?? 6), ROUNDS = Number(process.env.R ?? 3);
const secret = 'bench-secret-0123456789';
const base = { clientId: 'bench-api', clientSecret: secret, scope: 'timetable.read', resource: 'https://api.bench.example/' };
const headers = { authorization: `Basic ${Buffer.from(`bench-api:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' };
const body = new URLSearchParams({ grant_type: 'client_credentials', scope: base.scope, resource: base.resource }).toString();
const cpuMs = (pid: number) => { const s = readFileSync(`/proc/${pid}/stat`, 'utf8'); const f = s.slice(s.lastIndexOf(')') + 2).split(' '); return (Number(f[11]) + Number(f[12])) * 10; };
const kids: ChildProcess[] = [];
async function start(v: string, root: string) {
  const [name, log] = v.split('@');
  const dataDir = join(root, v.replace(/[^a-z0-9]/gi, '_')); mkdirSync(dataDir);
  const spec = { ...base, keysDir: join(root, 'keys'), dataDir, keyPrefix: `bx:${Math.random()}:`, variant: name, logLevel: log ?? 'silent', readyFd: log ? 2 : 1 };
  const script = name === 'bare' ? '../servers/bare.ts' : 'exp-server.ts';
  const child = spawn('taskset', ['-c', '1', process.execPath, '--import', 'tsx', join(import.meta.dirname, script)], { env: { ...process.env, BENCH_SPEC: JSON.stringify(spec) }, stdio: ['pipe', log ? openSync('/dev/null', 'w') : 'pipe', 'pipe'] });
  kids.push(child);
  const port = await new Promise<number>((res, rej) => {
    for (const s of [child.stdout, child.stderr]) if (s) createInterface({ input: s }).on('line', (l) => { const m = /^READY (\d+)/.exec(l); if (m) res(Number(m[1])); else process.stderr.write(`[${v}] ${l}\n`); });
    child.once('exit', () => rej(new Error(`${v} exited`)));
  });
  return { v, pid: child.pid!, url: `http://127.0.0.1:${port}/token` };
}
async function run(s: { v: string; pid: number; url: string }, secs: number) {
  const c0 = cpuMs(s.pid);
  const r = await autocannon({ url: s.url, method: 'POST', headers, body, connections: 10, duration: secs });
  const c1 = cpuMs(s.pid);
  if (r.non2xx || r.errors) throw new Error(`${s.v}: non2xx ${r.non2xx} errors ${r.errors} ${JSON.stringify(r.statusCodeStats)}`);
  return { rate: r['2xx'] / r.duration, us: ((c1 - c0) * 1000) / r.requests.total };
}
const med = (a: number[]) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]!; };
const root = mkdtempSync(join(tmpdir(), 'bx-'));
try {
  await generateKeys(join(root, 'keys'));
  const servers = [];
  for (const v of variants) servers.push(await start(v, root));
  for (const s of servers) await run(s, 4);
  const res = new Map<string, { rate: number; us: number }[]>();
  for (let i = 0; i < ROUNDS; i++) for (const s of (i % 2 ? [...servers].reverse() : servers)) { const r = await run(s, SECONDS); (res.get(s.v) ?? res.set(s.v, []).get(s.v)!).push(r); process.stderr.write(`${i} ${s.v} ${r.rate.toFixed(0)} ${r.us.toFixed(0)}\n`); }
  for (const s of servers) { const rs = res.get(s.v)!; console.log(`${s.v.padEnd(28)} rate med ${med(rs.map((r) => r.rate)).toFixed(0).padStart(5)} max ${Math.max(...rs.map((r) => r.rate)).toFixed(0).padStart(5)}  cpu µs/req med ${med(rs.map((r) => r.us)).toFixed(0).padStart(5)} min ${Math.min(...rs.map((r) => r.us)).toFixed(0).padStart(5)}  all: ${rs.map((r) => r.us.toFixed(0)).join(' ')}`); }
} finally { for (const k of kids) k.kill('SIGTERM'); await new Promise((r) => setTimeout(r, 500)); rmSync(root, { recursive: true, force: true }); }
