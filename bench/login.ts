/**
 * `npm run bench:login`: full browser-less logins per second with an argon2id password, next to
 * the raw argon2 verifications per second with the hub's parameters (src/auth/passwords.ts), in
 * the same run and at the same concurrency.
 *
 * The hub is the real one (testing/harness/hub.ts: buildHub + listen, SQLite, the local Redis
 * under a random prefix, request logs off), with the people and clients of the OIDC tests
 * (testing/harness/fixtures.ts). One login is what an RP and a browser do
 * (testing/harness/rp.ts, openid-client + the cookie-jar browser of testing/harness/browser.ts):
 * GET /auth (PKCE, state, nonce) → redirects to the login page → POST the form (login +
 * password: one argon2id verification) → redirects back through /auth to the RP's callback with
 * a code → POST /token (code + verifier, client_secret_basic) → the ID token checked by
 * openid-client. Each login starts with an empty cookie jar, as a new browser.
 *
 *   hub       logins completed per second, BENCH_LOGIN_CONCURRENCY at a time, for BENCH_LOGIN_SECONDS
 *   argon2    verify(hash, password) of @node-rs/argon2 with the hub's parameters, as many at a
 *             time, for as long: the floor of a login, whose cost argon2id is on purpose
 * This process runs both the hub and its clients: its CPU time per login is printed too (the
 * client's share included).
 *
 *   BENCH_LOGIN_SECONDS      seconds per measurement (8)
 *   BENCH_LOGIN_CONCURRENCY  logins (and verifications) in flight at a time (4)
 *   REDIS_URL                Redis for the hub (redis://127.0.0.1:6379)
 *   --json                   machine-readable results on stdout
 *
 * Exit status: 0 when every login succeeded, 1 when one failed (the error is printed), 2 on a setup failure.
 */
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { verify } from '@node-rs/argon2';
import { ARGON2_PARAMS, hashPassword } from '../src/auth/passwords.js';
import { Browser } from '../testing/harness/browser.js';
import { PASSWORD, seedPeople, testClients, testResources } from '../testing/harness/fixtures.js';
import { startTestHub } from '../testing/harness/hub.js';
import { discover, exchange, signIn } from '../testing/harness/rp.js';
import { envNumber, printHelpIfAsked } from './format.js';

const progress = (line: string): void => void process.stderr.write(`${line}\n`);

interface Measure {
  rate: number;
  count: number;
  seconds: number;
  /** CPU of this process per operation, ms (user + system, all threads). */
  cpuMsPerOp: number;
}

/** Runs `op` with `concurrency` in flight until `seconds` have passed; any failure stops it. */
async function measure(op: () => Promise<void>, seconds: number, concurrency: number): Promise<Measure> {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const end = started + seconds * 1000;
  let count = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      await op();
      count += 1;
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return { rate: count / elapsed, count, seconds: elapsed, cpuMsPerOp: count ? (cpu.user + cpu.system) / 1000 / count : 0 };
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (printHelpIfAsked(argv, import.meta.url)) return 0;
  const seconds = envNumber('BENCH_LOGIN_SECONDS', 8, 1);
  const concurrency = Math.floor(envNumber('BENCH_LOGIN_CONCURRENCY', 4, 1, 64));
  const params = `m=${ARGON2_PARAMS.memoryCost} KiB, t=${ARGON2_PARAMS.timeCost}, p=${ARGON2_PARAMS.parallelism}`;

  progress('starting the hub (SQLite, Redis) and seeding the test people');
  const hub = await startTestHub({ config: { clients: testClients(), oidc: { resources: testResources } } });
  try {
    await seedPeople(hub.hub.store);
    const portal = await discover(hub.url, 'portal');
    const login = async () => {
      const auth = await signIn(new Browser(), portal, 'zoe.test', PASSWORD);
      const tokens = await exchange(portal, auth);
      if (!tokens.id_token) throw new Error('no ID token in the token response');
    };
    await login(); // a first login checks the whole path before anything is timed
    progress(`warm-up: logins and verifications (2 s each), then ${seconds} s of each, ${concurrency} at a time`);
    const stored = await hashPassword(PASSWORD);
    const verifyOnce = async () => {
      if (!(await verify(stored, PASSWORD))) throw new Error('argon2 verify answered false');
    };
    await measure(login, 2, concurrency);
    await measure(verifyOnce, 2, concurrency);
    const hubResult = await measure(login, seconds, concurrency);
    progress(`  hub     ${hubResult.rate.toFixed(1)} logins/s (${hubResult.count} in ${hubResult.seconds.toFixed(1)} s), ${hubResult.cpuMsPerOp.toFixed(1)} ms CPU per login (hub + client)`);
    const argon2 = await measure(verifyOnce, seconds, concurrency);
    progress(`  argon2  ${argon2.rate.toFixed(1)} verify/s (${params}), ${argon2.cpuMsPerOp.toFixed(1)} ms CPU per verification`);
    const report = {
      benchmark: 'full browser-less login (argon2id) vs raw argon2 verify',
      concurrency,
      seconds,
      cpus: availableParallelism(),
      params,
      hub: { rate: hubResult.rate, count: hubResult.count, cpuMsPerLogin: hubResult.cpuMsPerOp },
      argon2: { rate: argon2.rate, count: argon2.count, cpuMsPerVerify: argon2.cpuMsPerOp },
      ratio: argon2.rate ? hubResult.rate / argon2.rate : null,
    };
    if (argv.includes('--json')) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else process.stdout.write(`\nfull login: ${report.hub.rate.toFixed(1)} logins/s; argon2 verify: ${report.argon2.rate.toFixed(1)} /s (${params}); ratio ${report.ratio?.toFixed(2) ?? '—'}\n`);
    return 0;
  } finally {
    await hub.stop();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    progress(`login benchmark failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
).finally(() => setTimeout(() => process.exit(), 500).unref());
