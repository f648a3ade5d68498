import { expect } from 'chai';
import { applyDelay, LoginThrottle, loginThrottleSchema, normalizeThrottleIp, normalizeThrottleLogin, type LoginThrottleConfig, type ThrottleDecision } from '../../src/auth/login-throttle.js';
import { InvariantBroken } from '../../src/shared/errors.js';
import type { EphemeralStore } from '../../src/storage/ports/ephemeral.js';
import { memoryPair, redisPair, type EphemeralPair } from '../../testing/harness/ephemeral.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const config = (overrides: Partial<LoginThrottleConfig> = {}): LoginThrottleConfig => loginThrottleSchema.parse(overrides);

let serial = 0;
/** A login and an address no other test uses (the stores are shared by the tests of a suite). */
const fresh = () => {
  serial += 1;
  return { login: `user${serial}.test`, ip: `198.51.100.${serial % 250}`, otherIp: `203.0.113.${serial % 250}` };
};

describe('loginThrottleSchema', () => {
  it('has the documented defaults', () => {
    expect(config()).to.deep.equal({
      lockAfter: 10,
      windowSeconds: 900,
      lockSeconds: 900,
      delayAfter: 3,
      baseDelayMs: 250,
      maxDelayMs: 4000,
      ipMaxFailures: 100,
      ipWindowSeconds: 900,
    });
  });

  it('refuses unknown keys, NIST-violating thresholds and inverted delays', () => {
    expect(loginThrottleSchema.safeParse({ lockAfterr: 5 }).success).to.equal(false);
    expect(loginThrottleSchema.safeParse({ lockAfter: 101 }).success).to.equal(false);
    expect(loginThrottleSchema.safeParse({ lockSeconds: 1.5 }).success).to.equal(false);
    expect(loginThrottleSchema.safeParse({ baseDelayMs: 5000, maxDelayMs: 1000 }).success).to.equal(false);
  });
});

describe('throttle key normalization', () => {
  it('normalizes logins: trimmed, lower-case, huge ones hashed', () => {
    expect(normalizeThrottleLogin('  Jean.DUPONT ')).to.equal('jean.dupont');
    expect(normalizeThrottleLogin('x'.repeat(10_000))).to.match(/^sha256:[0-9a-f]{64}$/);
  });

  it('keeps IPv4, unwraps IPv4-mapped IPv6 and reduces IPv6 to its /64', () => {
    expect(normalizeThrottleIp('192.0.2.7')).to.equal('192.0.2.7');
    expect(normalizeThrottleIp('::ffff:192.0.2.7')).to.equal('192.0.2.7');
    expect(normalizeThrottleIp('::FFFF:c000:0207')).to.equal('192.0.2.7');
    expect(normalizeThrottleIp('2001:db8:1:2::1')).to.equal('2001:db8:1:2::/64');
    expect(normalizeThrottleIp('2001:0DB8:0001:0002:ffff:ffff:ffff:fffe')).to.equal('2001:db8:1:2::/64');
    expect(normalizeThrottleIp('2001:db8::1')).to.equal('2001:db8:0:0::/64');
    expect(normalizeThrottleIp('fe80::1%eth0')).to.equal('fe80:0:0:0::/64');
    expect(normalizeThrottleIp('2001:db8:1:3::1')).to.not.equal(normalizeThrottleIp('2001:db8:1:2::1'));
    expect(normalizeThrottleIp('')).to.equal('unknown');
  });
});

describe('applyDelay', () => {
  it('waits the given milliseconds, and not at all for 0', async () => {
    let start = Date.now();
    await applyDelay(0);
    expect(Date.now() - start).to.be.below(20);
    start = Date.now();
    await applyDelay(60);
    expect(Date.now() - start).to.be.at.least(55);
  });
});

type Open = () => Promise<EphemeralPair>;

