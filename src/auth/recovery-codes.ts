/**
 * Recovery codes: 10 single-use codes shown once at TOTP enrolment, stored as SHA-256. Each is
 * 10 characters of the look-alike-free alphabet (≈ 48 bits): random and high-entropy, so a
 * fast hash suffices, and online guessing is bounded by the login throttle.
 */
import { createHash, randomInt } from 'node:crypto';
import { ACTIVATION_CODE_ALPHABET } from '../identity/activation-code.js';

export const RECOVERY_CODE_COUNT = 10;
const LENGTH = 10;

function newCode(): string {
  let code = '';
  for (let i = 0; i < LENGTH; i++) code += ACTIVATION_CODE_ALPHABET[randomInt(ACTIVATION_CODE_ALPHABET.length)];
  return `${code.slice(0, 5)}-${code.slice(5)}`;
}

export const newRecoveryCodes = (): string[] => Array.from({ length: RECOVERY_CODE_COUNT }, newCode);

/** Typed codes may differ in case, spaces and dashes; the hash is of the bare code. */
export function normalizeRecoveryCode(input: string): string {
  return input.normalize('NFKC').toLowerCase().replace(/[\s\-‐‑‒–—_.]/g, '');
}

export const isRecoveryCodeShape = (input: string): boolean => {
  const code = normalizeRecoveryCode(input);
  return code.length === LENGTH && [...code].every((c) => ACTIVATION_CODE_ALPHABET.includes(c));
};

export const hashRecoveryCode = (input: string): string => createHash('sha256').update(normalizeRecoveryCode(input)).digest('hex');
