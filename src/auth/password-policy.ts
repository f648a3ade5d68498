/**
 * Password policy for passwords the hub sets (activation, change, reset), after NIST SP 800-63B
 * §3.1.1.2 and ANSSI's recommendations: a length floor and ceiling, a blocklist of common
 * passwords, no passwords built on the user's own names — and deliberately NO composition rules
 * ("one digit, one capital…"): they push users to `Azerty1!` and add nothing a length floor does not.
 *
 * The checks are pure and synchronous; the blocklist is read from disk once, on first use.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

export const passwordPolicySchema = z
  .strictObject({
    /**
     * Fewest Unicode code points. Default 12: ANSSI's floor for a password guarding a personal
     * account, above NIST's 8 (with a second factor) — and a passphrase reaches it easily. The
     * schema refuses less than 8, NIST's absolute minimum.
     */
    minLength: z.number().int().min(8).default(12),
    /**
     * Most Unicode code points. Default 128: generous for passphrases (NIST asks for at least 64,
     * which the schema enforces) while bounding what argon2 is given to hash (≤ 512 UTF-8 bytes).
     */
    maxLength: z.number().int().min(64).max(1024).default(128),
    /** Refuse passwords from the shipped list of common passwords (common-passwords.txt). Default on. */
    refuseCommon: z.boolean().default(true),
    /** Refuse passwords containing the user's login, first name or last name. Default on. */
    refusePersonal: z.boolean().default(true),
  })
  .refine((p) => p.minLength <= p.maxLength, { message: 'minLength must not exceed maxLength', path: ['minLength'] });

export type PasswordPolicy = z.infer<typeof passwordPolicySchema>;

export type PasswordProblem = 'too_short' | 'too_long' | 'common' | 'personal';

export interface PasswordOwner {
  login: string;
  firstName: string;
  lastName: string;
}

/**
 * Case- and accent-insensitive form used by both the blocklist and the personal check: NFD,
 * combining marks removed (é → e, ï → i), the ligatures and letters NFD leaves whole spelled out
 * (œ → oe, æ → ae, ß → ss, ø → o, ł → l, đ → d), lower-cased.
 */
export function foldForComparison(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[œæßøłđ]/g, (c) => LETTERS_NFD_KEEPS[c] ?? c)
    .normalize('NFC');
}

const LETTERS_NFD_KEEPS: Readonly<Record<string, string>> = { œ: 'oe', æ: 'ae', ß: 'ss', ø: 'o', ł: 'l', đ: 'd' };

/** Name parts shorter than this are ignored by the personal check ("Lé", "Li" would refuse too much). */
const MIN_PERSONAL_PART = 3;

/** Shortest blocklist entry; a stripped candidate shorter than this is not looked up. */
const MIN_COMMON_ENTRY = 4;

let common: ReadonlySet<string> | undefined;

/**
 * The blocklist, read once from common-passwords.txt next to this module (resolved from
 * `import.meta.url`, so it works from sources with tsx; a build that emits JS elsewhere would
 * have to copy the file beside the emitted module). Entries are folded again on load so a
 * hand-edited line with capitals or accents still matches.
 */
export function commonPasswords(): ReadonlySet<string> {
  if (!common) {
    const text = readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8');
    const entries = new Set<string>();
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      entries.add(foldForComparison(line));
    }
    common = entries;
  }
  return common;
}

/** Trailing digits, punctuation, symbols and spaces: what users bolt on to satisfy old rules. */
const DECORATION_SUFFIX = /[\p{N}\p{P}\p{S}\s]+$/u;

/**
 * The blocklist rule, exactly: fold the password (see foldForComparison); it is common if the
 * folded password is a list entry, or if, after removing its trailing run of digits, punctuation,
 * symbols and spaces (Unicode classes N, P, S and whitespace), what is left is at least 4 code
 * points long and a list entry. So "Azerty123!", "azerty 2024" and "Marseille13" are common;
 * "123azerty" and "azerty-maison" are not (only a trailing decoration is removed), and neither is
 * a passphrase that merely contains a listed word.
 */
export function isCommonPassword(password: string): boolean {
  const list = commonPasswords();
  const folded = foldForComparison(password);
  if (list.has(folded)) return true;
  const stripped = folded.replace(DECORATION_SUFFIX, '');
  return stripped !== folded && [...stripped].length >= MIN_COMMON_ENTRY && list.has(stripped);
}

