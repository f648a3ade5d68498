/**
 * Logins of imported accounts, after entcore's rules (DOMAIN.md, "What the ENT does with
 * imported accounts"): `firstname.lastname`, accents removed, non-word characters stripped,
 * lower-case, each part cut at 30 characters; on collision a counter from 2 (`jean.dupont2`).
 * Every generated login passes `loginProblem` (src/identity/login.ts).
 */
import { loginProblem } from './login.js';
import { InvariantBroken } from '../shared/errors.js';

const PART_LENGTH = 30;
const MAX_LOGIN_LENGTH = 64;

/**
 * The base for names with no Latin letter or digit left (人名, Αλέξης, Ирина…). Transliterating
 * every script is out of reach, and a hash of the name would be just as meaningless to the
 * person; `user` (then `user2`, `user3`…) at least reads as a login, and the school can rename.
 */
export const FALLBACK_BASE = 'user';

/** Letters NFD does not decompose: ligatures and letters with a stroke. */
const SPECIAL_LETTERS: Record<string, string> = {
  œ: 'oe', Œ: 'oe', æ: 'ae', Æ: 'ae', ß: 'ss', ø: 'o', Ø: 'o', ł: 'l', Ł: 'l', đ: 'd', Đ: 'd', ð: 'd', Ð: 'd', þ: 'th', Þ: 'th', ı: 'i',
};

/** One name part: `Éloïse` → `eloise`, `N'Diaye` → `ndiaye`, `de La Fontaine` → `delafontaine`. */
export function loginPart(name: string): string {
  return name
    .replace(/[œŒæÆßøØłŁđĐðÐþÞı]/g, (c) => SPECIAL_LETTERS[c]!)
    // NFKD: NFD's accent split, plus compatibility forms (ﬁ → fi, full-width Ａ → A).
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    // entcore strips \W; `_` is a word character there but never part of a name.
    .replace(/[^a-z0-9]/g, '')
    .slice(0, PART_LENGTH);
}

/**
 * `first.last`; with one part empty (a person registered without a first name, or whose name is
 * written in another script) the other alone; with neither usable, `FALLBACK_BASE`. A single
 * character (`Ø` alone) is too short for a login and falls back too.
 */
export function baseLogin(firstName: string, lastName: string): string {
  const base = [loginPart(firstName), loginPart(lastName)].filter(Boolean).join('.');
  return base.length >= 2 ? base : FALLBACK_BASE;
}

/** `base`, `base2`, `base3`… endlessly (entcore counts from 2). */
export function* loginCandidates(base: string): Generator<string> {
  yield checked(base);
  for (let n = 2; ; n++) yield checked(`${base}${n}`);
}

/**
 * Unique logins for a batch of new people, in order, given the logins already taken (logins
 * AND login aliases of every tenant: logins are unique platform-wide). Homonyms in one batch
 * get `lea.martin`, `lea.martin2`…
 */
export function pickLogins(bases: readonly string[], taken: ReadonlySet<string>): string[] {
  const used = new Set(taken);
  return bases.map((base) => {
    for (const candidate of loginCandidates(base)) {
      if (!used.has(candidate)) {
        used.add(candidate);
        return candidate;
      }
    }
    throw new InvariantBroken('unreachable');
  });
}

/**
 * Bases come from `baseLogin`, so this only fails on a caller's mistake, or past 64 characters
 * (a 61-character base with over 999 homonyms): never cut the base to make room, since the
 * store finds the taken logins by their `base` prefix and would miss a cut one.
 */
function checked(login: string): string {
  const problem = login.length > MAX_LOGIN_LENGTH ? 'too long' : loginProblem(login);
  if (problem) throw new InvariantBroken(`generated login ${JSON.stringify(login)}: ${problem}`);
  return login;
}
