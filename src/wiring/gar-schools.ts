/**
 * The GAR switches of every tenant, held in memory for `TenantDirectory.gar()`, which the SSO
 * reads at every GAR sign-in and must answer without waiting. Read at start (and at each
 * `reload()`), read again at once on this process when an admin switches a school here, and on
 * the other hub processes when they find their copy older than `maxAgeMs`
 * (`tenants.garSwitchesSeconds`; read in the background; meanwhile the copy they have is used).
 */
import type { PlatformStore } from '../storage/ports/index.js';

interface Copy {
  switches: ReadonlyMap<string, boolean>;
  readAt: number;
  /** The number of the read that made it: an older read finishing later does not replace it. */
  startedBy: number;
}

const NONE: ReadonlyMap<string, boolean> = new Map();

export class GarSchoolSwitches {
  private readonly copies = new Map<string, Copy>();
  /** The latest read going on, by tenant: an old copy starts no second one meanwhile. */
  private readonly reading = new Map<string, Promise<void>>();
  private reads = 0;

  constructor(private readonly store: PlatformStore, private readonly maxAgeMs: number, private readonly now: () => number = Date.now) {}

  /** Reads the switches of these tenants (at start, and when the tenant files are read again). */
  async load(tenantIds: readonly string[]): Promise<void> {
    await Promise.all(tenantIds.map((id) => this.refresh(id)));
  }

  /** Reads the tenant's switches again now (after a change: a read started earlier may not see it). */
  async refresh(tenantId: string): Promise<void> {
    const read = this.read(tenantId);
    this.reading.set(tenantId, read);
    try {
      await read;
    } finally {
      if (this.reading.get(tenantId) === read) this.reading.delete(tenantId);
    }
  }

  /** A read whose result is kept unless a read started later was kept first. */
  private async read(tenantId: string): Promise<void> {
    const started = ++this.reads;
    const rows = await this.store.forTenant(tenantId).garSchools.list();
    const copy = this.copies.get(tenantId);
    if (copy && copy.startedBy > started) return;
    this.copies.set(tenantId, { switches: new Map(rows.map((row) => [row.uai, row.enabled])), readAt: this.now(), startedBy: started });
  }

  /** The switches as last read; an old copy is read again in the background (a failed read is tried again next time). */
  of(tenantId: string): ReadonlyMap<string, boolean> {
    const copy = this.copies.get(tenantId);
    if ((!copy || this.now() - copy.readAt > this.maxAgeMs) && !this.reading.has(tenantId)) this.refresh(tenantId).catch(() => undefined);
    return copy?.switches ?? NONE;
  }
}
