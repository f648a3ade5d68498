/**
 * The NameIDs the IdP sends: persistent pairwise ids, and transient ones.
 *
 * A persistent NameID is `base64url(HMAC-SHA256(salt, sector ‖ 0x00 ‖ account id))`, as
 * Shibboleth's ComputedId does, with the SP's entityID as the sector. Each SP sees its own value
 * (unlinkable across SPs), the same at every sign-in and on every node (no table to share),
 * and nobody without the salt can tell whose it is: HMAC, unlike a plain digest of known
 * inputs, cannot be recomputed from the (guessable) account ids. The account id goes in, not
 * the login: logins change (a name corrected, an alias chosen), the id does not. The 0x00
 * separator keeps (sector, id) pairs apart: entityIDs are URIs, which hold no NUL.
 *
 * Salt rotation. The salts are a list, the first one current: NameIDs are issued with it, and
 * `nameIdCandidates` also gives the values of the older ones, so that during the overlap a
 * NameID the SP sends back (a LogoutRequest, an AuthnRequest's Subject, a session registered
 * before the rotation) still names the account. Rotating changes every persistent NameID an SP
 * knows: it is done when a salt has leaked, not on a calendar; each SP is told (or given the
 * old → new pairs) to move its accounts over, then the old salt is dropped from the list.
 * The hub keeps one salt in the store (pairwise-salt.ts) and refuses to rotate it; the list is
 * what such a supervised change would use.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { InvariantBroken } from '../../shared/errors.js';

export const NAMEID_FORMATS = {
  persistent: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  transient: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
  emailAddress: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
} as const;
export type NameIdFormat = keyof typeof NAMEID_FORMATS;

/** What an AuthnRequest's NameIDPolicy says when the SP takes whatever the IdP sends. */
export const NAMEID_UNSPECIFIED = 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified';

export function pairwiseNameId(salt: string, spEntityId: string, account: { id: string }): string {
  if (spEntityId.includes('\u0000')) throw new InvariantBroken('an SP entityID holds a NUL character');
  return createHmac('sha256', salt).update(`${spEntityId}\u0000${account.id}`).digest('base64url');
}

/** The NameID to issue: the one of the current salt (the first). */
export function currentPairwiseNameId(salts: readonly string[], spEntityId: string, account: { id: string }): string {
  const current = salts[0];
  if (current === undefined) throw new InvariantBroken('no pairwise NameID salt is configured');
  return pairwiseNameId(current, spEntityId, account);
}

/** The values that name this account to this SP: the current salt's first, then the older ones'. */
export function nameIdCandidates(salts: readonly string[], spEntityId: string, account: { id: string }): string[] {
  return salts.map((salt) => pairwiseNameId(salt, spEntityId, account));
}

/** A one-time NameID: 160 random bits, linked to nothing (the SSO step keeps it for logout). */
export function transientNameId(): string {
  return randomBytes(20).toString('base64url');
}
