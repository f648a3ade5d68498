/**
 * Element text of the GAR files: escaped, and refused when it holds a character XML 1.0 cannot
 * carry at all (control characters, lone surrogates, U+FFFE/U+FFFF). No escaping makes those
 * valid, and dropping them silently would send the GAR a name nobody typed, so the export stops
 * and says whose value and which field.
 */
import { HubError } from '../../shared/errors.js';

/** Anything outside XML 1.0's `Char` production; with the `u` flag a lone surrogate is one code point, outside too. */
const NOT_AN_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const TO_ESCAPE = /[&<>\r]/g;
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#13;' };

/** The element that identifies a node: `GARPersonIdentifiant` of a person, `GARStructureUAI` of a school… */
export interface NodeSubject {
  element: string;
  value: string;
}

/** A record value no XML file can carry; names the node, who it is, and the field (never the value: pupils' data). */
export class GarValueRefused extends HubError {
  readonly node: string;
  readonly subject: NodeSubject;
  readonly field: string;
  constructor(node: string, subject: NodeSubject, field: string, codePoint: number, at: number) {
    const char = `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
    super('gar_value_refused', `${node} ${subject.element}=${subject.value}: ${field} holds ${char} at position ${at}, which XML cannot carry`, { status: 422 });
    this.node = node;
    this.subject = subject;
    this.field = field;
  }
}

/**
 * `value` escaped for element content (`\r` as a reference, since a parser turns a raw one into
 * `\n`), or GarValueRefused naming `node`, `subject` and `field`.
 */
export function elementText(value: string, node: string, subject: NodeSubject, field: string): string {
  const bad = NOT_AN_XML_CHAR.exec(value);
  if (bad) throw new GarValueRefused(node, subject, field, bad[0].codePointAt(0)!, bad.index);
  return value.replace(TO_ESCAPE, (c) => ESCAPES[c]!);
}
