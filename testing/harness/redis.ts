/**
 * Redis for tests: the server named by REDIS_URL, else a throwaway `redis-server` spawned on a
 * free port. `spawnRedis` always starts a dedicated one (for tests that stop it on purpose).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { freePort } from '../net.js';

export { freePort };

export interface RedisServer {
  url: string;
  port: number;
  /** Stops it: SIGTERM by default, SIGKILL for a crash. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port (after stop). */
  restart(): Promise<void>;
}

async function waitUntilPingable(url: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => {}); // refused while the server starts: retried below
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      return;
    } catch (err) {
      probe.disconnect();
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

export interface SpawnRedisOptions {
  /** A folder for an append-only file written at every command: a restart keeps the data. */
  appendOnlyDir?: string;
  /** More `redis-server` options (`--replicaof`, `--cluster-enabled`…). */
  args?: string[];
}

export async function spawnRedis(options: SpawnRedisOptions = {}): Promise<RedisServer> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const persistence = options.appendOnlyDir
    ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', options.appendOnlyDir]
    : ['--appendonly', 'no'];
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, ...(options.args ?? [])], { stdio: 'ignore' });
    await waitUntilPingable(url);
  };
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill(signal);
    await exited;
  };
  await start();
  process.once('exit', () => child?.kill('SIGKILL'));
  return { url, port, stop, restart: start };
}

let shared: Promise<string> | undefined;

/** A Redis URL for tests; keys of each test hub are isolated by a random prefix. */
export function testRedisUrl(): Promise<string> {
  shared ??= process.env.REDIS_URL ? Promise.resolve(process.env.REDIS_URL) : spawnRedis().then((r) => r.url);
  return shared;
}

export const randomPrefix = (): string => `hubtest:${randomBytes(6).toString('hex')}:`;
