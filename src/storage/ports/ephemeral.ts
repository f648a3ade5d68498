/**
 * Short-lived shared state: replay caches (TOTP codes, SAML assertion ids), one-time tickets
 * (pending SAML requests, MFA steps), sliding-window counters (brute-force limits) and expiring
 * sets (the logins locked now). In Redis when the hub runs several processes, so a limit or a
 * replay check holds across all of them.
 */
export interface EphemeralStore {
  /** Remembers `key` for `ttlSeconds`; true the first time, false while it is remembered (a replay). */
  claimOnce(key: string, ttlSeconds: number): Promise<boolean>;
  put(key: string, value: string, ttlSeconds: number): Promise<void>;
  get(key: string): Promise<string | null>;
  /** Reads and deletes in one step: of two concurrent callers, only one gets the value. */
  take(key: string): Promise<string | null>;
  delete(key: string): Promise<void>;
  /**
   * Records one event now under `key` and returns how many happened in the last `windowSeconds`
   * (this one included).
   */
  hit(key: string, windowSeconds: number): Promise<number>;
  /** Events under `key` in the last `windowSeconds`, without recording one. */
  count(key: string, windowSeconds: number): Promise<number>;
  /**
   * Puts `member` in the expiring set `key` until `expiresAt` (again: its end moves); a member
   * leaves by itself when its end comes, so the set holds what is current (the locked logins),
   * which the other keys, read one by one, cannot list. Separate from tickets and windows:
   * `delete` does not touch it.
   */
  addToSet(key: string, member: string, expiresAt: Date): Promise<void>;
  removeFromSet(key: string, member: string): Promise<void>;
  /** The members whose end has not come, the latest to end first, at most `limit`. */
  membersOf(key: string, limit: number): Promise<Array<{ member: string; expiresAt: Date }>>;
}
