import { hash, randomBytes, randomFillSync, timingSafeEqual } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';

/** Random bytes for ids, drawn 1,024 ids at a time: one system call per id cost more than the rest of an id. */
const idRandom = Buffer.alloc(16 * 1024);
let idRandomOffset = idRandom.length;

/**
 * Row ids: UUIDv7, time-ordered, so new rows land at the end of primary-key and (tenant, id)
 * indexes instead of on a random page each (imports write rows by the hundred thousand).
 */
export function newId(): string {
  if (idRandomOffset === idRandom.length) {
    randomFillSync(idRandom);
    idRandomOffset = 0;
  }
  const random = idRandom.subarray(idRandomOffset, (idRandomOffset += 16));
  return uuidv7({ random });
}

/** A URL-safe random secret with 256 bits of entropy (client secrets). */
export const newSecret = (): string => randomBytes(32).toString('base64url');

/** SHA-256 is enough for high-entropy machine secrets; human passwords use argon2id instead. */
export const sha256Hex = (value: string): string => hash('sha256', value, 'hex');

/** Whether `value` hashes to `expected` (a SHA-256 digest), in constant time. */
export function sha256Matches(expected: Buffer, value: string): boolean {
  const actual = hash('sha256', value, 'buffer') as unknown as Buffer;
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
