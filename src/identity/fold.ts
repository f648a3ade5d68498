/**
 * The folded form of a person's name the helpdesk searches by: lower-case, without accents
 * (é → e, ç → c, œ → oe, æ → ae, ÿ → y…), hyphens, apostrophes and other separators turned
 * into spaces, runs of spaces made one, no space at either end, at most `FOLD_MAX_LENGTH`
 * characters. `Lefèvre  Hugo`, `LEFEVRE-HUGO` and `lefevre’hugo` all fold to `lefevre hugo`.
 *
 * The database computes it too: the account search compares folded input with indexes on
 * `hub_fold(last_name || ' ' || first_name)`, a SQL function that migration 0011 generates from
 * the exports below (PostgreSQL), or this very function registered on the connection (SQLite).
 * So every step is one both sides spell the same: NFD (`normalize`; canonical decompositions are stable
 * across Unicode versions),
 * a range of marks, an ASCII-only lower-case (a locale's `lower()` differs between servers), a
 * short table (`translate`/`replace`), one bracket expression (`regexp_replace`). Characters
 * nothing here names are kept as they are, on both sides.
 *
 * FROZEN: PostgreSQL's `hub_fold` was created from this table and expression indexes hold its
 * results. Changing the table, the separators or the length means a new migration that
 * recreates `hub_fold` from the new table and rebuilds the indexes that use it; until then
 * PostgreSQL and JavaScript would fold differently and searches would miss rows.
 */

/** Folded keys are cut here: a key stays far below PostgreSQL's b-tree entry limit (~2,700 bytes), whatever a name holds. */
export const FOLD_MAX_LENGTH = 200;

/**
 * Letters NFD keeps whole (ø, ł, đ…) and ligatures, by what they fold to. The letters NFD
 * splits (é → e + U+0301) need no entry: the split drops their accent.
 */
const WHOLE_LETTERS: Readonly<Record<string, string>> = {
  d: 'ĐđÐð',
  h: 'Ħħ',
  i: 'ı',
  l: 'ŁłĿŀ',
  o: 'Øø',
  t: 'Ŧŧ',
  oe: 'Œœ',
  ae: 'Ææ',
  ss: 'ßẞ',
  th: 'Þþ',
  ij: 'Ĳĳ',
};

/** Each character of `WHOLE_LETTERS` and what it becomes. */
export const FOLD_LETTERS: ReadonlyMap<string, string> = new Map(
  Object.entries(WHOLE_LETTERS).flatMap(([to, chars]) => [...chars].map((c): [string, string] => [c, to])),
);

/**
 * Become a space, and a run of them one space: hyphens and dashes, the apostrophes and quotes
 * people type in names (N'Diaye, N’Diaye), dots and commas, every kind of space and line break.
 * `-` comes first: so placed, it is itself in a bracket expression of both regex dialects.
 */
export const FOLD_SEPARATORS = "-‐‑‒–—'’‘ʼ`´., \t\n\r\f\v\u00a0\u2007\u2009\u202f\u3000";

/** Accents NFD split from their letters (and accents stored apart), dropped: U+0300 to U+036F. */
export const FOLD_MARKS = { first: 0x300, last: 0x36f } as const;

const MARKS = new RegExp(`[${String.fromCharCode(FOLD_MARKS.first)}-${String.fromCharCode(FOLD_MARKS.last)}]`, 'g');
const SEPARATOR_RUNS = new RegExp(`[${FOLD_SEPARATORS}]+`, 'g');
const LETTERS = new RegExp(`[${[...FOLD_LETTERS.keys()].join('')}]`, 'g');

/**
 * The folded form, in this order (PostgreSQL's `hub_fold` does the same steps): NFD, accents
 * dropped, A-Z lower-cased (ASCII only: other scripts keep their case on both sides), whole
 * letters and ligatures replaced, separator runs made one space, cut at `FOLD_MAX_LENGTH`
 * characters (code points, as PostgreSQL counts them), then a space at either end dropped.
 */
export function foldName(text: string): string {
  const spaced = text
    .normalize('NFD')
    .replace(MARKS, '')
    .replace(/[A-Z]+/g, (upper) => upper.toLowerCase())
    .replace(LETTERS, (c) => FOLD_LETTERS.get(c)!)
    .replace(SEPARATOR_RUNS, ' ');
  return cut(spaced, FOLD_MAX_LENGTH).replace(/^ | $/g, '');
}

function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let out = '';
  let count = 0;
  for (const c of text) {
    if (count++ === max) break;
    out += c;
  }
  return out;
}
