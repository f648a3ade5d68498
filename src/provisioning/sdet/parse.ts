/**
 * Parsers for SDET attribute values (DOMAIN.md, "The académie annuaire"). Each returns the
 * parsed value or a reason; the mapper turns a reason into a quarantine naming the attribute.
 * Reasons never quote the value: they end up in logs and reports, and the values are often
 * minors' personal data (birth dates, INE…); the DN is enough to find the entry.
 */
import type { GroupRef } from '../model.js';
import { hasUaiShape, wrongUaiCheckLetter } from '../../identity/uai.js';
import type { GroupKind } from '../../identity/vocabulary.js';

/**
 * A parsed value, or why there is none. `warning`: the value was kept but something about it
 * deserves a human's eye (the mapper passes it on to the run's report).
 */
export type Parsed<T> = { ok: true; value: T; warning?: string } | { ok: false; reason: string };

export const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
export const fail = <T = never>(reason: string): Parsed<T> => ({ ok: false, reason });

export const DEFAULT_MAX_VALUE_LENGTH = 256;

/**
 * C0 controls, DEL and C1 controls. None belongs in a name, an id or a DN: a tab, CR or LF in a
 * value means a broken export (or an injection attempt into logs and CSV reports), so the entry
 * is quarantined for a human to look at rather than silently repaired.
 */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Every value read from the directory goes through here first: no control characters, no
 * U+FFFD (the mark of bytes that were not UTF-8, e.g. a Latin-1 export), at most `maxLength`
 * characters (code points) once trimmed. NFC so that `é` typed two ways compares equal.
 */
export function cleanValue(raw: string, maxLength = DEFAULT_MAX_VALUE_LENGTH): Parsed<string> {
  // Most directory values are printable ASCII: NFC leaves them alone and their length is their
  // code point count, so one pass over the characters replaces the regex, NFC and the spread.
  let ascii = true;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    const value = raw.trim();
    return value.length > maxLength ? fail(`is longer than ${maxLength} characters`) : ok(value);
  }
  if (CONTROL.test(raw)) return fail('contains a control character');
  if (raw.includes('\ufffd')) return fail('is not valid UTF-8 (contains U+FFFD)');
  const value = raw.trim().normalize('NFC');
  // A string has at least as many UTF-16 units as code points: count them only when it matters.
  if (value.length > maxLength && [...value].length > maxLength) return fail(`is longer than ${maxLength} characters`);
  return ok(value);
}

/** SDET's `DD/MM/YYYY`, also unpadded (`1/9/2015`) or with `.`/`-`: French dates are always day first. */
const DAY_FIRST = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/;
/** ISO `YYYY-MM-DD`, as exports from other tools write it. */
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/**
 * `YYYYMMDD`, or a generalized time at midnight UTC (`YYYYMMDD000000Z`, directories whose
 * attribute has that syntax). Another time of day is refused: `20120228230000Z` may well be
 * 29/02/2012 at midnight in Paris, and guessing a pupil's birth date is not an option.
 */
const COMPACT_DATE = /^(\d{4})(\d{2})(\d{2})(?:000000(?:\.0+)?Z?)?$/;

/**
 * A birth date → `YYYY-MM-DD`. Read in every unambiguous form (see above); refused when the
 * year has 2 digits (which century?) and when the date does not exist (31/02/2010, 29/02/2023).
 */
export function parseBirthDate(value: string): Parsed<string> {
  const parts = dateParts(value);
  if (!parts) return fail('is not a date DD/MM/YYYY');
  const [year, month, day] = parts;
  // Date.UTC rolls 31/02 over to 03/03: a round trip that changes the date reveals it.
  const date = new Date(Date.UTC(year, month - 1, day));
  // Year 0–99 would be shifted by Date.UTC, and nobody in a school was born before 1900.
  if (year < 1900 || date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return fail('is not an existing date');
  }
  return ok(`${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`);
}

/** [year, month, day] of a date in one of the accepted forms, or null. */
function dateParts(value: string): [number, number, number] | null {
  const dayFirst = DAY_FIRST.exec(value);
  if (dayFirst) return [Number(dayFirst[3]), Number(dayFirst[2]), Number(dayFirst[1])];
  const yearFirst = ISO_DATE.exec(value) ?? COMPACT_DATE.exec(value);
  return yearFirst ? [Number(yearFirst[1]), Number(yearFirst[2]), Number(yearFirst[3])] : null;
}

export interface Jointure {
  source: string;
  id: string;
}

/**
 * `SOURCE$id` (e.g. `AC-LILLE$1234567`). Both parts are restricted to a safe alphabet because
 * they become the external id, a key matched against ÉduConnect's FrEduCtRefId. Spaces around
 * the `$` (`AC-LILLE $ 1234567`, hand-edited entries) cannot be part of either, so they are dropped.
 */
