/**
 * Password hashing with argon2id. Parameters: OWASP's first recommended set (19 MiB, t=2, p=1);
 * hashes made with other parameters are upgraded at the next login.
 */
import { hash, verify, type Algorithm } from '@node-rs/argon2';

/** `Algorithm.Argon2id`: the package exports a const enum, which isolated modules cannot read. */
const ARGON2ID = 2 as Algorithm;

export const ARGON2_PARAMS = { algorithm: ARGON2ID, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;
const CURRENT_PREFIX = `$argon2id$v=19$m=${ARGON2_PARAMS.memoryCost},t=${ARGON2_PARAMS.timeCost},p=${ARGON2_PARAMS.parallelism}$`;

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_PARAMS);
}

/** Computed once: verifying against it makes an unknown login cost as much as a wrong password. */
let dummyHash: Promise<string> | undefined;

/**
 * Verifies `password` against `stored`. With `stored` null (unknown login, or an account without
 * a password) a dummy hash is verified anyway and the answer is false: same work, same answer.
 */
export async function verifyPassword(stored: string | null, password: string): Promise<boolean> {
  dummyHash ??= hashPassword('dummy password for constant-shape answers');
  const target = stored ?? (await dummyHash);
  let ok: boolean;
  try {
    ok = await verify(target, password);
  } catch {
    ok = false; // a malformed stored hash must not turn into a 500 or a login
  }
  return ok && stored !== null;
}

export function needsRehash(stored: string): boolean {
  return !stored.startsWith(CURRENT_PREFIX);
}
