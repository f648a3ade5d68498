/**
 * Deterministic randomness for the SDET generator. Nothing here is for security.
 *
 * Every generated entity draws from its own small PRNG seeded by (seed, kind, index), so any
 * entity can be regenerated on its own in O(1): a parent can name its children and a pupil its
 * parents without the generator remembering either. Unique numbers (AAF ids, INE, UAI digits)
 * come from seeded permutations of [0, m): a small Feistel network on the next power of two,
 * cycle-walked back into range, which is a bijection with no visible arithmetic pattern.
 */

/** murmur3's finaliser: a bijection on 32-bit integers with good avalanche. */
export function fmix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 32-bit hash of up to three small integers (not a bijection). */
export function hash3(a: number, b: number, c = 0): number {
  return fmix32(fmix32(fmix32(a) ^ (b >>> 0)) ^ Math.imul(c >>> 0, 0x9e3779b1));
}

/** Folds any safe integer (negative or above 2^32 included) into a 32-bit seed. */
export function seed32(seed: number): number {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  const high = Math.floor(seed / 2 ** 32);
  return fmix32((seed >>> 0) ^ fmix32(high ^ 0x5eed));
}

/** sfc32 (Chris Doty-Humphrey's small fast counting generator), 128 bits of state. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d = 1;

  constructor(seed: number, stream: number, index: number) {
    this.a = seed >>> 0;
    this.b = stream >>> 0;
    this.c = index >>> 0;
    for (let i = 0; i < 12; i++) this.next();
  }

  /** A uniform unsigned 32-bit integer. */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.next() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Uniform integer in [min, max]. */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(probability: number): boolean {
    return this.float() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[this.int(items.length)]!;
  }

  /** `count` distinct indices in [0, n), in increasing order. */
  distinct(n: number, count: number): number[] {
    if (count >= n) return Array.from({ length: n }, (_, i) => i);
    const chosen = new Set<number>();
    while (chosen.size < count) chosen.add(this.int(n));
    return [...chosen].sort((x, y) => x - y);
  }

  hex(digits: number): string {
    let out = '';
    for (let i = 0; i < digits; i += 8) {
      const word = this.next();
      for (let shift = 28; shift >= 0 && out.length < digits; shift -= 4) out += HEX[(word >>> shift) & 15];
    }
    return out;
  }
}

const HEX = '0123456789abcdef';

/** Items drawn with decreasing, Zipf-like weights: the first of a list are the most frequent. */
export class WeightedPool<T> {
  private readonly cumulative: Float64Array;

  constructor(
    readonly items: readonly T[],
    exponent = 0.9,
  ) {
    if (items.length === 0) throw new RangeError('empty pool');
    this.cumulative = new Float64Array(items.length);
    let total = 0;
    for (let i = 0; i < items.length; i++) {
      total += 1 / (i + 2) ** exponent;
      this.cumulative[i] = total;
    }
  }

  pick(rng: Rng): T {
    const target = rng.float() * this.cumulative[this.cumulative.length - 1]!;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cumulative[mid]! > target) hi = mid;
      else lo = mid + 1;
    }
    return this.items[lo]!;
  }
}

/**
 * A seeded bijection of [0, size) with random-looking output (sizes up to 2^52): a 4-round
 * Feistel network on 2·h bits (2^(2h) ≥ size), applied again while the result is out of range
 * ("cycle walking"; fewer than 4 rounds on average since 2^(2h) < 4·size).
 */
export class FeistelPermutation {
  private readonly half: number;
  private readonly mask: number;
  private readonly keys: number[];

  constructor(
    readonly size: number,
    seed: number,
    salt: number,
  ) {
    if (!Number.isSafeInteger(size) || size <= 0 || size > 2 ** 52) throw new RangeError(`bad permutation size ${size}`);
    let bits = 2;
    while (2 ** bits < size) bits += 2;
    this.half = bits / 2;
    this.mask = 2 ** this.half - 1;
    this.keys = [0, 1, 2, 3].map((round) => hash3(seed, salt, round));
  }

  private round(value: number, round: number): number {
    return fmix32((value ^ this.keys[round]!) >>> 0) & this.mask;
  }

  private forward(x: number): number {
    const h = 2 ** this.half;
    let left = Math.floor(x / h);
    let right = x % h;
    for (let r = 0; r < 4; r++) [left, right] = [right, (left ^ this.round(right, r)) >>> 0];
    return left * h + right;
  }

  private backward(x: number): number {
    const h = 2 ** this.half;
    let left = Math.floor(x / h);
    let right = x % h;
    for (let r = 3; r >= 0; r--) [left, right] = [(right ^ this.round(left, r)) >>> 0, left];
    return left * h + right;
  }

  apply(i: number): number {
    let x = this.forward(i);
    while (x >= this.size) x = this.forward(x);
    return x;
  }

  invert(j: number): number {
    let x = this.backward(j);
    while (x >= this.size) x = this.backward(x);
    return x;
  }
}
