/** Text and identifiers of the XML the IdP writes from templates (its responses and logout messages). */
import { randomBytes } from 'node:crypto';
import { HubError } from '../../shared/errors.js';

/** A value the XML cannot carry (a control character): the account's data is wrong, not the SP. */
export class SamlValueInvalid extends HubError {
  constructor(what: string) {
    super('saml_value_invalid', `The ${what} holds a character that an XML document cannot carry, so no SAML response can be built for it.`, { status: 500, expose: false });
  }
}

/** Characters outside XML 1.0's Char production (C0 controls but tab, CR, LF; U+FFFE, U+FFFF; lone surrogates). */
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#13;', '\n': '&#10;', '\t': '&#9;' };

/** A value from the account or the request, checked for the XML it goes into (the writer escapes it). */
export function xmlValue(value: string, what: string): string {
  if (NOT_XML_CHAR.test(value)) throw new SamlValueInvalid(what);
  return value;
}

/**
 * Text for element content and double-quoted attributes alike. CR, LF and tab are escaped too, so
 * attribute normalisation and line-end handling give the SP the very characters sent.
 */
export function xmlEscape(value: string, what: string): string {
  return xmlValue(value, what).replace(/[&<>"'\r\n\t]/g, (c) => XML_ESCAPES[c]!);
}

/** `_` + 160 random bits: an xs:ID (starts with a letter or `_`), unguessable. */
export function samlId(): string {
  return `_${randomBytes(20).toString('hex')}`;
}

/** xs:dateTime in UTC, whole seconds (some SPs refuse fractions). */
export function instant(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
