/**
 * A Redis master group watched by real `redis-sentinel` processes: a master and a replica
 * (`redis-server`), three sentinels with quorum 2 and short timeouts, so a failover takes a few
 * seconds. Everything on free loopback ports, the sentinels' files in a temp folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, spawnRedis, type RedisServer } from './redis.js';

export const MASTER_NAME = 'hubmaster';

export interface RedisNode {
  host: string;
  port: number;
}

export interface SentinelGroup {
  name: string;
  sentinels: RedisNode[];
  /** The two data servers; which one is master changes with a failover. */
  servers: RedisServer[];
  /** Where the sentinels say the master is now. */
  masterAddress(): Promise<RedisNode>;
  /**
   * Waits until the replica has every write the master has. After a SENTINEL FAILOVER, the
   * sentinels wait a few seconds before they make the old master a replica of the new one.
   */
  waitForReplication(timeoutMs?: number): Promise<void>;
  /** Asks the sentinels to fail over now (`SENTINEL FAILOVER`): the master becomes a replica of its replica. */
  failover(): Promise<void>;
  /** Waits until the sentinels name a master other than `previous`. */
  waitForNewMaster(previous: RedisNode, timeoutMs?: number): Promise<RedisNode>;
  stop(): Promise<void>;
}

const SENTINELS = 3;

/** A one-shot client: ask, answer, disconnect. */
async function ask<T>(node: RedisNode, command: (r: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({ ...node, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  client.on('error', () => {}); // a refused connection surfaces as the command's rejection
  try {
    await client.connect();
    return await command(client);
  } finally {
    client.disconnect();
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const infoField = (info: string, field: string): string | undefined => new RegExp(`^${field}:(.*)\\r?$`, 'm').exec(info)?.[1]?.trim();

async function startSentinel(dir: string, port: number, master: RedisNode): Promise<ChildProcess> {
  const file = join(dir, `sentinel-${port}.conf`);
  // Sentinel rewrites its file (known replicas, sentinels, epochs): each has its own.
  writeFileSync(file, [
    `port ${port}`,
    'bind 127.0.0.1',
    `dir ${dir}`,
    `sentinel monitor ${MASTER_NAME} ${master.host} ${master.port} 2`,
    `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
    `sentinel failover-timeout ${MASTER_NAME} 2000`, // a second failover waits twice this after the first
    `sentinel parallel-syncs ${MASTER_NAME} 1`,
    '',
  ].join('\n'));
  const child = spawn('redis-sentinel', [file], { stdio: 'ignore' });
  process.once('exit', () => child.kill('SIGKILL'));
  await until('sentinel answers', () => ask({ host: '127.0.0.1', port }, (r) => r.ping()), 5000);
  return child;
}

export async function startSentinelGroup(): Promise<SentinelGroup> {
  const dir = mkdtempSync(join(tmpdir(), 'hub-sentinel-'));
  // `--dir`: the replica's full sync goes through an RDB file, kept out of the working directory.
  const primary = await spawnRedis({ args: ['--dir', dir] });
  const replica = await spawnRedis({ args: ['--dir', dir, '--replicaof', '127.0.0.1', String(primary.port)] });
  const first: RedisNode = { host: '127.0.0.1', port: primary.port };
  const sentinels: RedisNode[] = [];
  const children: ChildProcess[] = [];
  for (let i = 0; i < SENTINELS; i += 1) {
    const port = await freePort();
    children.push(await startSentinel(dir, port, first));
    sentinels.push({ host: '127.0.0.1', port });
  }

  const masterAddress = (): Promise<RedisNode> => ask(sentinels[0]!, async (r) => {
    const [host, port] = (await r.call('SENTINEL', 'get-master-addr-by-name', MASTER_NAME)) as [string, string];
    return { host, port: Number(port) };
  });
  // A failover needs the sentinels to know each other (a majority votes) and to know the replica.
  for (const sentinel of sentinels) {
    await until('sentinels see each other and the replica', () => ask(sentinel, async (r) => {
      const others = (await r.call('SENTINEL', 'sentinels', MASTER_NAME)) as unknown[];
      const replicas = (await r.call('SENTINEL', 'replicas', MASTER_NAME)) as unknown[];
      return others.length === SENTINELS - 1 && replicas.length === 1 ? true : undefined;
    }), 15_000);
  }

  const group: SentinelGroup = {
    name: MASTER_NAME,
    sentinels,
    servers: [primary, replica],
    masterAddress,
    waitForReplication: async (timeoutMs = 20_000) => {
      const master = await masterAddress();
      await until('replica in sync', async () => {
        const offset = Number(infoField(await ask(master, (r) => r.info('replication')), 'master_repl_offset'));
        const other = group.servers.find((s) => s.port !== master.port)!;
        const info = await ask({ host: '127.0.0.1', port: other.port }, (r) => r.info('replication'));
        return infoField(info, 'master_link_status') === 'up' && Number(infoField(info, 'slave_repl_offset')) >= offset ? true : undefined;
      }, timeoutMs);
    },
    failover: () => ask(sentinels[0]!, async (r) => void (await r.call('SENTINEL', 'failover', MASTER_NAME))),
    waitForNewMaster: (previous, timeoutMs = 20_000) => until('failover', async () => {
      const now = await masterAddress();
      return now.port !== previous.port ? now : undefined;
    }, timeoutMs),
    stop: async () => {
      for (const child of children) {
        if (child.exitCode !== null || child.signalCode !== null) continue;
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      await Promise.all(group.servers.map((s) => s.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return group;
}
