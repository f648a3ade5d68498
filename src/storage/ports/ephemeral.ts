/**
 * Short-lived shared state: replay caches (TOTP codes, SAML assertion ids), one-time tickets
 * (pending SAML requests, MFA steps) and sliding-window counters (brute-force limits). In Redis
 * when the hub runs several processes, so a limit or a replay check holds across all of them.
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
}
