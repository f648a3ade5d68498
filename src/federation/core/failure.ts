import type { SamlError, SamlErrorReason } from '../../saml/core/errors.js';
import { HubError } from '../../shared/errors.js';

/**
 * A refused federated login. `reason` is a stable code: it is audited, and it picks the page
 * text; `detail` is for the audit trail and logs only, never shown as is.
 */
export const FAILURE_REASONS = [
  'malformed', 'schema', 'status', 'signature', 'response_unsigned', 'assertion_unsigned', 'not_encrypted', 'decryption', 'encryption_algorithm',
  'issuer', 'destination', 'recipient', 'audience', 'expired', 'not_yet_valid', 'replay', 'unsolicited', 'unknown_request',
  'state', 'nonce', 'token', 'upstream_error', 'expired_interaction', 'unknown_connector', 'no_identifier', 'unavailable', 'logout',
  // SAML: XML-Encryption structure, SAML profile rules, forbidden XML constructs.
  'encryption_structure', 'in_response_to', 'authn_statement', 'issue_instant', 'lifetime', 'duplicate_id', 'forbidden_xml',
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

export class FederationFailure extends HubError {
  declare readonly status: 400 | 401 | 503;

  constructor(readonly reason: FailureReason, readonly detail: string = reason, status: 400 | 401 | 503 = 400) {
    // Never exposed as is: the federation routes answer with their own page (`reason` picks its text).
    super('federation_refused', `federated login refused (${reason}): ${detail}`, { status, expose: false });
  }
}

/** The SAML kit's reasons as the SP's: the same names, but a missing signature is the response's. */
const SAML_REASONS: Record<SamlErrorReason, FailureReason> = {
  malformed: 'malformed', unsigned: 'response_unsigned', signature: 'signature', schema: 'schema', forbidden_xml: 'forbidden_xml',
  encryption_structure: 'encryption_structure', encryption_algorithm: 'encryption_algorithm', decryption: 'decryption',
};

/** A refusal of the SAML kit as a refused login (signatures, missing or wrong, answer 401). */
export function samlRefusal(err: SamlError): FederationFailure {
  const reason = SAML_REASONS[err.reason];
  return new FederationFailure(reason, err.detail, reason === 'signature' || reason === 'response_unsigned' ? 401 : 400);
}