function throttleSuite(name: string, open: Open): void {
  describe(`LoginThrottle: ${name}`, () => {
    let a: EphemeralStore;
    let b: EphemeralStore;
    let close: () => Promise<void>;
    before(async () => ({ a, b, close } = await open()));
    after(() => close());

    /** The same throttle in two hub processes. */
    const pair = (cfg: LoginThrottleConfig): [LoginThrottle, LoginThrottle] => [new LoginThrottle(a, cfg), new LoginThrottle(b, cfg)];

    it('locks a login after lockAfter failures spread over two processes', async () => {
      const [p1, p2] = pair(config({ lockAfter: 5, delayAfter: 100 }));
      const { login, ip } = fresh();
      for (let i = 1; i <= 4; i++) {
        expect(await (i % 2 ? p1 : p2).check(login, ip)).to.deep.equal({ allowed: true, delayMs: 0 });
        expect(await (i % 2 ? p1 : p2).recordFailure(login, ip)).to.deep.equal({ lockedNow: false });
      }
      expect(await p2.isLocked(login)).to.equal(false);
      expect(await p1.recordFailure(login, ip)).to.deep.equal({ lockedNow: true });
      for (const p of [p1, p2]) {
        const decision = await p.check(login, ip);
        expect(decision).to.include({ allowed: false, reason: 'account_locked' });
        expect(decision.allowed === false && decision.retryAfterSeconds).to.be.within(899, 900);
        expect(await p.isLocked(login)).to.equal(true);
      }
      // Failures of attempts already in flight when the lock was set do not report it again.
      expect(await p2.recordFailure(login, ip)).to.deep.equal({ lockedNow: false });
    });

    it('locks under 30 concurrent failures, reporting lockedNow exactly once', async () => {
      const [p1, p2] = pair(config({ lockAfter: 10 }));
      const { login, ip } = fresh();
      const results = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? p1 : p2).recordFailure(login, ip)));
      expect(results.filter((r) => r.lockedNow)).to.have.length(1);
      expect(await p1.isLocked(login)).to.equal(true);
      expect(await p2.check(login, ip)).to.include({ allowed: false, reason: 'account_locked' });
    });

    it('does not lock below the threshold under concurrency', async () => {
      const [p1, p2] = pair(config({ lockAfter: 10 }));
      const { login, ip } = fresh();
      const results = await Promise.all(Array.from({ length: 9 }, (_, i) => (i % 2 ? p1 : p2).recordFailure(login, ip)));
      expect(results.some((r) => r.lockedNow)).to.equal(false);
      expect(await p1.isLocked(login)).to.equal(false);
    });

    it('treats a login that exists and one that does not identically', async () => {
      // The throttle never looks accounts up: both go through the same keys and decisions.
      const [p1] = pair(config({ lockAfter: 6, delayAfter: 2 }));
      const run = async (login: string, ip: string) => {
        const trace: Array<ThrottleDecision | { lockedNow: boolean }> = [];
        for (let i = 0; i < 7; i++) {
          trace.push(await p1.check(login, ip));
          trace.push(await p1.recordFailure(login, ip));
        }
        trace.push(await p1.check(login, ip));
        return trace;
      };
      const known = await run('jean.dupont', fresh().ip);
      const unknown = await run('nobody.at-all', fresh().ip);
      expect(unknown).to.deep.equal(known);
      expect(known.filter((t) => 'lockedNow' in t && t.lockedNow)).to.have.length(1);
      expect(known.at(-1)).to.include({ allowed: false, reason: 'account_locked' });
    });

    it('delays progressively after delayAfter failures, doubling up to the cap', async () => {
      const [p1, p2] = pair(config({ lockAfter: 100, delayAfter: 3, baseDelayMs: 250, maxDelayMs: 4000 }));
      const { login, ip } = fresh();
      const delays: number[] = [];
      for (let i = 0; i < 10; i++) {
        const decision = await p2.check(login, ip);
        expect(decision.allowed).to.equal(true);
        delays.push(decision.allowed ? decision.delayMs : -1);
        await p1.recordFailure(login, ip);
      }
      expect(delays).to.deep.equal([0, 0, 0, 250, 500, 1000, 2000, 4000, 4000, 4000]);
      expect(p1.delayFor(10_000)).to.equal(4000);
    });

    it('refuses an address over ipMaxFailures, whatever the login, and only that address', async () => {
      const [p1, p2] = pair(config({ ipMaxFailures: 5 }));
      const { ip, otherIp } = fresh();
      for (let i = 0; i < 5; i++) {
        expect((await p1.check(`spray${serial}-${i}`, ip)).allowed).to.equal(true);
        await (i % 2 ? p1 : p2).recordFailure(`spray${serial}-${i}`, ip);
      }
      expect(await p2.check('someone.else', ip)).to.deep.equal({ allowed: false, reason: 'ip_limited', retryAfterSeconds: 900 });
      expect(await p2.check('someone.else', otherIp)).to.deep.equal({ allowed: true, delayMs: 0 });
      // The logins sprayed are not locked or delayed by another address's limit.
      expect(await p1.check(`spray${serial}-0`, otherIp)).to.deep.equal({ allowed: true, delayMs: 0 });
    });

    it('groups an IPv6 /64 under one limit', async () => {
      const [p1] = pair(config({ ipMaxFailures: 3 }));
      const net = `2001:db8:${(serial += 1)}:7`;
      await p1.recordFailure('a.one', `${net}::1`);
      await p1.recordFailure('a.two', `${net}:ffff::2`);
      await p1.recordFailure('a.three', `${net}:1:2:3:4`);
      expect(await p1.check('a.four', `${net}:dead:beef::9`)).to.include({ allowed: false, reason: 'ip_limited' });
      expect((await p1.check('a.four', `2001:db8:${serial}:8::1`)).allowed).to.equal(true);
    });

    it('counts a login however it is typed', async () => {
      const [p1, p2] = pair(config({ lockAfter: 3 }));
      const { ip } = fresh();
      const login = `Marie.Curie${serial}`;
      await p1.recordFailure(login, ip);
      await p2.recordFailure(`  ${login.toUpperCase()}`, ip);
      expect(await p1.recordFailure(`${login.toLowerCase()} `, ip)).to.deep.equal({ lockedNow: true });
      expect(await p2.isLocked(login.toLowerCase())).to.equal(true);
    });

    it('does not count refused attempts', async () => {
      const [p1] = pair(config({ lockAfter: 2, delayAfter: 1, ipMaxFailures: 50 }));
      const { login, ip } = fresh();
      await p1.recordFailure(login, ip);
      for (let i = 0; i < 20; i++) await p1.check(login, ip);
      expect(await p1.check(login, ip)).to.deep.equal({ allowed: true, delayMs: 250 });
    });

    it('unlock lifts the lock and forgets the failures, from another process', async () => {
      const [p1, p2] = pair(config({ lockAfter: 3 }));
      const { login, ip } = fresh();
      for (let i = 0; i < 3; i++) await p1.recordFailure(login, ip);
      expect(await p1.isLocked(login)).to.equal(true);
      expect(await p2.unlock(login.toUpperCase())).to.equal(true);
      expect(await p1.isLocked(login)).to.equal(false);
      expect(await p1.check(login, ip)).to.deep.equal({ allowed: true, delayMs: 0 });
      expect(await p2.unlock(login)).to.equal(false);
      // The lock can be set (and reported) again after an unlock.
      const again = [];
      for (let i = 0; i < 3; i++) again.push((await p2.recordFailure(login, ip)).lockedNow);
      expect(again).to.deep.equal([false, false, true]);
    });

    it('unlock reports failures without a lock', async () => {
      const [p1] = pair(config({ lockAfter: 3 }));
      const { login, ip } = fresh();
      await p1.recordFailure(login, ip);
      expect(await p1.unlock(login)).to.equal(true);
      expect(await p1.unlock(login)).to.equal(false);
    });

    it('a lock expires after lockSeconds', async () => {
      const [p1, p2] = pair(config({ lockAfter: 2, windowSeconds: 1, lockSeconds: 1 }));
      const { login, ip } = fresh();
      await p1.recordFailure(login, ip);
      expect(await p2.recordFailure(login, ip)).to.deep.equal({ lockedNow: true });
      const locked = await p1.check(login, ip);
      expect(locked).to.deep.equal({ allowed: false, reason: 'account_locked', retryAfterSeconds: 1 });
      await sleep(1100);
      expect(await p2.check(login, ip)).to.deep.equal({ allowed: true, delayMs: 0 });
      expect(await p1.isLocked(login)).to.equal(false);
    });

    it('failures recorded while locked do not extend the lock', async () => {
      const [p1, p2] = pair(config({ lockAfter: 2, windowSeconds: 1, lockSeconds: 1 }));
      const { login, ip } = fresh();
      await p1.recordFailure(login, ip);
      await p1.recordFailure(login, ip);
      await sleep(600);
      expect(await p2.recordFailure(login, ip)).to.deep.equal({ lockedNow: false }); // an attempt in flight
      await sleep(600);
      expect(await p1.isLocked(login)).to.equal(false);
    });

    it('locks again at the next failure when failures outlive the lock', async () => {
      // lockSeconds < windowSeconds: after the lock, one more guess each lock period, each reported.
      const [p1, p2] = pair(config({ lockAfter: 2, windowSeconds: 60, lockSeconds: 1 }));
      const { login, ip } = fresh();
      await p1.recordFailure(login, ip);
      expect(await p1.recordFailure(login, ip)).to.deep.equal({ lockedNow: true });
      await sleep(1100);
      expect((await p2.check(login, ip)).allowed).to.equal(true);
      expect(await p2.recordFailure(login, ip)).to.deep.equal({ lockedNow: true });
      expect(await p1.isLocked(login)).to.equal(true);
    });

    it('success clears the login window but not the address count', async () => {
      const [p1, p2] = pair(config({ lockAfter: 5, delayAfter: 2, ipMaxFailures: 5 }));
      const { login, ip } = fresh();
      for (let i = 0; i < 4; i++) await p1.recordFailure(login, ip);
      expect(await p2.check(login, ip)).to.deep.equal({ allowed: true, delayMs: 1000 });
      await p2.recordSuccess(login, ip);
      expect(await p1.check(login, ip)).to.deep.equal({ allowed: true, delayMs: 0 });
      // 4 more failures would have locked it without the success in between.
      for (let i = 0; i < 4; i++) expect((await p1.recordFailure(login, fresh().ip)).lockedNow).to.equal(false);
      expect(await p1.isLocked(login)).to.equal(false);
      // The address keeps its 4 failures: one more and it is limited.
      await p1.recordFailure('another.login', ip);
      expect(await p1.check('third.login', ip)).to.include({ allowed: false, reason: 'ip_limited' });
    });

    describe('locked logins', () => {
      // A store of their own: the list covers the whole store, which the other tests fill.
      let own: EphemeralPair;
      beforeEach(async () => {
        own = await open();
      });
      afterEach(() => own.close());
      const throttles = (cfg: LoginThrottleConfig): [LoginThrottle, LoginThrottle] => [new LoginThrottle(own.a, cfg), new LoginThrottle(own.b, cfg)];
      const lockNow = async (throttle: LoginThrottle, login: string, ip: string, failures: number) => {
        for (let i = 0; i < failures; i++) await throttle.recordFailure(login, ip);
      };

      it('lists the logins locked now, latest first, with the end of each lock, to every process', async () => {
        const [p1, p2] = throttles(config({ lockAfter: 2 }));
        const { ip } = fresh();
        const start = Date.now();
        await lockNow(p1, 'Marie.Curie', ip, 2);
        await sleep(5);
        await p1.recordFailure('jean.dupont', ip);
        await p2.recordFailure('jean.dupont', ip);
        await p1.recordFailure('almost.locked', ip); // failures, no lock
        const locked = await p2.lockedLogins();
        expect(locked.map((l) => l.login)).to.deep.equal(['jean.dupont', 'marie.curie']);
        for (const { until } of locked) expect(until.getTime()).to.be.within(start + 900_000, Date.now() + 900_000);
        expect((await p1.lockedLogins(1)).map((l) => l.login)).to.deep.equal(['jean.dupont']);
        expect(await p1.isLocked('almost.locked')).to.equal(false);
      });

      it('forgets a lock when it is lifted, or when it ends', async () => {
        const [p1, p2] = throttles(config({ lockAfter: 1, windowSeconds: 1, lockSeconds: 1 }));
        const { ip } = fresh();
        await lockNow(p1, 'lifted', ip, 1);
        await lockNow(p1, 'ending', ip, 1);
        expect((await p2.lockedLogins()).map((l) => l.login)).to.have.members(['lifted', 'ending']);
        expect(await p2.unlock('LIFTED')).to.equal(true);
        expect((await p1.lockedLogins()).map((l) => l.login)).to.deep.equal(['ending']);
        await sleep(1100);
        expect(await p1.lockedLogins()).to.deep.equal([]);
        // Locked again: listed again.
        await lockNow(p2, 'ending', ip, 1);
        expect((await p1.lockedLogins()).map((l) => l.login)).to.deep.equal(['ending']);
      });

      it('leaves out a listed login whose lock is gone, and refuses an empty list', async () => {
        const [p1] = throttles(config({ lockAfter: 1 }));
        await lockNow(p1, 'ticket.gone', fresh().ip, 1);
        await lockNow(p1, 'still.locked', fresh().ip, 1);
        // As a hub that does not list locks would unlock it: the ticket goes, the listing stays.
        await own.b.delete('throttle:lock:ticket.gone');
        expect((await p1.lockedLogins()).map((l) => l.login)).to.deep.equal(['still.locked']);
        for (const limit of [0, -1, 1.5]) {
          const refused = await p1.lockedLogins(limit).then(() => null, (error: unknown) => error);
          expect(refused, String(limit)).to.be.instanceOf(InvariantBroken);
        }
      });
    });
  });
}

throttleSuite('memory', memoryPair);
throttleSuite('redis (two connections, as two hub processes)', redisPair);
