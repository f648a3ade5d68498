/**
 * UAI (ex-RNE) school identifiers: 7 characters (3-digit département + 4 digits; Corsica uses
 * 2A/2B, left to the callers) and a check letter: the number modulo 23, read in an alphabet
 * without I, O and Q.
 */
const CHECK_ALPHABET = 'ABCDEFGHJKLMNPRSTUVWXYZ';
const UAI_SHAPE = /^(\d{7})([A-Z])$/;

export function uaiCheckLetter(digits: string): string {
  return CHECK_ALPHABET[Number(digits) % 23]!;
}

/** 7 digits and an upper-case letter, whatever the letter: what a UAI looks like. */
export function hasUaiShape(uai: string): boolean {
  return UAI_SHAPE.test(uai);
}

/**
 * The letter a UAI-shaped value should end with, or null when it has the right one (or is not
 * UAI-shaped). Real annuaires hold a few UAIs whose letter was mistyped once and copied
 * everywhere since: callers decide whether that is fatal.
 */
export function wrongUaiCheckLetter(uai: string): string | null {
  const match = UAI_SHAPE.exec(uai);
  if (!match) return null;
  const expected = uaiCheckLetter(match[1]!);
  return expected === match[2] ? null : expected;
}

export function isValidUai(uai: string): boolean {
  return hasUaiShape(uai) && wrongUaiCheckLetter(uai) === null;
}
