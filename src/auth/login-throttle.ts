/**
 * Brute-force protection for password logins, over the EphemeralStore (Redis when several hub
 * processes run, so every limit holds across all of them).
 *
 * - Per login: failures in a sliding window slow the next attempts down (progressive delay), then
 *   lock the login for a while. Keys are the normalized login string, never an account id, so a
 *   login that does not exist is slowed and locked exactly like one that does: the throttle itself
 *   reveals nothing about which logins exist.
 * - Per source address: too many failures from one IP (one IPv6 /64) refuse its attempts until
 *   the window has drained — this is what stops one client from spraying many logins.
 *
 * The caller's sequence, for each attempt:
 *   1. `check(login, ip)`: refused → answer at once, without verifying the password and without
 *      recording a failure (counting refused attempts would let an attacker extend a lock forever);
 *      allowed → `await applyDelay(delayMs)`, then verify the password.
 *   2. `recordFailure(login, ip)` after a failed verification (wrong password, unknown login,
 *      inactive account alike), or `recordSuccess(login, ip)` after a successful one.
 *
 * Store keys: `throttle:login:<login>` (failure window), `throttle:lock:<login>` (the lock
 * ticket, value = lock end in epoch ms, TTL = lockSeconds; plus a window used to elect who set
 * the lock, see recordFailure), `throttle:ip:<address>` (failure window) and the expiring set
 * `throttle:locked` (the locked logins, each until its lock ends: what the store can list).
 */
import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { setTimeout as wait } from 'node:timers/promises';
import { z } from 'zod';
import { normalizeLogin } from '../identity/login.js';
import { InvariantBroken } from '../shared/errors.js';
import type { EphemeralStore } from '../storage/ports/ephemeral.js';

const seconds = z.number().int().positive();

export const loginThrottleSchema = z
  .strictObject({
    /**
     * Failures of one login within `windowSeconds` that lock it. Default 10: OWASP's usual
     * account-lockout figure; far below NIST SP 800-63B §5.2.2's ceiling of 100 consecutive
     * failures, and, with the delay below, an online attacker gets ~10 guesses per 15 minutes per
     * login (~1,000 a day), which the blocklisted, 12-character policy makes hopeless.
     */
    lockAfter: z.number().int().min(1).max(100).default(10),
    /** Sliding window (s) over which a login's failures are counted. Default 900 (15 min). */
    windowSeconds: seconds.default(900),
    /**
     * How long (s) a lock lasts. Default 900 (15 min): long enough to make guessing pointless,
     * short enough that a pupil locked out by a classmate (anyone can lock any login) is back
     * before the end of the lesson, without an administrator.
     */
    lockSeconds: seconds.default(900),
    /** Failures of one login after which attempts are delayed. Default 3: typos are free. */
    delayAfter: z.number().int().min(0).default(3),
    /** Delay (ms) once `delayAfter` is reached; doubles with each further failure. Default 250. */
    baseDelayMs: z.number().int().min(0).default(250),
    /** Cap (ms) of the progressive delay. Default 4000: slows scripts, keeps the page usable. */
    maxDelayMs: z.number().int().min(0).max(60_000).default(4000),
    /**
     * Failures from one source address (IPv4, or IPv6 /64) within `ipWindowSeconds` after which
     * its attempts are refused. Default 100. Caution: a school or a regional network behind one
     * NAT or proxy shows many pupils as one address; raise this for such deployments.
     */
    ipMaxFailures: z.number().int().min(1).default(100),
    /** Sliding window (s) of the per-address count. Default 900 (15 min). */
    ipWindowSeconds: seconds.default(900),
  })
  .refine((c) => c.baseDelayMs <= c.maxDelayMs, { message: 'baseDelayMs must not exceed maxDelayMs', path: ['baseDelayMs'] });

export type LoginThrottleConfig = z.infer<typeof loginThrottleSchema>;

export type ThrottleDecision =
  | { allowed: true; delayMs: number }
  | { allowed: false; reason: 'account_locked' | 'ip_limited'; retryAfterSeconds: number };

