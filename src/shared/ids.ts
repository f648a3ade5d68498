import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

export const newId = (): string => randomUUID();

/** A URL-safe random secret with 256 bits of entropy (client secrets). */
export const newSecret = (): string => randomBytes(32).toString('base64url');

/** SHA-256 is enough for high-entropy machine secrets; human passwords use argon2id instead. */
export const sha256Hex = (value: string): string => createHash('sha256').update(value).digest('hex');

export function constantTimeEqualHex(aHex: string, bHex: string): boolean {
  const a = Buffer.from(aHex, 'hex');
  const b = Buffer.from(bHex, 'hex');
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}
