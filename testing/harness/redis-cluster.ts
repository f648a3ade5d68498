/**
 * A Redis Cluster of three masters (no replicas), each a real `redis-server --cluster-enabled
 * yes` on a free loopback port, joined by `redis-cli --cluster create`. Its files (nodes.conf)
 * live in a temp folder.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { spawnRedis, type RedisServer } from './redis.js';

const run = promisify(execFile);

export interface RedisClusterNodes {
  nodes: Array<{ host: string; port: number }>;
  stop(): Promise<void>;
}

export async function startRedisCluster(masters = 3): Promise<RedisClusterNodes> {
  const dir = mkdtempSync(join(tmpdir(), 'hub-redis-cluster-'));
  const servers: RedisServer[] = [];
  for (let i = 0; i < masters; i += 1) {
    servers.push(await spawnRedis({ args: ['--dir', dir, '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${i}.conf`)] }));
  }
  const nodes = servers.map((s) => ({ host: '127.0.0.1', port: s.port }));
  const stop = async (): Promise<void> => {
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `${n.host}:${n.port}`), '--cluster-replicas', '0', '--cluster-yes']);
    await untilClusterOk(nodes[0]!.port);
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes, stop };
}

/** `redis-cli --cluster create` returns before every node agrees the slots are covered. */
async function untilClusterOk(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { stdout } = await run('redis-cli', ['-p', String(port), 'cluster', 'info']);
    if (/cluster_state:ok/.test(stdout)) return;
    if (Date.now() > deadline) throw new Error(`cluster not ok after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
