/** The console's document: header (tenant, who, sign out), menu, the page; strict CSP, no script. */
import { html, safeUrl, type SafeHtml } from '../../ui/html.js';
import type { Lang } from '../../ui/i18n.js';
import { STYLESHEET_URL } from '../../ui/layout.js';
import { tx, type TextKey } from './text.js';

export type Section = 'dashboard' | 'accounts' | 'letters' | 'duplicates' | 'imports' | 'clients' | 'service-providers' | 'audit';

const SECTIONS: Array<[Section, TextKey, string]> = [
  ['dashboard', 'dashboard', ''],
  ['accounts', 'accounts', '/accounts'],
  ['letters', 'letters', '/letters'],
  ['duplicates', 'duplicates', '/duplicates'],
  ['imports', 'imports', '/imports'],
  ['clients', 'clients', '/clients'],
  ['service-providers', 'serviceProviders', '/service-providers'],
  ['audit', 'audit', '/audit'],
];

export interface ConsolePage {
  lang: Lang;
  title: string;
  /** The tenant open in the console; null on the tenant picker. */
  tenant: { id: string; name: string } | null;
  section?: Section;
  who: string;
  csrf: string;
  /** The same page in the other language. */
  langSwitchUrl: string;
  flash?: { text: SafeHtml | string; error?: boolean } | undefined;
  body: SafeHtml;
}

export const tenantBase = (tenantId: string) => `/admin/t/${encodeURIComponent(tenantId)}`;

/** A POST form with the session's CSRF token. */
export function postForm(action: string, csrf: string, content: SafeHtml, attrs: { download?: boolean } = {}): SafeHtml {
  return html`<form method="post" action="${safeUrl(action)}"${attrs.download ? html` data-download="true"` : ''}>
    <input type="hidden" name="csrf" value="${csrf}">${content}</form>`;
}

export function consoleLayout(p: ConsolePage): string {
  const other: Lang = p.lang === 'fr' ? 'en' : 'fr';
  const nav = p.tenant && html`<nav class="admin-nav" aria-label="${tx(p.lang, 'navLabel')}"><ul>
    ${SECTIONS.map(([section, key, path]) => html`<li><a href="${tenantBase(p.tenant!.id)}${path}"${section === p.section ? html` aria-current="page"` : ''}>${tx(p.lang, key)}</a></li>`)}
  </ul></nav>`;
  return html`<!doctype html>
<html lang="${p.lang}">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="robots" content="noindex, nofollow">
    <title>${p.title} – ${tx(p.lang, 'consoleName')}</title>
    <link rel="stylesheet" href="${STYLESHEET_URL}">
    <link rel="stylesheet" href="/assets/admin.css">
  </head>
  <body class="admin-body">
    <a class="skip-link" href="#main">${tx(p.lang, 'skip')}</a>
    <header class="admin-header">
      <div class="admin-header__inner">
        <p class="brand"><span class="brand__mark" aria-hidden="true">ENT</span> <a href="/admin">${tx(p.lang, 'consoleName')}</a>${p.tenant ? html` — <strong>${p.tenant.name}</strong>` : ''}</p>
        <p>${tx(p.lang, 'signedInAs', { name: p.who })}</p>
        <p><a href="${safeUrl(p.langSwitchUrl)}" hreflang="${other}" lang="${other}">${other === 'fr' ? 'Français' : 'English'}</a></p>
        ${postForm('/admin/logout', p.csrf, html`<button class="button--link" type="submit">${tx(p.lang, 'signOut')}</button>`)}
      </div>
    </header>
    ${nav}
    <main id="main" class="admin-main" tabindex="-1">
      <h1>${p.title}</h1>
      ${p.flash && html`<div class="flash${p.flash.error ? ' flash--error' : ''}" role="${p.flash.error ? 'alert' : 'status'}">${p.flash.text}</div>`}
      ${p.body}
    </main>
  </body>
</html>
`.toString();
}
