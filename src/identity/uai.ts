/**
 * UAI (ex-RNE) school identifiers: 7 characters (3-digit département + 4 digits; Corsica uses
 * 2A/2B, left to the callers) and a check letter: the number modulo 23, read in an alphabet
 * without I, O and Q.
 */
const CHECK_ALPHABET = 'ABCDEFGHJKLMNPRSTUVWXYZ';

export function uaiCheckLetter(digits: string): string {
  return CHECK_ALPHABET[Number(digits) % 23]!;
}

export function isValidUai(uai: string): boolean {
  const match = /^(\d{7})([A-Z])$/.exec(uai);
  return match !== null && uaiCheckLetter(match[1]!) === match[2];
}
