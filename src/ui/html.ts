/**
 * A tiny, dependency-free HTML builder. Every value interpolated into an `html` template is
 * escaped, unless it is already SafeHtml (the result of `html` or `raw`). This keeps the one
 * dangerous operation — inserting markup verbatim — explicit and greppable (`raw(`).
 */

/**
 * Markup that is known to be safe to insert as is. A class (not a branded string) so that the
 * template can tell it apart at runtime; the private field makes it impossible to forge
 * structurally from a plain object.
 */
export class SafeHtml {
  readonly #html: string;

  constructor(markup: string) {
    this.#html = markup;
  }

  toString(): string {
    return this.#html;
  }
}

/** What may appear in `${…}` inside `html`. Nullish and `false` render nothing, for `${cond && html`…`}`. */
export type HtmlValue = string | number | SafeHtml | null | undefined | false | readonly HtmlValue[];

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Escapes text for both element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (char) => ESCAPES[char] ?? char);
}

/** Marks trusted markup (e.g. oidc-provider's logout form) as safe. Use sparingly. */
export function raw(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.toString();
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/** Tagged template: `html`<p>${userText}</p>`` escapes `userText`; arrays are joined. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

/**
 * Keeps only URLs that cannot run code when used in href/action: relative ones and http(s).
 * Our URLs are built by the server, so this is defence in depth against a `javascript:` URL
 * slipping through; '#' keeps the page usable instead of failing the whole request.
 */
export function safeUrl(url: string): string {
  const trimmed = url.trim();
  if (/^(https?:)?\/\//i.test(trimmed)) return trimmed;
  // No scheme at all (no ':' before the first '/', '?' or '#'): a relative URL.
  if (!/^[^/?#]*:/.test(trimmed)) return trimmed;
  return '#';
}

/**
 * An `otpauth://totp/…` URI (the key-provisioning format of authenticator apps), kept for a link
 * a phone user can tap; anything else becomes '#'. safeUrl refuses it, as it does every scheme
 * but http(s): this is the one other scheme a hub page links to.
 */
export function safeOtpauthUrl(url: string): string {
  const trimmed = url.trim();
  return /^otpauth:\/\/totp\/[^\s]*$/i.test(trimmed) ? trimmed : '#';
}
