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

export class FederationFailure extends Error {
  constructor(readonly reason: FailureReason, readonly detail: string = reason, readonly status: 400 | 401 | 503 = 400) {
    super(`federated login refused (${reason}): ${detail}`);
    this.name = 'FederationFailure';
  }
}
