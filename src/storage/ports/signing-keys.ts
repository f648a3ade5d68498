/**
 * The keys every hub node shares: the OIDC issuer's JWKs, the SAML IdP's RSA keys with their
 * certificates, the secrets the hub's cookies are signed with, and the SAML IdP's pairwise
 * NameID salt. The private (secret) part is stored sealed (encrypted by the caller with the
 * secrets key); the store never sees it in clear. A key's state is derived from the time
 * (`signingKeyState`), so every node reading the same rows agrees on it without being told.
 */

export const SIGNING_KEY_USES = ['oidc', 'saml', 'cookie', 'pairwise'] as const;
export type SigningKeyUse = (typeof SIGNING_KEY_USES)[number];
/** HMAC-SHA1: what Keygrip signs cookies with; HMAC-SHA256: the pairwise NameIDs (nameid.ts). */
export type SigningKeyAlg = 'ES256' | 'RS256' | 'HMAC-SHA1' | 'HMAC-SHA256';

export interface SigningKeyRecord {
  kid: string;
  use: SigningKeyUse;
  alg: SigningKeyAlg;
  /** The public JWK (JSON) of an OIDC key; the PEM certificate of a SAML key; '' for a secret (cookie, pairwise). */
  publicKey: string;
  /** The private part, sealed; empty once retired. */
  sealedPrivateKey: string;
  /**
   * The key of the same use and algorithm this one took over from; null for the first of its
   * line. At most one key succeeds another: two rotations racing cannot both add a next key.
   */
  succeeds: string | null;
  createdAt: Date;
  /** Published from creation; signs from this instant. */
  activatesAt: Date;
  /** When a newer key took over signing (its activatesAt); null while none did. */
  deactivatedAt: Date | null;
  /** When it leaves the published set: deactivatedAt + the longest life of what it signed. */
  retiresAt: Date | null;
  /** Retired and its private part destroyed (`retire`). */
  retired: boolean;
}

export type NewSigningKey = Omit<SigningKeyRecord, 'retired'>;

/** A predecessor's end, written with the keys that replace it. */
export interface SigningKeyHandover {
  kid: string;
  deactivatedAt: Date;
  retiresAt: Date;
}

export interface SigningKeyStore {
  /** Every key of `use` (of all uses when absent), retired ones included, oldest first (then by use, algorithm). */
  list(use?: SigningKeyUse): Promise<SigningKeyRecord[]>;
  /**
   * Adds `keys` and ends the keys they replace (`handovers`), all in one transaction. Conflict
   * (field `succeeds`), with nothing written, when another key already succeeds one of the same
   * predecessors (or, for a first key, when a first key of that use and algorithm exists).
   */
  add(keys: NewSigningKey[], handovers: SigningKeyHandover[]): Promise<void>;
  /** Marks retired, and destroys the private part of, the keys whose retiresAt is at or before `now`; returns their kids. */
  retire(now: Date): Promise<string[]>;
}

/** next: published, not signing yet; active: signs; previous: published, verifies; retired: gone. */
export type SigningKeyState = 'next' | 'active' | 'previous' | 'retired';

export function signingKeyState(key: Pick<SigningKeyRecord, 'retired' | 'retiresAt' | 'activatesAt' | 'deactivatedAt'>, now: Date): SigningKeyState {
  const t = now.getTime();
  if (key.retired || (key.retiresAt && t >= key.retiresAt.getTime())) return 'retired';
  if (t < key.activatesAt.getTime()) return 'next';
  if (key.deactivatedAt && t >= key.deactivatedAt.getTime()) return 'previous';
  return 'active';
}
