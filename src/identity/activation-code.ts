/**
 * Activation codes for accounts without a password (DOMAIN.md): 8 characters from a 28-letter
 * alphabet without look-alikes, handed out on paper by the school; the user activates with
 * login + code, then sets a password.
 */
import { createHmac, hash, randomInt, timingSafeEqual } from 'node:crypto';

/** a–z without i, l, o, q, u (1/l/i, 0/o, q/g/9, u/v), and 3–9 (no 0, 1, 2: O, l, Z). */
export const ACTIVATION_CODE_ALPHABET = 'abcdefghjkmnprstvwxyz3456789';
export const ACTIVATION_CODE_LENGTH = 8;

/** crypto.randomInt draws without modulo bias; log2(28^8) ≈ 38.5 bits. */
export function generateActivationCode(): string {
  let code = '';
  for (let i = 0; i < ACTIVATION_CODE_LENGTH; i++) code += ACTIVATION_CODE_ALPHABET[randomInt(ACTIVATION_CODE_ALPHABET.length)];
  return code;
}

/**
 * What people type, made comparable: NFKC (full-width characters from some keyboards), lower
 * case, no spaces or dashes (`ABCD-EFGH`, `abcd efgh`). No look-alike mapping is needed: the
 * look-alikes are simply not in the alphabet.
 */
export function normalizeActivationCode(input: string): string {
  return input.normalize('NFKC').toLowerCase().replace(/[\s\-‐‑‒–—_.]/g, '');
}

export function isActivationCodeShape(code: string): boolean {
  return code.length === ACTIVATION_CODE_LENGTH && [...code].every((c) => ACTIVATION_CODE_ALPHABET.includes(c));
}

/**
 * SHA-256 hex of the normalised code, or HMAC-SHA-256 when a server-side `pepper` is given.
 * Not a slow password hash: the code is random, short-lived and single-use, and online guesses
 * are bounded by login throttling. But 38.5 bits fall to an offline search in hours on a GPU:
 * a plain SHA-256 only keeps the code from being READ in the database; a pepper kept outside it
 * is what stops a stolen dump from yielding codes still valid.
 */
export function hashActivationCode(code: string, pepper?: string | Buffer): string {
  const normalized = normalizeActivationCode(code);
  return pepper === undefined ? hash('sha256', normalized, 'hex') : createHmac('sha256', pepper).update(normalized).digest('hex');
}

/** Constant-time comparison; false for anything malformed, without throwing. */
export function verifyActivationCode(code: string, hash: string, pepper?: string | Buffer): boolean {
  if (!/^[0-9a-f]{64}$/.test(hash)) return false;
  const normalized = normalizeActivationCode(code);
  // The shape is public: rejecting a wrong shape early leaks nothing.
  if (!isActivationCodeShape(normalized)) return false;
  return timingSafeEqual(Buffer.from(hashActivationCode(normalized, pepper), 'hex'), Buffer.from(hash, 'hex'));
}

/** For print: `abcd-efgh` (two groups of four are easier to copy). */
export function formatActivationCode(code: string): string {
  const normalized = normalizeActivationCode(code);
  return `${normalized.slice(0, 4)}-${normalized.slice(4)}`;
}
