/**
 * The rules every query string, path and form body must follow before any route sees it.
 * Pure functions: the middleware (input-guard.ts) reads the request and applies them.
 *
 * Why at the edge: a NUL byte, a C1 control or an invalid UTF-8 sequence is never a legitimate
 * value of any field the hub or oidc-provider reads, and PostgreSQL refuses some of them (a
 * 500 after the work was half done). One place refuses them all, with a 400 a person can read.
 *
 * The rules:
 * - percent-encoded bytes must decode to valid UTF-8 (no silent U+FFFD), and the raw request
 *   target must be printable ASCII (browsers percent-encode everything else);
 * - no control character (C0, DEL, C1), except tab, line feed and carriage return in the few
 *   values that are multi-line by nature (base64 of SAML messages may be wrapped, the OIDC JSON
 *   parameters `claims` and `authorization_details` may be pretty-printed);
 * - at most MAX_PARAMS parameters per query string or body, names of at most MAX_NAME_LENGTH
 *   characters, values of at most MAX_VALUE_LENGTH characters (FIELD_MAX_LENGTH is tighter for
 *   the hub's own form fields; SAML messages are bounded by their body limit only).
 *
 * Unicode normalisation: the hub's own form values are normalised to NFC (a login typed on a
 * keyboard that sends "e" + combining accent finds the same account), except passwords, which
 * are compared byte for byte with their hash as they were first chosen. Query strings and
 * oidc-provider's bodies are checked but never rewritten: `state`, `nonce` or a token must come
 * back to the RP exactly as it sent them.
 */

export const MAX_PARAMS = 64;
export const MAX_NAME_LENGTH = 128;
/** Generous: a signed request object or an id_token_hint fits; a person's input is far shorter. */
export const MAX_VALUE_LENGTH = 16 * 1024;
export const MAX_PATH_LENGTH = 2048;

/** The hub's own form fields: tighter caps, matching what the pages accept and the stores keep. */
export const FIELD_MAX_LENGTH: Readonly<Record<string, number>> = {
  login: 256,
  email: 320,
  password: 1024,
  password2: 1024,
  current: 1024,
  code: 64,
  recovery: 64,
  terms: 64,
  intent: 16,
  account: 128,
};

/** Compared with a stored hash as typed when chosen: never rewritten. */
const SECRET_FIELDS: ReadonlySet<string> = new Set(['password', 'password2', 'current']);

/** Values that may span lines: SAML messages (wrapped base64) and OIDC's JSON parameters. */
const MULTI_LINE_FIELDS: ReadonlySet<string> = new Set(['SAMLResponse', 'SAMLRequest', 'claims', 'authorization_details']);

/** SAML messages are as long as their body limit allows (an assertion with many attributes). */
const UNBOUNDED_FIELDS: ReadonlySet<string> = new Set(['SAMLResponse', 'SAMLRequest']);

export type Reason = 'invalid_utf8' | 'control_character' | 'too_long' | 'too_many_parameters' | 'raw_non_ascii';

export type Where = 'path' | 'query' | 'body';

/** Why a request is refused: which part, which parameter (when known) and what rule. */
export interface InputProblem {
  where: Where;
  /** The parameter's name, when the name itself is readable. */
  field: string | null;
  reason: Reason;
}

export type Params = Array<[name: string, value: string]>;

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });

// C0 controls, DEL and C1 controls; the second form lets tab, LF and CR through.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const CONTROL_BUT_WHITESPACE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

/** In a `u` expression a surrogate pair is one code point: this matches only unpaired halves. */
const LONE_SURROGATE = /\p{Surrogate}/u;

const isHex = (byte: number | undefined): boolean =>
  byte !== undefined && ((byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66));

/**
 * A form-urlencoded component decoded as node's `querystring` does (`+` is a space, a `%` not
 * followed by two hex digits stays as it is), except that bytes which are not UTF-8 give null
 * instead of U+FFFD. Both parsers then see the same value for every component accepted here.
 */
export function decodeComponent(component: string): string | null {
  const spaced = component.replace(/\+/g, ' ');
  // Fast path, taken by nearly every request: for well-formed text whose `%` all start valid
  // UTF-8 escapes, decodeURIComponent gives exactly the bytes-then-UTF-8 decoding below; it
  // throws on anything else (a stray `%`, bytes that are not UTF-8), and keeps a leading BOM
  // that the decoder drops: the loop decides those.
  if (!LONE_SURROGATE.test(component)) {
    try {
      const decoded = spaced.includes('%') ? decodeURIComponent(spaced) : spaced;
      if (decoded.charCodeAt(0) !== 0xfeff) return decoded;
    } catch {
      // decided byte by byte below
    }
  }
  const bytes = Buffer.from(spaced, 'utf8');
  const out = Buffer.allocUnsafe(bytes.length);
  let length = 0;
  for (let i = 0; i < bytes.length; i += 1) {
    if (bytes[i] === 0x25 && isHex(bytes[i + 1]) && isHex(bytes[i + 2])) {
      out[length] = Number.parseInt(String.fromCharCode(bytes[i + 1]!, bytes[i + 2]!), 16);
      i += 2;
    } else {
      out[length] = bytes[i]!;
    }
    length += 1;
  }
  try {
    return fatalUtf8.decode(out.subarray(0, length));
  } catch {
    return null;
  }
}

/** A name safe to repeat in a log line or an error description; null if it is not. */
export function printableName(name: string): string | null {
  return /^[\w.\-[\]]{1,64}$/.test(name) ? name : null;
}

function checkText(where: Where, field: string | null, text: string, max: number, multiLine: boolean): InputProblem | null {
  if ((multiLine ? CONTROL_BUT_WHITESPACE : CONTROL).test(text)) return { where, field, reason: 'control_character' };
  if (text.length > max) return { where, field, reason: 'too_long' };
  return null;
}

