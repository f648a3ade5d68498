/**
 * What the benchmark parent hands to a server child (JSON in env BENCH_SPEC) and the little
 * protocol back: one line `READY <port>` on the file descriptor named by `readyFd` (stdout by
 * default), then the child serves until SIGTERM / SIGINT.
 */
import { writeSync } from 'node:fs';
import type Provider from 'oidc-provider';

export { freePort } from '../../testing/net.js';

export interface ServerSpec {
  /** Folder holding the `jwks.json` the parent generated (same keys for every server). */
  keysDir: string;
  clientId: string;
  /** Plain secret (the bare provider stores it as is; the hub gets its SHA-256 in config). */
  clientSecret: string;
  /** Space-separated scope the client may request and the resource accepts. */
  scope: string;
  /** Resource indicator (RFC 8707) the token is requested for. */
  resource: string;
  /** Hub only: folder for the SQLite database. */
  dataDir?: string;
  /** Hub only: a PostgreSQL database instead of SQLite in dataDir (the cluster's nodes share one). */
  databaseUrl?: string;
  /** Hub only. */
  redisUrl?: string;
  /** Hub only. */
  keyPrefix?: string;
  /** Hub only: `silent`, or `info` (request logs to the child's stdout, which the parent points at /dev/null). */
  logLevel?: 'silent' | 'info';
  /** Where `READY <port>` is written: 1 (stdout) or 2 (stderr, when stdout carries logs). */
  readyFd?: 1 | 2;
  /** The grant measured: with refresh_token the client may also use the code and refresh grants. */
  grant?: 'client_credentials' | 'refresh_token';
}

/** The scope of the refresh tokens the servers mint for the refresh_token grant. */
export const REFRESH_SCOPE = 'openid offline_access';

/** Mints one refresh token (a grant of REFRESH_SCOPE and a token of it) for the bench's client. */
export async function mintRefreshToken(provider: Provider, clientId: string, accountId: string): Promise<string> {
  const client = await provider.Client.find(clientId);
  if (!client) throw new Error(`no client ${clientId}`);
  const grant = new provider.Grant({ clientId, accountId });
  grant.addOIDCScope(REFRESH_SCOPE);
  const grantId = await grant.save();
  const token = new provider.RefreshToken({ client, accountId, grantId, scope: REFRESH_SCOPE, gty: 'authorization_code', authTime: Math.floor(Date.now() / 1000) });
  return token.save();
}

/** What a server child can do beside serving, asked over stdin. */
export interface Probes {
  /** `refresh <n>` → `REFRESH <json array of n refresh tokens>`. */
  mintRefreshToken?: () => Promise<string>;
}

export function readSpec(): ServerSpec {
  const raw = process.env.BENCH_SPEC ?? process.argv[2];
  if (!raw) throw new Error('missing BENCH_SPEC (JSON server spec)');
  return JSON.parse(raw) as ServerSpec;
}

export function announceReady(spec: ServerSpec, port: number, probes: Probes = {}): void {
  if (!process.stdin.isTTY) answerProbes(spec, probes);
  writeSync(spec.readyFd ?? 1, `READY ${port}\n`);
}

/**
 * The probes: each `cpu` line on stdin is answered with `CPU <µs>` (user + system time of
 * this process, all threads, from process.cpuUsage()) on the `readyFd`, so the parent can take
 * the server's own CPU time around a load without reading /proc (or its 10 ms ticks); each
 * `refresh <n>` line with n refresh tokens (Probes).
 */
function answerProbes(spec: ServerSpec, probes: Probes): void {
  let pending = '';
  process.stdin.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      const refresh = /^refresh (\d+)$/.exec(line);
      if (refresh && probes.mintRefreshToken) {
        const mint = probes.mintRefreshToken;
        void Promise.all(Array.from({ length: Number(refresh[1]) }, () => mint())).then(
          (tokens) => writeSync(spec.readyFd ?? 1, `REFRESH ${JSON.stringify(tokens)}\n`),
          (err: unknown) => writeSync(spec.readyFd ?? 1, `REFRESH-FAILED ${String(err).replace(/\s+/g, ' ')}\n`),
        );
      }
      if (line !== 'cpu') continue;
      const { user, system } = process.cpuUsage();
      writeSync(spec.readyFd ?? 1, `CPU ${user + system}\n`);
    }
  });
}

/**
 * Stops on SIGTERM / SIGINT, and when stdin closes (the parent keeps a pipe open, so a parent
 * killed without cleaning up does not leave servers behind); exits even if stopping hangs.
 */
export function stopOn(stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(0), 3000).unref();
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`error while stopping: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  if (!process.stdin.isTTY) {
    process.stdin.on('end', onSignal).on('error', onSignal).resume();
  }
}

export function fail(err: unknown): never {
  process.stderr.write(`server failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
}
