/**
 * `GARPersonIdentifiant`: the id the GAR knows a person by, in the SSO assertion and in the
 * annuaire export alike (it is the join key between the two), ≤ 64 characters.
 *
 * entcore sends its internal user UUID. Ours would be the account id, but that id is the OIDC
 * `sub` every relying party receives (so the GAR could be linked with them) and a UUIDv7, whose
 * first 48 bits are the account's creation time. A keyed hash of the account id keeps what the
 * GAR needs (stable, the same in SSO and export, computed on every node from the tenant's key)
 * and gives it nothing else. It is never worse than the UUID: if the key leaked, the identifier
 * would link to the account id, which the UUID does anyway. The key is never rotated, since the
 * GAR keeps each pupil's resources under this value; losing it makes everyone new to the GAR,
 * so it is backed up like the database. The account id, not the login, goes in: logins change
 * (a name corrected, an alias chosen), the id does not.
 */
import { createHmac } from 'node:crypto';
import { ConfigError } from '../shared/errors.js';

/** HMAC-SHA256 keys shorter than this would be guessable offline from a known account id. */
export const GAR_IDENTIFIER_KEY_MIN_LENGTH = 32;

/** 43 characters of base64url (256 bits), within the GAR's 64. */
export function garPersonIdentifier(key: string, account: { id: string }): string {
  if (key.length < GAR_IDENTIFIER_KEY_MIN_LENGTH) {
    throw new ConfigError('the GAR identifier key (gar.identifierKey)', [`it must have at least ${GAR_IDENTIFIER_KEY_MIN_LENGTH} characters`]);
  }
  return createHmac('sha256', key).update(account.id).digest('base64url');
}