/** Limits of one parameter: the hub's field table, else the general cap. */
function maxLengthOf(name: string, hubForm: boolean): number {
  if (UNBOUNDED_FIELDS.has(name)) return Number.POSITIVE_INFINITY;
  return (hubForm ? FIELD_MAX_LENGTH[name] : undefined) ?? MAX_VALUE_LENGTH;
}

/**
 * Parses and checks a query string or form body (already known to be a string of valid UTF-8).
 * `hubForm`: a body for the hub's own forms, which gets the field table's caps.
 */
export function checkParams(where: Where, raw: string, hubForm = false): { params: Params } | { problem: InputProblem } {
  if (raw === '') return { params: [] };
  const pairs = raw.split('&').filter((pair) => pair !== '');
  if (pairs.length > MAX_PARAMS) return { problem: { where, field: null, reason: 'too_many_parameters' } };
  const params: Params = [];
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const name = decodeComponent(eq === -1 ? pair : pair.slice(0, eq));
    if (name === null) return { problem: { where, field: null, reason: 'invalid_utf8' } };
    const field = printableName(name);
    const nameProblem = checkText(where, null, name, MAX_NAME_LENGTH, false);
    if (nameProblem) return { problem: nameProblem };
    const value = eq === -1 ? '' : decodeComponent(pair.slice(eq + 1));
    if (value === null) return { problem: { where, field, reason: 'invalid_utf8' } };
    const problem = checkText(where, field, value, maxLengthOf(name, hubForm), MULTI_LINE_FIELDS.has(name));
    if (problem) return { problem };
    params.push([name, value]);
  }
  return { params };
}

const isHexCode = (code: number): boolean => (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66);

/**
 * Whether `raw` is plainly safe, so that checkParams(where, raw) (hubForm false) accepts it:
 * printable ASCII (or a space) and only escapes of printable ASCII bytes (%20 to %7E), so every
 * decoded component is printable ASCII too, with at most MAX_PARAMS parameters and names and
 * values within their caps before decoding (decoding only shortens them). One pass without
 * decoding or allocating: nearly every request's query string and oidc-provider's form bodies
 * (the token endpoint's above all) are decided here. False means "not decided": the full check runs.
 */
export function plainlySafeParams(raw: string): boolean {
  let params = 0;
  let start = 0; // of the current pair
  let eq = -1; // of its first `=`
  for (let i = 0; i <= raw.length; i += 1) {
    const code = i < raw.length ? raw.charCodeAt(i) : 0x26;
    if (code === 0x26) {
      if (i > start) {
        params += 1;
        const nameEnd = eq === -1 ? i : eq;
        if (params > MAX_PARAMS || nameEnd - start > MAX_NAME_LENGTH || (eq !== -1 && i - eq - 1 > MAX_VALUE_LENGTH)) return false;
      }
      start = i + 1;
      eq = -1;
    } else if (code === 0x3d) {
      if (eq === -1) eq = i;
    } else if (code === 0x25) {
      const high = raw.charCodeAt(i + 1);
      const low = raw.charCodeAt(i + 2);
      // %20 to %7E: a printable byte once decoded (a `%` followed by anything else goes to the full check).
      if (high < 0x32 || high > 0x37 || !isHexCode(low) || (high === 0x37 && (low === 0x46 || low === 0x66))) return false;
      i += 2;
    } else if (code < 0x20 || code > 0x7e) {
      return false;
    }
  }
  return true;
}

/** Whether checkPath(path) accepts `path` without decoding it: unreserved characters and `/` only. */
export function plainlySafePath(path: string): boolean {
  return path.length <= MAX_PATH_LENGTH && PLAIN_PATH.test(path);
}

const PLAIN_PATH = /^[A-Za-z0-9\-._~/]*$/;

/** The request target's raw text: printable ASCII only (browsers percent-encode the rest). */
export function checkRawTarget(where: Where, raw: string): InputProblem | null {
  return /^[\x21-\x7e]*$/.test(raw) ? null : { where, field: null, reason: 'raw_non_ascii' };
}

/** The path: each segment percent-decodes to UTF-8 text without control characters. */
export function checkPath(path: string): InputProblem | null {
  const raw = checkRawTarget('path', path);
  if (raw) return raw;
  if (path.length > MAX_PATH_LENGTH) return { where: 'path', field: null, reason: 'too_long' };
  // '+' is a literal plus in a path: escape it so that decodeComponent keeps it.
  const decoded = decodeComponent(path.replace(/\+/g, '%2B'));
  if (decoded === null) return { where: 'path', field: null, reason: 'invalid_utf8' };
  return CONTROL.test(decoded) ? { where: 'path', field: null, reason: 'control_character' } : null;
}

/** A valid UTF-8 body as text, or null. */
export function utf8Text(body: Buffer): string | null {
  try {
    return fatalUtf8.decode(body);
  } catch {
    return null;
  }
}

/**
 * The hub's forms as their routes read them (the shape @koa/bodyparser gives): values in NFC
 * but secrets, a repeated name as an array. Names like `a[b]` stay flat: no route reads them.
 */
export function hubFormBody(params: Params): Record<string, string | string[]> {
  const body: Record<string, string | string[]> = {};
  for (const [name, raw] of params) {
    const value = SECRET_FIELDS.has(name) ? raw : raw.normalize('NFC');
    const previous = Object.hasOwn(body, name) ? body[name] : undefined;
    // defineProperty: a field named `__proto__` is a plain key, never the prototype.
    const next = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
    Object.defineProperty(body, name, { value: next, enumerable: true, writable: true, configurable: true });
  }
  return body;
}
