/**
 * The common document of every hub page: header with the ENT name and the language switch, one
 * card, footer. Strict CSP: no inline script or style, the only external resource is
 * /assets/hub.css; pages work without JavaScript and on a pupil's phone.
 */
import { html, raw, escapeHtml, safeUrl, type SafeHtml } from './html.js';
import { t, type Lang, type MessageKey } from './i18n.js';

export const STYLESHEET_URL = '/assets/hub.css';

/** Language names are written in their own language: a reader looks for the one they can read. */
const LANG_NAMES: Record<Lang, string> = { fr: 'Français', en: 'English' };

/**
 * A translated message in which `{name}` placeholders receive markup (e.g. a <strong> client
 * name). The message text itself is escaped like any other text.
 */
export function tHtml(lang: Lang, key: MessageKey, vars: Record<string, SafeHtml>): SafeHtml {
  // Splitting on a capturing group puts placeholder names at odd indexes.
  const parts = t(lang, key).split(/\{(\w+)\}/);
  return raw(
    parts
      .map((part, i) => (i % 2 === 0 ? escapeHtml(part) : (vars[part]?.toString() ?? escapeHtml(`{${part}}`))))
      .join(''),
  );
}

function langSwitch(lang: Lang, langSwitchUrl: string | undefined): SafeHtml | false {
  if (!langSwitchUrl) return false;
  const other: Lang = lang === 'fr' ? 'en' : 'fr';
  return html`<nav class="lang-switch" aria-label="${t(lang, 'site.langSwitchLabel')}">
        <a href="${safeUrl(langSwitchUrl)}" hreflang="${other}" lang="${other}">${LANG_NAMES[other]}</a>
      </nav>`;
}

export interface LayoutOptions {
  lang: Lang;
  /** Page title, also the <h1> of the card. */
  title: string;
  /** Prefixes the <title> with "Erreur :" so screen readers announce the problem first. */
  hasError?: boolean;
  langSwitchUrl?: string | undefined;
  /** The footer's "who to ask" line; the login page already says it in the card. */
  showHelp?: boolean;
  /** Card content after the <h1>. */
  body: SafeHtml;
}

/**
 * The common document: header with the ENT name, one card, footer. Exported for other simple
 * hub pages (e.g. the development demo application); `body` must come from `html`.
 */
export function layout(o: LayoutOptions): string {
  const siteName = t(o.lang, 'site.name');
  const documentTitle = o.hasError ? t(o.lang, 'site.errorTitle', { title: o.title }) : o.title;
  return html`<!doctype html>
<html lang="${o.lang}">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="robots" content="noindex, nofollow">
    <meta name="color-scheme" content="light">
    <title>${documentTitle} – ${siteName}</title>
    <link rel="stylesheet" href="${STYLESHEET_URL}">
  </head>
  <body>
    <a class="skip-link" href="#main">${t(o.lang, 'site.skipToContent')}</a>
    <header class="site-header">
      <div class="site-header__inner">
        <p class="brand"><span class="brand__mark" aria-hidden="true">ENT</span> <span class="brand__name">${siteName}</span></p>
      ${langSwitch(o.lang, o.langSwitchUrl)}
      </div>
    </header>
    <main id="main" class="page" tabindex="-1">
      <div class="card">
        <h1>${o.title}</h1>
        ${o.body}
      </div>
    </main>
    <footer class="site-footer">
      ${o.showHelp !== false && html`<p>${t(o.lang, 'site.help')}</p>`}
      <p>${t(o.lang, 'site.footer')}</p>
    </footer>
  </body>
</html>
`.toString();
}
