/**
 * Base64 as SAML carries it (a posted form field, an XML-Enc CipherValue): the alphabet, padding
 * and whitespace (line wrapping) only. Buffer.from skips any other character silently, so the
 * text is checked too; the usual unwrapped text is recognised by encoding the octets back
 * (native, a few µs), and only other text is matched against the alphabet (≈ 2 ns a character).
 */
const BASE64_TEXT = /^[A-Za-z0-9+/=\s]+$/;

/** The octets of `text`, or null when it is empty or holds a character outside base64 and whitespace. */
export function base64Octets(text: string): Buffer | null {
  const octets = Buffer.from(text, 'base64');
  if (text.length > 0 && octets.toString('base64') === text) return octets;
  return BASE64_TEXT.test(text) ? octets : null;
}
