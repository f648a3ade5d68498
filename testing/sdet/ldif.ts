/**
 * Minimal LDIF (RFC 2849) helpers: writing attribute lines, and reading back the content
 * records the generator writes (tests, small files; not a general LDIF parser: no change
 * records, no `:<` URLs).
 */

/**
 * True when a value may be written as `attr: value`: printable ASCII only, not starting with a
 * space, `:` or `<`, and not ending with a space (RFC 2849 SAFE-STRING, made stricter: control
 * characters, which RFC 2849 would allow raw, are base64 too). Everything else, including all
 * non-ASCII UTF-8, must be written `attr:: base64`.
 */
export function isSafeLdifValue(value: string): boolean {
  const length = value.length;
  if (length === 0) return true;
  const first = value.charCodeAt(0);
  if (first === 0x20 || first === 0x3a || first === 0x3c || value.charCodeAt(length - 1) === 0x20) return false;
  for (let i = 0; i < length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

/** True when `prefix + tail` is safe, given that `prefix` is known safe and non-empty. */
export function isSafeLdifTail(tail: string): boolean {
  const length = tail.length;
  for (let i = 0; i < length; i++) {
    const c = tail.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return length === 0 || tail.charCodeAt(length - 1) !== 0x20;
}

/** One attribute line, without the newline. */
export function ldifLine(attribute: string, value: string): string {
  return isSafeLdifValue(value) ? `${attribute}: ${value}` : `${attribute}:: ${Buffer.from(value, 'utf8').toString('base64')}`;
}

export type LdifAttributes = Map<string, string[]>;

export interface LdifRecord {
  dn: string;
  /** Attribute names as written (case kept), values decoded from base64 where needed. */
  attributes: LdifAttributes;
}

/** Appends one attribute (all its values) to an entry being built. */
export function pushAttribute(lines: string[], attribute: string, values: string | readonly string[] | undefined): void {
  if (values === undefined) return;
  if (typeof values === 'string') lines.push(ldifLine(attribute, values));
  else for (const value of values) lines.push(ldifLine(attribute, value));
}

/** Parses content records (`dn:` + attributes). Folded lines and base64 values are handled. */
export function parseLdif(text: string): LdifRecord[] {
  const records: LdifRecord[] = [];
  const unfolded = text.replace(/\r?\n /g, '');
  for (const block of unfolded.split(/\r?\n(?:\r?\n)+/)) {
    const lines = block.split(/\r?\n/).filter((line) => line !== '' && !line.startsWith('#'));
    if (lines.length === 0) continue;
    if (lines.length === 1 && /^version:/i.test(lines[0]!)) continue;
    let dn: string | undefined;
    const attributes: LdifAttributes = new Map();
    for (const line of lines) {
      if (/^version:/i.test(line) && dn === undefined) continue;
      const colon = line.indexOf(':');
      if (colon <= 0) throw new Error(`bad LDIF line: ${JSON.stringify(line.slice(0, 80))}`);
      const name = line.slice(0, colon);
      const base64 = line[colon + 1] === ':';
      const raw = line.slice(colon + (base64 ? 2 : 1)).replace(/^ +/, '');
      const value = base64 ? Buffer.from(raw, 'base64').toString('utf8') : raw;
      if (dn === undefined) {
        if (name.toLowerCase() !== 'dn') throw new Error(`LDIF record does not start with dn: ${JSON.stringify(line.slice(0, 80))}`);
        dn = value;
        continue;
      }
      const values = attributes.get(name);
      if (values) values.push(value);
      else attributes.set(name, [value]);
    }
    if (dn !== undefined) records.push({ dn, attributes });
  }
  return records;
}