/**
 * The strings a password may not contain: each field whole with its separators removed (the login
 * `jean.dupont` as `jeandupont`, `Le Gall` as `legall`), the login whole as typed (`jean.dupont`),
 * and every run of letters of each field ("Jean-Pierre" → jean, pierre; "dupont2" → dupont), all
 * folded, keeping those of at least 3 characters.
 */
export function personalParts(person: PasswordOwner): string[] {
  const parts = new Set<string>();
  const login = foldForComparison(person.login.trim());
  parts.add(login);
  for (const field of [person.login, person.firstName, person.lastName]) {
    const folded = foldForComparison(field);
    parts.add(folded.replace(/[^\p{L}\p{N}]+/gu, ''));
    for (const run of folded.split(/[^\p{L}]+/u)) parts.add(run);
  }
  return [...parts].filter((p) => [...p].length >= MIN_PERSONAL_PART);
}

/**
 * Checks a candidate password; returns every problem found, empty when acceptable. Lengths count
 * Unicode code points after NFC normalization (NIST: one code point, one character), so "é" typed
 * as e + combining accent counts 1 and an emoji counts 1, not its 2 UTF-16 units. (A ZWJ emoji
 * sequence is several code points and counts as several.)
 */
export function checkPassword(password: string, policy: PasswordPolicy, person: PasswordOwner): PasswordProblem[] {
  // NFC never turns more than 4 code points into 1 and a code point is at most 2 UTF-16 units, so
  // past 8 units per allowed character the input is too long whatever it holds: answer without
  // normalizing or scanning a megabyte someone posted.
  if (password.length > policy.maxLength * 8) return ['too_long'];

  const problems: PasswordProblem[] = [];
  const length = [...password.normalize('NFC')].length;
  if (length < policy.minLength) problems.push('too_short');
  if (length > policy.maxLength) problems.push('too_long');
  if (policy.refuseCommon && isCommonPassword(password)) problems.push('common');
  if (policy.refusePersonal) {
    const folded = foldForComparison(password);
    if (personalParts(person).some((part) => folded.includes(part))) problems.push('personal');
  }
  return problems;
}

/** The values a setting takes across several policies; `low === high` when they all agree. */
export interface PolicyRange {
  low: number;
  high: number;
}

/**
 * What can be said truthfully of several policies at once (e.g. every tenant's policy of every
 * profile, when the page does not know the account yet): for each group of keys, the minimum
 * length it may have; the maximum length; and whether every policy refuses common passwords and
 * personal parts. Pages state the rule from this, so they never repeat a number of their own.
 */
export interface PolicySummary<K extends string> {
  /** Keys sharing the same range of minimum lengths, in the order first seen. */
  minLength: Array<{ keys: K[]; range: PolicyRange }>;
  maxLength: PolicyRange;
  /** True only when every policy refuses them. */
  refuseCommon: boolean;
  refusePersonal: boolean;
}

const widen = (range: PolicyRange | undefined, value: number): PolicyRange =>
  range ? { low: Math.min(range.low, value), high: Math.max(range.high, value) } : { low: value, high: value };

/** Summarizes `[key, policy]` pairs (a key may come several times, e.g. once per tenant); null when there are none. */
export function summarizePolicies<K extends string>(entries: Iterable<readonly [K, PasswordPolicy]>): PolicySummary<K> | null {
  const minByKey = new Map<K, PolicyRange>();
  let maxLength: PolicyRange | undefined;
  let refuseCommon = true;
  let refusePersonal = true;
  for (const [key, policy] of entries) {
    minByKey.set(key, widen(minByKey.get(key), policy.minLength));
    maxLength = widen(maxLength, policy.maxLength);
    refuseCommon &&= policy.refuseCommon;
    refusePersonal &&= policy.refusePersonal;
  }
  if (!maxLength) return null;
  const groups: PolicySummary<K>['minLength'] = [];
  for (const [key, range] of minByKey) {
    const same = groups.find((g) => g.range.low === range.low && g.range.high === range.high);
    if (same) same.keys.push(key);
    else groups.push({ keys: [key], range });
  }
  return { minLength: groups, maxLength, refuseCommon, refusePersonal };
}
