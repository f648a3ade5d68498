/**
 * The issuer's signing keys: one ES256 key (fast, preferred for access tokens) and one RS256 key
 * (what most RPs accept for ID tokens) per rotation, kept in the store (auth/signing-keys.ts).
 * Hubs before that kept them as a private JWK set in `keys/jwks.json`, the newest pair first:
 * a first start or `hub keys import` reads it, the benchmark and the tests' harness write one.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { AdoptedKey, KeyKind, KeyMaterial } from '../auth/signing-keys.js';
import { ConfigError } from '../shared/errors.js';

export interface SigningJwk extends JWK {
  kid: string;
  alg: 'ES256' | 'RS256';
  use: 'sig';
  /** Creation time, ISO-8601 (not a JWK member; informational for `hub keys list`). */
  iat?: number;
}
export interface KeySet {
  keys: SigningJwk[];
}

const FILE = 'jwks.json';

async function newKey(alg: 'ES256' | 'RS256'): Promise<SigningJwk> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}) });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { ...jwk, kid, alg, use: 'sig', iat: Math.floor(Date.now() / 1000) };
}

export function readKeySet(dir: string): KeySet | null {
  const file = join(dir, FILE);
  if (!existsSync(file)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new ConfigError('keys', [`${file}: not valid JSON`]);
  }
  const keys = (parsed as KeySet | null)?.keys;
  if (!Array.isArray(keys) || !keys.some((k) => k.alg === 'RS256') || !keys.some((k) => k.alg === 'ES256')) {
    throw new ConfigError('keys', [`${file}: must hold at least one ES256 and one RS256 private key`]);
  }
  return { keys };
}

/** Adds a new ES256 + RS256 pair in front of the existing keys and writes the file (0600). */
export async function generateKeys(dir: string): Promise<KeySet> {
  const existing = readKeySet(dir)?.keys ?? [];
  const keySet = { keys: [await newKey('ES256'), await newKey('RS256'), ...existing] };
  mkdirSync(dir, { recursive: true });
  const file = join(dir, FILE);
  writeFileSync(file, `${JSON.stringify(keySet, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return keySet;
}

/** The private JWKs oidc-provider expects (without our informational members). */
export function providerJwks(keySet: KeySet): { keys: JWK[] } {
  return { keys: keySet.keys.map(({ iat: _iat, ...jwk }) => jwk) };
}

/** A key as the store keeps it: the private JWK sealed, the public one in clear. */
function material({ iat: _iat, ...jwk }: SigningJwk): KeyMaterial {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = jwk;
  return { kid: jwk.kid, alg: jwk.alg, publicKey: JSON.stringify(publicJwk), privateKey: JSON.stringify(jwk) };
}

/**
 * The issuer's keys in the store: one ES256 and one RS256 per rotation. A replaced key verifies
 * as long as an ID token or access token it signed lives.
 */
export function oidcKeyKind(ttl: { idToken: number; accessToken: number }): KeyKind {
  return {
    use: 'oidc',
    generate: async () => [material(await newKey('ES256')), material(await newKey('RS256'))],
    lifetimeSeconds: Math.max(ttl.idToken, ttl.accessToken),
  };
}

/** `jwks.json` of the keys folder, for the store: the first key of each algorithm signs, the others were replaced. */
export function keySetInFolder(dir: string): AdoptedKey[] {
  const seen = new Set<string>();
  return (readKeySet(dir)?.keys ?? []).map((jwk) => {
    const role = seen.has(jwk.alg) ? 'previous' as const : 'active' as const;
    seen.add(jwk.alg);
    return { material: material(jwk), role };
  });
}

/**
 * The provider's key set from the store's published keys (oldest first), newest first as in
 * `jwks.json`: only the active ones may sign, the others carry `key_ops: ['verify']`.
 */
export function keySetOf(keys: ReadonlyArray<{ privateKey: string; state: string }>): KeySet {
  return {
    keys: [...keys].reverse().map((key) => {
      const jwk = JSON.parse(key.privateKey) as SigningJwk;
      return key.state === 'active' ? jwk : { ...jwk, key_ops: ['verify'] };
    }),
  };
}
