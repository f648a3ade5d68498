/**
 * A PostgreSQL primary and its streaming replica, throwaway: initdb, a base backup taken with
 * `pg_basebackup -R` (which writes the standby's connection settings), both started on free
 * loopback ports from Debian's binaries. For the tests of reads sent to a replica.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { asPostgres, findBinaries, freePort, ownByPostgres } from './postgres.js';

const run = promisify(execFile);

export interface ReplicatedCluster {
  primaryUrl: string;
  replicaUrl: string;
  /** Stops applying the primary's changes on the replica (`pg_wal_replay_pause`), or starts again. */
  pauseReplay(paused: boolean): Promise<void>;
  /** Waits until the replica has applied everything the primary has written so far. */
  caughtUp(timeoutMs?: number): Promise<void>;
  stop(): void;
}

export async function query<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

export async function startReplicatedCluster(): Promise<ReplicatedCluster> {
  const bin = findBinaries();
  const dir = mkdtempSync(join(tmpdir(), 'hub-pg-replica-'));
  ownByPostgres(dir);
  const primaryData = join(dir, 'primary');
  const replicaData = join(dir, 'replica');
  const [primaryPort, replicaPort] = [await freePort(), await freePort()];
  const stop = (): void => {
    for (const data of [replicaData, primaryData]) {
      try {
        execFileSync(...asPostgres(join(bin, 'pg_ctl'), ['stop', '-w', '-m', 'immediate', '-D', data]), { stdio: 'ignore' });
      } catch {
        // Not started, or already stopped.
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stop);
  const start = (data: string, port: number) => run(...asPostgres(join(bin, 'pg_ctl'), [
    'start', '-w', '-t', '60', '-D', data, '-l', join(dir, `log-${port}`),
    '-o', `-c fsync=off -c full_page_writes=on -p ${port} -k ${dir} -c listen_addresses=127.0.0.1`,
  ]));
  try {
    // initdb's pg_hba.conf trusts local replication connections when run with -A trust.
    await run(...asPostgres(join(bin, 'initdb'), ['-D', primaryData, '-A', 'trust', '-U', 'postgres', '--no-sync']));
    await start(primaryData, primaryPort);
    await run(...asPostgres(join(bin, 'pg_basebackup'), ['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres', '-D', replicaData, '-R', '-X', 'stream', '--no-sync']));
    await start(replicaData, replicaPort);
  } catch (error) {
    stop();
    throw error;
  }
  const primaryUrl = `postgres://postgres@127.0.0.1:${primaryPort}/postgres`;
  const replicaUrl = `postgres://postgres@127.0.0.1:${replicaPort}/postgres`;
  return {
    primaryUrl,
    replicaUrl,
    pauseReplay: async (paused) => void (await query(replicaUrl, paused ? 'select pg_wal_replay_pause()' : 'select pg_wal_replay_resume()')),
    caughtUp: async (timeoutMs = 10_000) => {
      const [{ lsn }] = (await query<{ lsn: string }>(primaryUrl, 'select pg_current_wal_lsn()::text as lsn')) as [{ lsn: string }];
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const [{ behind }] = (await query<{ behind: boolean }>(replicaUrl, `select pg_last_wal_replay_lsn() < '${lsn}'::pg_lsn as behind`)) as [{ behind: boolean }];
        if (!behind) return;
        if (Date.now() > deadline) throw new Error(`replica not caught up with ${lsn} after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop,
  };
}
