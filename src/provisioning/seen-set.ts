/**
 * The external ids a run has seen, in memory at 8 bytes each: a run must remember every person
 * it read (to find duplicate jointures and, at the end, who disappeared), and a set of strings
 * would grow by about 60 bytes per person, 60 MiB at a million.
 *
 * Each id is kept as a 64-bit fingerprint (the first 8 bytes of its SHA-256), in an
 * open-addressing table. Two ids of one run share a fingerprint with a probability of about
 * n² / 2⁶⁴ (5 × 10⁻⁸ for a million people: one bit is spent on marking empty slots); the hash is cryptographic so that nobody can
 * craft two jointures that collide.
 */
import { hash } from 'node:crypto';

const INITIAL_SLOTS = 1 << 12;

export class SeenSet {
  /** Pairs of 32-bit halves; (0, 0) marks an empty slot. */
  private slots = new Uint32Array(INITIAL_SLOTS * 2);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Adds the id; false when it was already there. */
  add(externalId: string): boolean {
    if (this.count * 2 >= this.capacity) this.grow();
    const [hi, lo] = fingerprint(externalId);
    return this.insert(hi, lo);
  }

  has(externalId: string): boolean {
    const [hi, lo] = fingerprint(externalId);
    const mask = this.capacity - 1;
    for (let slot = lo & mask; ; slot = (slot + 1) & mask) {
      const h = this.slots[slot * 2]!;
      const l = this.slots[slot * 2 + 1]!;
      if (h === 0 && l === 0) return false;
      if (h === hi && l === lo) return true;
    }
  }

  private get capacity(): number {
    return this.slots.length / 2;
  }

  private insert(hi: number, lo: number): boolean {
    const mask = this.capacity - 1;
    for (let slot = lo & mask; ; slot = (slot + 1) & mask) {
      const h = this.slots[slot * 2]!;
      const l = this.slots[slot * 2 + 1]!;
      if (h === hi && l === lo) return false;
      if (h === 0 && l === 0) {
        this.slots[slot * 2] = hi;
        this.slots[slot * 2 + 1] = lo;
        this.count += 1;
        return true;
      }
    }
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Uint32Array(old.length * 2);
    this.count = 0;
    for (let i = 0; i < old.length; i += 2) {
      if (old[i] !== 0 || old[i + 1] !== 0) this.insert(old[i]!, old[i + 1]!);
    }
  }
}

function fingerprint(externalId: string): [number, number] {
  const digest = hash('sha256', externalId, 'buffer');
  // Never (0, 0): that is the empty slot.
  return [(digest.readUInt32LE(0) | 1) >>> 0, digest.readUInt32LE(4)];
}
