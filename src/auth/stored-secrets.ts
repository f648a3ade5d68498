/**
 * Secrets kept in the store the way signing keys are (cookie keys, the SAML pairwise salt): a
 * value sealed with the secrets key, an empty public part, the same ring and states. Like
 * Keycloak's realm keys or Hydra's secrets, they are data every node reads, not configuration
 * each node must be given alike.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { SigningKeyAlg, SigningKeyUse } from '../storage/ports/index.js';
import type { KeyMaterial } from './signing-keys.js';

/** 256 random bits, base64url: long enough for every use (cookie keys want 32 characters or more). */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * A secret as the ring stores it. The kid names it without revealing it: an HMAC under the
 * secrets key, so a configured secret imported again is recognised as already there, while the
 * kid shown by `hub keys list` tells nothing about the value.
 */
export function secretMaterial(use: SigningKeyUse, alg: SigningKeyAlg, secret: string, secretsKey: string): KeyMaterial {
  const kid = `${use}-${createHmac('sha256', secretsKey).update(`${use}\u0000${secret}`).digest('hex').slice(0, 32)}`;
  return { kid, alg, publicKey: '', privateKey: secret };
}