export function parseJointure(value: string): Parsed<Jointure> {
  const m = /^([A-Za-z0-9_-]+) *\$ *([A-Za-z0-9._-]+)$/.exec(value);
  if (!m) return fail('is not SOURCE$id');
  return ok({ source: m[1]!, id: m[2]! });
}

/** An id without its `SOURCE$` (a bare `9000`): the same alphabet as the id of a jointure. */
export function isBareJointureId(value: string): boolean {
  return /^[A-Za-z0-9._-]+$/.test(value);
}

/** The default external-id prefix of a source: `AC-LILLE` → `LILLE` (entcore: `LILLE-1234567`). */
export function defaultExternalIdPrefix(source: string): string {
  return source.replace(/^AC-/i, '');
}

/** `<prefix>-<id>`: the form ÉduConnect's join key is built in too, so both meet. */
export function externalId(prefix: string, id: string): string {
  return `${prefix}-${id}`;
}

/**
 * SDET writes booleans `O`/`N` (oui/non); exports also write them in full (`Oui`, `NON`) or
 * in English (`TRUE`, `false`). Each spelling has one meaning, so all are read, in any case.
 */
const BOOLEANS = new Map([['O', true], ['OUI', true], ['TRUE', true], ['N', false], ['NON', false], ['FALSE', false]]);
export function parseBoolean(value: string): Parsed<boolean> {
  const v = BOOLEANS.get(value.trim().toUpperCase());
  return v === undefined ? fail('is not O or N') : ok(v);
}

/**
 * A UAI, upper-cased (some directories store `0590121l`) and without spaces (`0590121 L`).
 * A value of the right shape whose check letter is wrong is kept with a warning unless `strict`:
 * real annuaires carry such UAIs for years, and refusing the structure would refuse its people.
 */
export function parseUai(value: string, strict = true): Parsed<string> {
  const uai = value.replace(/\s+/g, '').toUpperCase();
  if (!hasUaiShape(uai)) return fail('is not a UAI (7 digits and a letter)');
  const expected = wrongUaiCheckLetter(uai);
  if (expected === null) return ok(uai);
  // A UAI is a public school id, not personal data: quoting it helps whoever fixes the annuaire.
  const problem = `${uai} has a wrong check letter (expected ${expected})`;
  return strict ? fail(problem) : { ok: true, value: uai, warning: problem };
}

/**
 * DN normalised for use as a map key: attribute types and values lower-cased (the SDET DNs use
 * case-insensitive naming attributes: ou, dc, uid, cn, ENTStructureSIREN…), spaces around `=`,
 * `,` and `+` dropped, the parts of a multi-valued RDN sorted. Escapes (`\,`, `\2C`, an escaped
 * trailing space) are kept as they are.
 * Not a full RFC 4514 canonicaliser: `\,` and `\2C` stay different; directories write one form.
 */
export function normalizeDn(dn: string): Parsed<string> {
  if (!dn.includes('\\') && !dn.includes('+')) return normalizePlainDn(dn);
  const rdns: string[] = [];
  let part = '';
  let components: string[] = [];
  const closeComponent = (): boolean => {
    const eq = unescapedIndex(part, '=');
    if (eq < 1) return false;
    const type = part.slice(0, eq).trim().toLowerCase();
    const value = trimUnescaped(part.slice(eq + 1)).toLowerCase();
    if (!/^[a-z][a-z0-9-]*$|^\d+(\.\d+)*$/.test(type) || value === '') return false;
    components.push(`${type}=${value}`);
    part = '';
    return true;
  };
  for (let i = 0; i < dn.length; i++) {
    const c = dn[i]!;
    if (c === '\\') {
      part += dn.slice(i, i + 2);
      i++;
    } else if (c === ',' || c === '+') {
      if (!closeComponent()) return fail('is not a DN');
      if (c === ',') {
        rdns.push(components.sort().join('+'));
        components = [];
      }
    } else {
      part += c;
    }
  }
  if (!closeComponent()) return fail('is not a DN');
  rdns.push(components.sort().join('+'));
  return ok(rdns.join(','));
}

const ATTRIBUTE_TYPE = /^[a-z][a-z0-9-]*$|^\d+(\.\d+)*$/;

/**
 * normalizeDn for the usual DN, without escapes or multi-valued RDNs: the same result without
 * the character-by-character walk (imports normalise several DNs per entry).
 */
function normalizePlainDn(dn: string): Parsed<string> {
  const comma = dn.indexOf(',');
  const rdn = normalizePlainRdn(comma < 0 ? dn : dn.slice(0, comma));
  if (rdn === null) return fail('is not a DN');
  if (comma < 0) return ok(rdn);
  const parent = normalizedParent(dn.slice(comma + 1));
  return parent.ok ? ok(`${rdn},${parent.value}`) : parent;
}

