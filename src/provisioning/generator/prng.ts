/**
 * Deterministic randomness for the SDET generator. Nothing here is for security.
 *
 * Every generated entity draws from its own small PRNG seeded by (seed, kind, index), so any
 * entity can be regenerated on its own in O(1): a parent can name its children and a pupil its
 * parents without the generator remembering either. Unique numbers (AAF ids, INE, UAI digits)
 * come from affine permutations `a·i + b mod m` (a coprime with m), which are bijections.
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
    while (out.length < digits) out += this.next().toString(16).padStart(8, '0');
    return out.slice(0, digits);
  }
}

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

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Modular inverse of a mod m (a coprime with m), by the extended Euclidean algorithm. */
function modInverse(a: number, m: number): number {
  let [oldR, r] = [a % m, m];
  let [oldS, s] = [1, 0];
  while (r !== 0) {
    const q = Math.floor(oldR / r);
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return ((oldS % m) + m) % m;
}

/**
 * A seeded bijection of [0, size): `i ↦ (a·i + b) mod size`. Multipliers are kept below 2^21 so
 * that a·i stays exact in floating point for any size up to 2^32.
 */
export class AffinePermutation {
  private readonly a: number;
  private readonly b: number;
  private readonly inverseA: number;

  constructor(
    readonly size: number,
    seed: number,
    salt: number,
  ) {
    if (!Number.isSafeInteger(size) || size <= 0) throw new RangeError(`bad permutation size ${size}`);
    if (size === 1) {
      this.a = 1;
      this.b = 0;
      this.inverseA = 1;
      return;
    }
    const limit = Math.min(size, 1 << 21);
    // Start near the golden ratio of the range so consecutive indices land far apart.
    let a = (Math.floor(limit * 0.6180339887) + (hash3(seed, salt, 1) % Math.max(1, Math.floor(limit / 8)))) % limit;
    if (a < 2) a = 2;
    while (gcd(a, size) !== 1) a = a + 1 >= limit ? 1 : a + 1;
    this.a = a;
    this.b = hash3(seed, salt, 2) % size;
    this.inverseA = modInverse(a, size);
  }

  apply(i: number): number {
    return (((this.a * i) % this.size) + this.b) % this.size;
  }

  invert(j: number): number {
    const shifted = (j - this.b + this.size) % this.size;
    // inverseA may be large: multiply in two halves to stay within 2^53.
    const low = this.inverseA % 65536;
    const high = Math.floor(this.inverseA / 65536);
    return (((((high * shifted) % this.size) * 65536) % this.size) + ((low * shifted) % this.size)) % this.size;
  }
}
