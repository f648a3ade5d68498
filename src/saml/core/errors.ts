/**
 * What the SAML kit refuses. `reason` is a stable machine code the callers map to their own
 * refusals (the SP connector to its FederationFailure reasons); `detail` says what was wrong and
 * never quotes the message's values (it ends up in logs and the audit trail).
 */
import { HubError } from '../../shared/errors.js';

export type SamlErrorReason =
  | 'malformed' | 'unsigned' | 'signature' | 'schema' | 'forbidden_xml'
  | 'encryption_structure' | 'encryption_algorithm' | 'decryption';

export class SamlError extends HubError {
  constructor(readonly reason: SamlErrorReason, readonly detail: string, message: string = detail) {
    super(`saml_${reason}`, message, { status: 400, expose: false });
  }
}

/** An XML signature (or a query signature) that is present but does not hold. */
export class SignatureInvalid extends SamlError {
  constructor(detail: string) {
    super('signature', detail, `signature rejected: ${detail}`);
  }
}

/** Not one well-formed SAML protocol message valid against the SAML 2.0 schema. */
export class SchemaInvalid extends SamlError {
  constructor(why: string) {
    const message = `SAML message does not conform to the SAML 2.0 schema: ${why}`;
    super('schema', message, message);
  }
}

/** A DTD or a processing instruction: SAML messages carry neither (SAML core 1.3, bindings 3.5.4). */
export class ForbiddenXml extends SamlError {
  constructor(why: string) {
    const message = `SAML message refused: ${why}`;
    super('forbidden_xml', message, message);
  }
}
