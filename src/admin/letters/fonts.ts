/**
 * The letters' fonts. DejaVu Sans (Debian's fonts-dejavu-core) when it is installed: it covers
 * every Latin name (Łukasz, Şahin, Nguyễn). Otherwise the PDF's standard Helvetica, which needs
 * no file but knows only WinAnsi (French is all there: é è à ç ô œ « »): the other letters of a
 * name are printed without their accent rather than as garbage.
 */
import { existsSync } from 'node:fs';

/** `system`: DejaVu when installed, else the standard fonts; `standard`: always the standard fonts. */
export type FontChoice = 'system' | 'standard';

export interface LetterFonts {
  regular: string;
  bold: string;
  /** For the login and the code: every character as wide as the others, easy to copy. */
  mono: string;
  /** Makes a text printable with these fonts. */
  printable(text: string): string;
}

const DEJAVU = '/usr/share/fonts/truetype/dejavu';
const DEJAVU_FILES = { regular: 'DejaVuSans.ttf', bold: 'DejaVuSans-Bold.ttf', mono: 'DejaVuSansMono-Bold.ttf' } as const;

/** WinAnsi (cp1252) above ASCII and Latin-1: what the standard fonts print besides U+0020–U+007E and U+00A0–U+00FF. */
const WIN_ANSI_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');
/** Letters with no decomposition into a base letter and an accent. */
const BASE_LETTERS: Record<string, string> = { 'Ł': 'L', 'ł': 'l', 'Đ': 'D', 'đ': 'd', 'ı': 'i', 'Ħ': 'H', 'ħ': 'h', 'ŀ': 'l', 'Ŀ': 'L' };

function isWinAnsi(char: string): boolean {
  const code = char.codePointAt(0)!;
  return (code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff) || WIN_ANSI_EXTRA.has(char);
}

/** Keeps what WinAnsi has; a letter it lacks loses its accent (ș → s), anything else becomes `?`. */
export function toWinAnsi(text: string): string {
  let out = '';
  for (const char of text) {
    if (isWinAnsi(char)) out += char;
    else if (BASE_LETTERS[char] !== undefined) out += BASE_LETTERS[char];
    else {
      const base = char.normalize('NFD').replace(/\p{M}/gu, '');
      out += base !== char && [...base].every(isWinAnsi) ? base : '?';
    }
  }
  return out;
}

/** The fonts to register, and whether they are files (DejaVu) or the standard fonts' names. */
export function letterFonts(choice: FontChoice): { fonts: LetterFonts; files: Partial<Record<'regular' | 'bold' | 'mono', string>> } {
  const files = { regular: `${DEJAVU}/${DEJAVU_FILES.regular}`, bold: `${DEJAVU}/${DEJAVU_FILES.bold}`, mono: `${DEJAVU}/${DEJAVU_FILES.mono}` };
  if (choice === 'system' && Object.values(files).every((f) => existsSync(f))) {
    return { fonts: { regular: 'regular', bold: 'bold', mono: 'mono', printable: (text) => text }, files };
  }
  return { fonts: { regular: 'Helvetica', bold: 'Helvetica-Bold', mono: 'Courier-Bold', printable: toWinAnsi }, files: {} };
}