/**
 * Parents normalised once each, within a bound: the DNs of a directory's people share a few
 * containers (`ou=people,dc=ac-lille,dc=fr`), and an import normalises millions of DNs.
 */
const normalizedParents = new Map<string, Parsed<string>>();
function normalizedParent(dn: string): Parsed<string> {
  let parsed = normalizedParents.get(dn);
  if (parsed === undefined) {
    parsed = normalizePlainDn(dn);
    if (normalizedParents.size >= 10_000) normalizedParents.clear();
    normalizedParents.set(dn, parsed);
  }
  return parsed;
}

/** `Type = Value ` → `type=value` (as trimUnescaped: leading whitespace, trailing spaces; nothing is escaped here); null if not an RDN. */
function normalizePlainRdn(part: string): string | null {
  const eq = part.indexOf('=');
  if (eq < 1) return null;
  const type = part.slice(0, eq).trim().toLowerCase();
  let value = part.slice(eq + 1).trimStart();
  let end = value.length;
  while (end > 0 && value.charCodeAt(end - 1) === 0x20) end--;
  value = value.slice(0, end).toLowerCase();
  return ATTRIBUTE_TYPE.test(type) && value !== '' ? `${type}=${value}` : null;
}

/** The parent of a normalised DN (`cn=3a,ou=groups,dc=x` → `ou=groups,dc=x`), null at the top. */
export function parentDn(normalizedDn: string): string | null {
  const comma = unescapedIndex(normalizedDn, ',');
  return comma < 0 ? null : normalizedDn.slice(comma + 1);
}

/** The attribute value of the first RDN of a normalised DN (`ou=groups,dc=x` → `groups`). */
export function rdnValue(normalizedDn: string): string {
  const comma = unescapedIndex(normalizedDn, ',');
  const rdn = comma < 0 ? normalizedDn : normalizedDn.slice(0, comma);
  return rdn.slice(rdn.indexOf('=') + 1);
}

/**
 * `structureDN$code` (ENTEleveClasses, ENTEleveGroupes, ENTAuxEnsClasses…). The DN contains
 * commas and `=` but never a `$` in practice, the code might: split on the LAST `$` anyway,
 * since a DN ending in `$` is what it would take to make that wrong.
 */
export function parseGroupRef(value: string, kind: GroupKind): Parsed<GroupRef> {
  const dollar = value.lastIndexOf('$');
  const code = value.slice(dollar + 1).trim();
  if (dollar < 1 || code === '') return fail('is not structureDN$code');
  const structureDn = normalizeDn(value.slice(0, dollar));
  if (!structureDn.ok) return fail('is not structureDN$code (bad DN)');
  return ok({ structureDn: structureDn.value, kind, code });
}

/** ENTElevePersRelEleve: `id$relationType$financial$legal$contact$payment`. */
export interface PupilRelation {
  /** AAF id of the related person (no source: the pupil's source applies). */
  id: string;
  relationType: string;
  financial: boolean;
  legalGuardian: boolean;
  contact: boolean;
  payment: boolean;
}

/** Exactly 6 fields, flags `0`/`1` (entcore links a parent only on 6 fields and field 4 = `1`). */
export function parsePupilRelation(value: string): Parsed<PupilRelation> {
  const fields = value.split('$').map((f) => f.trim());
  if (fields.length !== 6) return fail('does not have the 6 fields id$type$financial$legal$contact$payment');
  const [id, relationType, ...flags] = fields as [string, string, string, string, string, string];
  if (!/^[A-Za-z0-9._-]+$/.test(id)) return fail('has no valid id in field 1');
  if (!flags.every((f) => f === '0' || f === '1')) return fail('has flags other than 0 or 1 in fields 3 to 6');
  const [financial, legalGuardian, contact, payment] = flags.map((f) => f === '1') as [boolean, boolean, boolean, boolean];
  return ok({ id, relationType, financial, legalGuardian, contact, payment });
}

/** A deliberately loose e-mail check: one `@`, a dotted domain, no spaces. Lower-cased. */
export function parseEmail(value: string): Parsed<string> {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value) ? ok(value.toLowerCase()) : fail('is not an e-mail address');
}

/** Index of the first `char` not escaped by a backslash, -1 if none. */
function unescapedIndex(s: string, char: string): number {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === char) return i;
  }
  return -1;
}

/** Trim spaces, but keep an escaped trailing space (`cn=a\ ` ends with a significant space). */
function trimUnescaped(s: string): string {
  let value = s.trimStart();
  while (value.endsWith(' ') && !isEscapedAt(value, value.length - 1)) value = value.slice(0, -1);
  return value;
}

function isEscapedAt(s: string, index: number): boolean {
  let backslashes = 0;
  for (let i = index - 1; i >= 0 && s[i] === '\\'; i--) backslashes++;
  return backslashes % 2 === 1;
}
