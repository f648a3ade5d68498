/**
 * A PostgreSQL database for one test suite: a fresh `hub_test_<random>` database on the server
 * of DATABASE_URL when it is set, else on a throwaway cluster started from Debian's binaries
 * (one per test process, stopped when the process ends).
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { freePort } from '../net.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env.DATABASE_URL || (await throwawayCluster()).url;
  const name = `hub_test_${randomBytes(6).toString('hex')}`;
  await onServer(serverUrl, (client) => client.query(`create database ${name}`));
  return {
    url: withDatabase(serverUrl, name),
    // WITH (FORCE) (PostgreSQL ≥ 13) terminates connections a test left open.
    drop: () => onServer(serverUrl, (client) => client.query(`drop database if exists ${name} with (force)`)),
  };
}

function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function onServer(url: string, work: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}

// ---- throwaway cluster --------------------------------------------------------------------

interface Cluster {
  url: string;
  dir: string;
  bin: string;
}

let cluster: Promise<Cluster> | undefined;

function throwawayCluster(): Promise<Cluster> {
  // Forget a failed start, so that the next suite tries again and reports its own error.
  cluster ??= startCluster().catch((error: unknown) => {
    cluster = undefined;
    throw error;
  });
  return cluster;
}

/** The newest `/usr/lib/postgresql/<version>/bin` that has initdb. */
export function findBinaries(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (newest === undefined) throw new Error(`no PostgreSQL binaries under ${root}/*/bin: set DATABASE_URL or install postgresql`);
  return join(root, newest, 'bin');
}

/** initdb and postgres refuse to run as root: as root, run them as the `postgres` user. */
export function asPostgres(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

export function ownByPostgres(dir: string): void {
  if (process.getuid?.() !== 0) return;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  chownSync(dir, uid, gid);
}

/** A TCP port nothing listens on right now (tests also use it as a surely-closed port). */
export { freePort };

async function startCluster(): Promise<Cluster> {
  const { url, dir, bin } = await startPostgresCluster();
  return { url, dir, bin };
}

/** A cluster a test controls (stop, start, restart), for faults; `remove()` stops it and deletes its files. */
export interface PostgresCluster extends Cluster {
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  restart(mode?: 'fast' | 'immediate'): Promise<void>;
  remove(): void;
}

export async function startPostgresCluster(): Promise<PostgresCluster> {
  const bin = findBinaries();
  const dir = mkdtempSync(join(tmpdir(), 'hub-pg-'));
  ownByPostgres(dir);
  process.once('exit', () => stopClusterSync({ url: '', dir, bin }));
  const data = join(dir, 'data');
  await run(...asPostgres(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']));
  const port = await freePort();
  const serverOptions = `-c fsync=off -c full_page_writes=off -c synchronous_commit=off -p ${port} -k ${dir} -c listen_addresses=127.0.0.1`;
  const pgCtl = (args: string[]) => run(...asPostgres(join(bin, 'pg_ctl'), [...args, '-D', data]));
  // -w: pg_ctl returns once the server accepts connections (or has stopped).
  const start = async () => void (await pgCtl(['start', '-w', '-t', '60', '-l', join(dir, 'log'), '-o', serverOptions]));
  await start();
  const cluster: Cluster = { url: `postgres://postgres@127.0.0.1:${port}/postgres`, dir, bin };
  return {
    ...cluster,
    start,
    stop: async (mode = 'fast') => void (await pgCtl(['stop', '-w', '-m', mode])),
    restart: async (mode = 'fast') => void (await pgCtl(['restart', '-w', '-t', '60', '-m', mode, '-l', join(dir, 'log'), '-o', serverOptions])),
    remove: () => stopClusterSync(cluster),
  };
}

/** Synchronous, so that it also works from a process 'exit' hook. */
function stopClusterSync({ dir, bin }: Cluster): void {
  if (!existsSync(dir)) return;
  const data = join(dir, 'data');
  if (existsSync(join(data, 'postmaster.pid'))) {
    try {
      execFileSync(...asPostgres(join(bin, 'pg_ctl'), ['stop', '-w', '-m', 'immediate', '-D', data]), { stdio: 'ignore' });
    } catch {
      // Already stopped: nothing to do but remove the files.
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

/** Stops the throwaway cluster, if one was started; the next createTestDatabase starts another. */
export async function stopThrowawayCluster(): Promise<void> {
  if (cluster === undefined) return;
  const current = await cluster.catch(() => undefined);
  cluster = undefined;
  if (current) stopClusterSync(current);
}

// Under mocha, stop the cluster as soon as the whole run is over (the exit hook is the fallback
// for other runners, crashes and `--exit`).
if (typeof after === 'function') after(stopThrowawayCluster);
