/**
 * The real `hub` command in a child process, against a temporary SQLite file and key folder.
 * Each spawn costs about a second (tsx + imports), hence the generous timeouts.
 */
import { expect } from 'chai';
import { LoginThrottle, loginThrottleSchema } from '../../src/auth/login-throttle.js';
import { createRedis, waitForRedis } from '../../src/storage/redis/client.js';
import { RedisEphemeralStore } from '../../src/storage/redis/ephemeral.js';
import { openSqlStore } from '../../src/storage/sql/database.js';
import { testRedisUrl } from '../../testing/harness/redis.js';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { CliSandbox, collect, expectFailure, expectUsageError, freePort, hasStackTrace, sleep, stderrLines } from '../../testing/harness/cli.js';

const USER = ['users', 'create', '--tenant', 'lille', '--login', 'jean.dupont', '--first-name', 'Jean', '--last-name', 'Dupont', '--profile', 'Teacher', '--password-stdin'];

function withTenant(tenant: string, login = 'jean.dupont'): string[] {
  const args = [...USER];
  args[args.indexOf('--tenant') + 1] = tenant;
  args[args.indexOf('--login') + 1] = login;
  return args;
}

describe('cli (child process)', function () {
  // Each spawn takes 1-2 s on an idle machine, far more on a loaded CI runner.
  this.timeout(120_000);
  let box: CliSandbox;

  beforeEach(() => {
    box = new CliSandbox();
  });
  afterEach(() => box.cleanup());

  describe('usage', () => {
    it('--help prints the commands and exits 0', async () => {
      const r = await box.run(['--help']);
      expect(r.code, r.rawStderr).to.equal(0);
      expect(r.stdout).to.include('Usage: hub');
      for (const command of ['serve', 'migrate', 'keys', 'tenants', 'users', 'clients']) expect(r.stdout).to.match(new RegExp(`^\\s+${command}\\b`, 'm'));
    });

    it('an unknown command exits 2 with the usage on stderr', async () => {
      expectUsageError(await box.run(['frobnicate']), /unknown command 'frobnicate'/);
    });

    it('a missing required option exits 2', async () => {
      expectUsageError(await box.run(['users', 'create', '--tenant', 'lille']), /required option '--login <login>' not specified/);
    });

    it('an invalid choice exits 2', async () => {
      const args = withTenant('lille');
      args[args.indexOf('--profile') + 1] = 'Wizard';
      expectUsageError(await box.run(args, { input: 'secret-password\n' }), /Wizard/);
    });
  });

  describe('tenants and configuration', () => {
    it('tenants validate lists the shipped tenants', async () => {
      const r = await box.run(['tenants', 'validate']);
      expect(r.code, r.rawStderr).to.equal(0);
      expect(r.stdout).to.equal('2 tenant file(s) valid: amiens, lille\n');
      expect(r.stderr.trim()).to.equal('');
    });

    it('tenants list --json prints the tenants', async () => {
      const r = await box.run(['tenants', 'list', '--json']);
      expect(r.code, r.rawStderr).to.equal(0);
      expect((JSON.parse(r.stdout) as { id: string; academyCode: string }[]).map((t) => `${t.id}:${t.academyCode}`)).to.deep.equal(['amiens:20', 'lille:09']);
    });

    it('tenants validate reports every problem of every broken file, without a stack', async () => {
      const dir = join(box.dir, 'tenants');
      mkdirSync(dir);
      writeFileSync(join(dir, 'arras.yaml'), 'id: Arras!\nname: Arras\nacademyCode: "1"\nregion: hdf\n');
      writeFileSync(join(dir, 'broken.yaml'), 'id: broken\nname: [Broken\n');
      const r = await box.run(['tenants', 'validate'], { env: { HUB_TENANTS_DIR: dir } });
      expectFailure(r, /^hub: tenants is invalid:/);
      expect(r.stderr).to.match(/arras\.yaml: id: /);
      expect(r.stderr).to.match(/arras\.yaml: academyCode: /);
      expect(r.stderr).to.match(/arras\.yaml: .*region/);
      expect(r.stderr).to.include('broken.yaml: ');
    });

    it('a HUB_CONFIG with an unknown key exits 1 and names the path', async () => {
      const file = join(box.dir, 'hub.yaml');
      writeFileSync(file, 'http:\n  prot: 8080\n');
      const r = await box.run(['tenants', 'validate'], { env: { HUB_CONFIG: file } });
      expectFailure(r, /^hub: configuration is invalid:/);
      expect(r.stderr).to.include('- http.prot: unknown key');
    });
  });

  describe('migrations', () => {
    it('migrate applies the migrations once, then says the database is up to date', async () => {
      const first = await box.run(['migrate']);
      expect(first.code, first.rawStderr).to.equal(0);
      expect(first.stdout).to.match(/^applied: 0001_initial/);
      const second = await box.run(['migrate']);
      expect(second.code, second.rawStderr).to.equal(0);
      expect(second.stdout).to.equal('database is up to date\n');
    });
  });

  describe('users', () => {
    it('creates an active account from a password on stdin; the login is unique platform-wide', async () => {
      const created = await box.run(USER, { input: 'correct horse battery\n' });
      expect(created.code, created.rawStderr).to.equal(0);
      expect(created.stdout).to.match(/^created jean\.dupont \([0-9a-f-]{36}\) in lille, status active\n$/);
      expectFailure(await box.run(USER, { input: 'another password\n' }), /login "jean\.dupont" is already taken/);
      expectFailure(await box.run(withTenant('amiens'), { input: 'another password\n' }), /login "jean\.dupont" is already taken/);
    });

    it('creates a pending account without --password-stdin and prints its activation code once', async () => {
      const r = await box.run(USER.filter((a) => a !== '--password-stdin'));
      expect(r.code, r.rawStderr).to.equal(0);
      expect(r.stdout).to.match(/status pending\nactivation code for jean\.dupont: [a-z3-9]{4}-[a-z3-9]{4} \(valid until \d{4}-\d{2}-\d{2}; shown once\)\n$/);
    });

    it('reset-activation issues a new code and voids the password; unknown logins are refused', async () => {
      const created = await box.run(withTenant('lille', 'anne.reset'), { input: 'une phrase de passe assez longue\n' });
      expect(created.code, created.rawStderr).to.equal(0);
      const reset = await box.run(['users', 'reset-activation', '--login', 'Anne.Reset']);
      expect(reset.code, reset.rawStderr).to.equal(0);
      const code = /activation code for anne\.reset: ([a-z3-9]{4}-[a-z3-9]{4})/.exec(reset.stdout)?.[1];
      expect(code).to.be.a('string');
      const again = await box.run(['users', 'reset-activation', '--login', 'anne.reset']);
      expect(/: ([a-z3-9]{4}-[a-z3-9]{4})/.exec(again.stdout)?.[1]).to.not.equal(code);
      expectFailure(await box.run(['users', 'reset-activation', '--login', 'nobody.here']), /account with login "nobody\.here" not found|not found/);
    });

    it('unlock needs Redis and says so', async () => {
      expectFailure(await box.run(['users', 'unlock', '--login', 'anne.reset']), /no REDIS_URL/);
    });

    it('unlock lifts a lock set by the hub (same Redis, same key prefix) and records it', async () => {
      const url = await testRedisUrl();
      const redis = createRedis(url, 'hub:'); // the CLI's default prefix
      await waitForRedis(redis);
      const throttle = new LoginThrottle(new RedisEphemeralStore(redis), loginThrottleSchema.parse({}));
      const login = `locked.${Date.now()}`;
      try {
        for (let i = 0; i < 10; i++) await throttle.recordFailure(login, '192.0.2.1');
        expect(await throttle.isLocked(login)).to.equal(true);
        const r = await box.run(['users', 'unlock', '--login', login.toUpperCase()], { env: { REDIS_URL: url } });
        expect(r.code, r.rawStderr).to.equal(0);
        expect(r.stdout).to.equal(`unlocked ${login.toUpperCase()}\n`);
        expect(await throttle.isLocked(login)).to.equal(false);
        const again = await box.run(['users', 'unlock', '--login', login], { env: { REDIS_URL: url } });
        expect(again.stdout).to.equal(`${login} was not locked\n`);
        const store = await openSqlStore(`sqlite:${box.databaseFile}`, { migrate: false });
        const unlocks = (await store.audit.list()).filter((e) => e.type === 'account.unlocked' && e.details.login === login.toUpperCase());
        await store.close();
        expect(unlocks).to.have.length(1);
        expect(unlocks[0]!.details).to.include({ by: 'cli', wasLimited: true });
      } finally {
        redis.disconnect();
      }
    });

    it('refuses an unknown tenant, a bad login and a short password', async () => {
      expectFailure(await box.run(withTenant('atlantis', 'jean.x'), { input: 'long enough password\n' }), /unknown tenant "atlantis"/);
      expectFailure(await box.run(withTenant('lille', 'Jean Dupont'), { input: 'long enough password\n' }), /invalid --login/);
      expectFailure(await box.run(withTenant('lille', 'jean.y'), { input: 'short\n' }), /refused by the Teacher policy \(too_short.*at least 12 characters/);
    });
  });

  describe('clients', () => {
    const ADD = ['clients', 'add', '--id', 'partner-x', '--name', 'X', '--redirect-uri', 'https://x.example/cb'];

    it('registers a confidential client and prints its secret once, never listing it', async () => {
      const added = await box.run(ADD);
      expect(added.code, added.rawStderr).to.equal(0);
      const secret = /^client_secret: (\S+)$/m.exec(added.stdout)?.[1];
      expect(secret, added.stdout).to.match(/^[A-Za-z0-9_-]{43}$/);
      const json = await box.run(['clients', 'list', '--json']);
      expect(json.code, json.rawStderr).to.equal(0);
      const partner = (JSON.parse(json.stdout) as Record<string, unknown>[]).find((c) => c.clientId === 'partner-x');
      expect(partner).to.deep.equal({ clientId: 'partner-x', name: 'X', tenant: null, origin: 'cli', state: 'enabled', disabledAt: null, firstParty: false, public: false });
      const text = await box.run(['clients', 'list']);
      expect(text.stdout).to.match(/^partner-x\tplatform\tcli\tenabled\tconfidential\tX$/m);
      const hash = createHash('sha256').update(secret!).digest('hex');
      for (const out of [json.stdout, text.stdout]) {
        expect(out).not.to.include(secret!);
        expect(out).not.to.include(hash);
      }
    });

    it('registers a public client without a secret', async () => {
      const r = await box.run(['clients', 'add', '--id', 'spa-y', '--name', 'Y', '--redirect-uri', 'https://y.example/cb', '--public']);
      expect(r.code, r.rawStderr).to.equal(0);
      expect(r.stdout).not.to.include('client_secret');
      const list = JSON.parse((await box.run(['clients', 'list', '--json'])).stdout) as { clientId: string; public: boolean }[];
      expect(list.find((c) => c.clientId === 'spa-y')?.public).to.equal(true);
    });

    it('refuses a duplicate id, including a client declared in config', async () => {
      expect((await box.run(ADD)).code).to.equal(0);
      expectFailure(await box.run(ADD), /client id "partner-x" is already taken/);
      expectFailure(await box.run(['clients', 'add', '--id', 'one', '--name', 'Fake ONE', '--redirect-uri', 'https://evil.example/cb']), /client id "one" is already taken/);
    });

    it('registers a tenant client, listed with its tenant; refuses an unknown tenant and a first-party tenant client', async () => {
      const added = await box.run(['clients', 'add', '--id', 'lille-app', '--name', 'Lille App', '--redirect-uri', 'https://app.lille.example/cb', '--tenant', 'lille']);
      expect(added.code, added.rawStderr).to.equal(0);
      const list = JSON.parse((await box.run(['clients', 'list', '--json'])).stdout) as { clientId: string; tenant: string | null }[];
      expect(list.find((c) => c.clientId === 'lille-app')?.tenant).to.equal('lille');
      expectFailure(await box.run(['clients', 'add', '--id', 'x-app', '--name', 'X', '--redirect-uri', 'https://x.example/cb', '--tenant', 'atlantis']), /unknown tenant "atlantis"/);
      expectFailure(await box.run(['clients', 'add', '--id', 'y-app', '--name', 'Y', '--redirect-uri', 'https://y.example/cb', '--tenant', 'lille', '--first-party']), /--first-party is reserved/);
    });

    it('refuses an invalid redirect URI and lists the problems', async () => {
      const r = await box.run(['clients', 'add', '--id', 'Partner Z', '--name', 'Z', '--redirect-uri', 'not-a-url']);
      expectFailure(r, /^hub: invalid client:/);
      expect(r.stderr).to.match(/- redirectUris\.0: /);
      expect(r.stderr).to.match(/- clientId: /);
      const list = JSON.parse((await box.run(['clients', 'list', '--json'])).stdout) as { clientId: string }[];
      expect(list.map((c) => c.clientId)).to.have.members(['one', 'neo']);
    });
  });

  describe('serve', () => {
    it('exits 1 quickly with one line naming the database when PostgreSQL is down', async () => {
      const started = Date.now();
      const r = await box.run(['serve'], { env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nope' }, timeoutMs: 15_000 });
      // No retry loop: the connection is refused at once (the start itself is most of this).
      expect(Date.now() - started).to.be.below(15_000);
      expect(r.code, r.rawStderr).to.equal(1);
      expect(stderrLines(r), r.rawStderr).to.have.length(1);
      expect(r.stderr).to.match(/^hub: .*database/);
      expect(hasStackTrace(r.rawStderr)).to.equal(false);
    });

    it('refuses to start in production without the required settings, listing them all', async () => {
      const r = await box.run(['serve'], { env: { HUB_MODE: 'production' } });
      expectFailure(r, /^hub: configuration is invalid:/);
      for (const path of ['issuer', 'redis.url', 'demo.seed', 'database.url']) expect(r.stderr).to.match(new RegExp(`^  - ${path.replace('.', '\\.')}: `, 'm'));
      expect(r.stderr, 'the cookie keys come from the store').not.to.match(/cookieKeys/);
    });

    it('serves discovery and health, then stops with exit 0 on SIGTERM', async () => {
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const child = box.spawn(['serve'], { PORT: String(port), HOST: '127.0.0.1', HUB_ISSUER: base });
      child.stdin?.end();
      const exited = collect(child, 60_000);
      let health: Response | undefined;
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && child.exitCode === null) {
        health = await fetch(`${base}/healthz`).catch(() => undefined);
        if (health?.status === 200) break;
        await sleep(150);
      }
      try {
        expect(health?.status, 'GET /healthz').to.equal(200);
        const discovery = await fetch(`${base}/.well-known/openid-configuration`);
        expect(discovery.status).to.equal(200);
        const metadata = (await discovery.json()) as { issuer: string; jwks_uri: string };
        expect(metadata.issuer).to.equal(base);
        expect(metadata.jwks_uri.startsWith(base)).to.equal(true);
        // A first start without key files generates a key set, in the store.
        const jwks = (await (await fetch(metadata.jwks_uri)).json()) as { keys: Array<{ alg: string; d?: string }> };
        expect(jwks.keys.map((k) => k.alg)).to.have.members(['ES256', 'RS256']);
        expect(jwks.keys.some((k) => k.d)).to.equal(false);
      } catch (err) {
        child.kill('SIGKILL');
        await exited.catch(() => undefined);
        throw err;
      }
      child.kill('SIGTERM');
      const stoppedAt = Date.now();
      const r = await exited;
      expect(r.code, r.rawStderr).to.equal(0);
      expect(r.signal).to.equal(null);
      expect(Date.now() - stoppedAt).to.be.below(10_000, 'within the grace period (10 s)');
      expect(hasStackTrace(r.rawStderr), r.rawStderr).to.equal(false);
    });
  });
});
