/**
 * Base64 as SAML carries it (a posted form field, an XML-Enc CipherValue): the alphabet, padding
 * and whitespace (line wrapping) only. Buffer.from skips any other character silently, so the
 * text is checked too: unwrapped text (a posted field, usually) by its length and by encoding the
 * octets back (native, a few µs); other text (xmlsec1 wraps at 64 characters) against the
 * alphabet (≈ 2 ns a character).
 */
const BASE64_TEXT = /^[A-Za-z0-9+/=\s]+$/;

/** The octets of `text`, or null when it is empty or holds a character outside base64 and whitespace. */
export function base64Octets(text: string): Buffer | null {
  const octets = Buffer.from(text, 'base64');
  const unwrapped = text.length > 0 && text.length === 4 * Math.ceil(octets.length / 3);
  if (unwrapped && octets.toString('base64') === text) return octets;
  return BASE64_TEXT.test(text) ? octets : null;
}