/** Same rule as the login lookup (logins are stored lower-case; users type them any way). */
export function normalizeThrottleLogin(login: string): string {
  const normalized = normalizeLogin(login);
  // Real logins are short; a pasted megabyte must not become a megabyte Redis key.
  return normalized.length <= 128 ? normalized : `sha256:${createHash('sha256').update(normalized).digest('hex')}`;
}

/**
 * The address key: IPv4 as is; IPv4-mapped IPv6 (`::ffff:1.2.3.4`, what a dual-stack socket
 * reports) as the IPv4 address — otherwise every IPv4 client would share one /64; other IPv6
 * reduced to its /64 (`2001:db8:1:2::/64`), the block one host or subscriber gets, so rotating
 * addresses inside it does not escape the limit. Anything else (no address) as given, trimmed.
 */
export function normalizeThrottleIp(ip: string): string {
  const address = ip.trim().replace(/%.*$/, ''); // an IPv6 zone id (fe80::1%eth0) is local detail
  if (isIPv4(address)) return address;
  if (!isIPv6(address)) return address.toLowerCase() || 'unknown';
  const groups = expandIPv6(address);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi, lo] = [groups[6] ?? 0, groups[7] ?? 0];
    return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  }
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
}

/** The 8 16-bit groups of a valid IPv6 address (`::` expanded, a dotted IPv4 tail converted). */
function expandIPv6(address: string): number[] {
  let text = address.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/** Waits `ms` milliseconds (the delay `check` asked for); resolves at once for 0. */
export async function applyDelay(ms: number): Promise<void> {
  if (ms > 0) await wait(ms);
}

export class LoginThrottle {
  constructor(
    private readonly ephemeral: EphemeralStore,
    private readonly config: LoginThrottleConfig,
  ) {}

  /**
   * Before verifying a password. Does the same store reads whether the login exists or not (it
   * does not know), so timing tells nothing either.
   */
  async check(login: string, ip: string): Promise<ThrottleDecision> {
    const name = normalizeThrottleLogin(login);
    const [lock, ipFailures, failures] = await Promise.all([
      this.ephemeral.get(lockKey(name)),
      this.ephemeral.count(ipKey(ip), this.config.ipWindowSeconds),
      this.ephemeral.count(loginKey(name), this.config.windowSeconds),
    ]);
    if (lock !== null) return { allowed: false, reason: 'account_locked', retryAfterSeconds: this.secondsLeft(lock) };
    if (ipFailures >= this.config.ipMaxFailures) {
      // The port counts but does not say when the oldest failure leaves the window: the whole
      // window is the honest upper bound.
      return { allowed: false, reason: 'ip_limited', retryAfterSeconds: this.config.ipWindowSeconds };
    }
    return { allowed: true, delayMs: this.delayFor(failures) };
  }

  /**
   * After a failed verification. `lockedNow` is true for exactly one failure per lock, the one
   * that set it (the caller writes the audit event), however many processes fail concurrently.
   *
   * Why no attempt slips past the threshold: `hit` is atomic (one Lua script in Redis), so of N
   * concurrent failures each sees a distinct count 1..N, and every one that sees a count at or
   * past `lockAfter` sets the lock — there is no read-then-write gap. Several may put it (the
   * same ticket, same TTL to the millisecond: harmless); to name exactly one as the setter, those
   * that found no lock record a hit in the lock key's own window (lockSeconds long) and only the
   * one that sees 1 reports lockedNow. That election window drains when the lock expires, so if
   * failures are still in the login window then (lockSeconds < windowSeconds), the next failure
   * locks again at once and is reported again: one guess per lock period, each audited.
   * Attempts already past `check` when the lock is set still finish (at most one per concurrent
   * request in flight); they find the lock and only add to the counts.
   */
  async recordFailure(login: string, ip: string): Promise<{ lockedNow: boolean }> {
    const name = normalizeThrottleLogin(login);
    const [failures] = await Promise.all([
      this.ephemeral.hit(loginKey(name), this.config.windowSeconds),
      this.ephemeral.hit(ipKey(ip), this.config.ipWindowSeconds),
    ]);
    if (failures < this.config.lockAfter) return { lockedNow: false };
    if ((await this.ephemeral.get(lockKey(name))) !== null) return { lockedNow: false };
    const electedSetter = (await this.ephemeral.hit(lockKey(name), this.config.lockSeconds)) === 1;
    const until = Date.now() + this.config.lockSeconds * 1000;
    // Listed before it is set: a lock never exists unlisted (a listed one without its ticket is skipped).
    await this.ephemeral.addToSet(LOCKED_SET, name, new Date(until));
    await this.ephemeral.put(lockKey(name), String(until), this.config.lockSeconds);
    return { lockedNow: electedSetter };
  }

  /** After a successful login: forgets the login's failures. The address's count stays (a
   * sprayer that guesses one password right must not get its budget back). */
  async recordSuccess(login: string, _ip: string): Promise<void> {
    await this.ephemeral.delete(loginKey(normalizeThrottleLogin(login)));
  }

  /** For `hub users unlock`: lifts the lock and forgets the failures; true if there was either. */
  async unlock(login: string): Promise<boolean> {
    const name = normalizeThrottleLogin(login);
    const [lock, failures] = await Promise.all([
      this.ephemeral.get(lockKey(name)),
      this.ephemeral.count(loginKey(name), this.config.windowSeconds),
    ]);
    // delete() removes the ticket and the window of a key: the lock and its election window go.
    await Promise.all([this.ephemeral.delete(lockKey(name)), this.ephemeral.delete(loginKey(name))]);
    await this.ephemeral.removeFromSet(LOCKED_SET, name);
    return lock !== null || failures > 0;
  }

  async isLocked(login: string): Promise<boolean> {
    return (await this.ephemeral.get(lockKey(normalizeThrottleLogin(login)))) !== null;
  }

  /**
   * The logins locked now (normalized, as the throttle keys them), the latest locked first, at
   * most `limit`, each with the end of its lock. Platform-wide, and whether an account has the
   * login or not (anyone can lock any login): the caller keeps those it may show. The lock
   * ticket is the truth: a listed login whose ticket is gone (unlocked by a hub that did not
   * list it, or caught between listing and locking) is left out.
   */
  async lockedLogins(limit = 1000): Promise<Array<{ login: string; until: Date }>> {
    if (!Number.isInteger(limit) || limit < 1) throw new InvariantBroken(`a list of locked logins holds at least one, not ${limit}`);
    const listed = await this.ephemeral.membersOf(LOCKED_SET, limit);
    const tickets = await Promise.all(listed.map(({ member }) => this.ephemeral.get(lockKey(member))));
    return listed.flatMap(({ member }, i) => {
      const until = Number(tickets[i]);
      return tickets[i] === null || !Number.isFinite(until) ? [] : [{ login: member, until: new Date(until) }];
    });
  }

  /** The delay before the attempt that follows `failures` failures: 0 below delayAfter, then
   * baseDelayMs doubling per further failure, capped at maxDelayMs. */
  delayFor(failures: number): number {
    const { delayAfter, baseDelayMs, maxDelayMs } = this.config;
    if (failures < delayAfter || failures === 0) return 0;
    const doublings = Math.min(failures - delayAfter, 30); // 2^30 × base is past any cap; avoids Infinity
    return Math.min(maxDelayMs, baseDelayMs * 2 ** doublings);
  }

  private secondsLeft(lockValue: string): number {
    const until = Number(lockValue);
    if (!Number.isFinite(until)) return this.config.lockSeconds;
    return Math.max(1, Math.ceil((until - Date.now()) / 1000));
  }
}

const LOCKED_SET = 'throttle:locked';
const loginKey = (name: string): string => `throttle:login:${name}`;
const lockKey = (name: string): string => `throttle:lock:${name}`;
const ipKey = (ip: string): string => `throttle:ip:${normalizeThrottleIp(ip)}`;
