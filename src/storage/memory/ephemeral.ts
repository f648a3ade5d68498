/** EphemeralStore in process memory: the embedded default only (one process, lost on restart). */
import type { EphemeralStore } from '../ports/ephemeral.js';

export class MemoryEphemeralStore implements EphemeralStore {
  private readonly values = new Map<string, { value: string; expiresAt: number }>();
  private readonly windows = new Map<string, number[]>();
  /** Expiring sets: member → end (epoch ms). */
  private readonly sets = new Map<string, Map<string, number>>();
  private readonly sweeper = setInterval(() => this.sweep(), 60_000).unref();

  async claimOnce(key: string, ttlSeconds: number): Promise<boolean> {
    if (this.read(`once:${key}`) !== null) return false;
    this.values.set(`once:${key}`, { value: '1', expiresAt: Date.now() + ttlSeconds * 1000 });
    return true;
  }

  async put(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.values.set(`ticket:${key}`, { value, expiresAt: Date.now() + ttlSeconds * 1000 });
  }

  async get(key: string): Promise<string | null> {
    return this.read(`ticket:${key}`);
  }

  async take(key: string): Promise<string | null> {
    const value = this.read(`ticket:${key}`);
    this.values.delete(`ticket:${key}`);
    return value;
  }

  async delete(key: string): Promise<void> {
    this.values.delete(`ticket:${key}`);
    this.windows.delete(key);
  }

  async hit(key: string, windowSeconds: number): Promise<number> {
    const recent = this.recent(key, windowSeconds);
    recent.push(Date.now());
    this.windows.set(key, recent);
    return recent.length;
  }

  async count(key: string, windowSeconds: number): Promise<number> {
    return this.recent(key, windowSeconds).length;
  }

  async addToSet(key: string, member: string, expiresAt: Date): Promise<void> {
    const set = this.sets.get(key) ?? new Map<string, number>();
    set.set(member, expiresAt.getTime());
    this.sets.set(key, set);
  }

  async removeFromSet(key: string, member: string): Promise<void> {
    this.sets.get(key)?.delete(member);
  }

  async membersOf(key: string, limit: number): Promise<Array<{ member: string; expiresAt: Date }>> {
    const now = Date.now();
    return [...(this.sets.get(key) ?? [])]
      .filter(([, end]) => end > now)
      .sort(([, a], [, b]) => b - a)
      .slice(0, limit)
      .map(([member, end]) => ({ member, expiresAt: new Date(end) }));
  }

  close(): void {
    clearInterval(this.sweeper);
  }

  private recent(key: string, windowSeconds: number): number[] {
    const since = Date.now() - windowSeconds * 1000;
    return (this.windows.get(key) ?? []).filter((at) => at > since);
  }

  private read(key: string): string | null {
    const entry = this.values.get(key);
    if (!entry) return null;
    if (entry.expiresAt > Date.now()) return entry.value;
    this.values.delete(key);
    return null;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.values) if (entry.expiresAt <= now) this.values.delete(key);
    // Windows are at most a day long (the longest lock window); older stamps are of no use.
    for (const [key, stamps] of this.windows) if (!stamps.some((at) => at > now - 86_400_000)) this.windows.delete(key);
    for (const [key, set] of this.sets) {
      for (const [member, end] of set) if (end <= now) set.delete(member);
      if (set.size === 0) this.sets.delete(key);
    }
  }
}
