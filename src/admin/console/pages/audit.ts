/** The console's audit log: filters (who, what, which account, dates), pages, and the CSV and JSON-lines exports of the same filters. */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { html, type SafeHtml } from '../../../ui/html.js';
import type { Lang } from '../../../ui/i18n.js';
import { tenantBase } from '../layout.js';
import { download, type ConsolePageHandler } from '../router.js';
import { tx } from '../text.js';

interface EventView { id: string; at: string; type: string; accountId: string | null; clientId: string | null; details: Record<string, unknown> }

const FILTERS = ['actor', 'type', 'account', 'from', 'to'] as const;
const filtersOf = (ctx: Context) => Object.fromEntries(FILTERS.map((k) => [k, typeof ctx.query[k] === 'string' ? (ctx.query[k] as string).trim() : '']).filter(([, v]) => v !== ''));

function whoOf(details: Record<string, unknown>): string {
  if (details.by === 'admin') return `${String(details.admin ?? details.client ?? '')} (${String(details.role ?? '')})`;
  return typeof details.by === 'string' ? details.by : '';
}

function filterForm(lang: Lang, action: string, values: Record<string, string>): SafeHtml {
  const field = (name: string, key: Parameters<typeof tx>[1], type = 'text') => html`<div class="field"><label for="f-${name}">${tx(lang, key)}</label><input type="${type}" id="f-${name}" name="${name}" value="${values[name] ?? ''}" maxlength="64"></div>`;
  return html`<form class="inline-form panel" method="get" action="${action}">
    ${field('actor', 'auditWho')}${field('type', 'auditWhat')}${field('account', 'auditAccount')}${field('from', 'auditFrom', 'date')}${field('to', 'auditTo', 'date')}
    <input type="hidden" name="lang" value="${lang}"><button class="button button--primary" type="submit">${tx(lang, 'filter')}</button></form>`;
}

const auditPage: ConsolePageHandler = async (r) => {
  const { ctx, lang } = r;
  const filters = filtersOf(ctx);
  const base = `${tenantBase(r.tenant!.id)}/audit`;
  const after = typeof ctx.query.after === 'string' ? { after: ctx.query.after } : {};
  const page = await r.json<{ items: EventView[]; next: string | null }>('searchAudit', { query: { ...filters, ...after } });
  const exported = (format: 'csv' | 'jsonl') => `${base}.${format}?${new URLSearchParams({ ...filters, lang })}`;
  const next = page.next && `${base}?${new URLSearchParams({ ...filters, after: page.next, lang })}`;
  const when = (iso: string) => new Date(iso).toLocaleString(lang === 'fr' ? 'fr-FR' : 'en-GB', { timeZone: 'Europe/Paris' });
  r.render({
    title: tx(lang, 'audit'), section: 'audit', body: html`<p>${tx(lang, 'auditIntro')}</p>${filterForm(lang, base, filters)}
      <p><a class="button button--secondary" href="${exported('csv')}" download>${tx(lang, 'exportCsv')}</a>
        <a class="button button--secondary" href="${exported('jsonl')}" download>${tx(lang, 'exportJsonLines')}</a></p>
      <section class="panel"><div class="table-wrap" tabindex="0" role="region" aria-label="${tx(lang, 'audit')}"><table><thead><tr><th scope="col">${tx(lang, 'when')}</th><th scope="col">${tx(lang, 'what')}</th><th scope="col">${tx(lang, 'who')}</th><th scope="col">${tx(lang, 'accounts')}</th><th scope="col">${tx(lang, 'detail')}</th></tr></thead>
        <tbody>${page.items.map((e) => html`<tr><td>${when(e.at)}</td><td>${e.type}</td><td>${whoOf(e.details)}</td><td>${e.accountId ? html`<a href="${tenantBase(r.tenant!.id)}/accounts/${encodeURIComponent(e.accountId)}">${e.accountId}</a>` : ''}</td><td><code>${JSON.stringify(e.details)}</code></td></tr>`)}</tbody></table></div>
      ${next && html`<p><a href="${next}">${tx(lang, 'nextPage')}</a></p>`}</section>`,
  });
};

const exportPage = (operation: 'exportAudit' | 'exportAuditJsonl'): ConsolePageHandler => async (r) => {
  download(r.ctx, await r.call(operation, { query: filtersOf(r.ctx) }));
};

export function auditPages(router: Router, page: (handler: ConsolePageHandler) => (ctx: Context) => Promise<void>): void {
  router.get('/t/:tenant/audit', page(auditPage));
  router.get('/t/:tenant/audit.csv', page(exportPage('exportAudit')));
  router.get('/t/:tenant/audit.jsonl', page(exportPage('exportAuditJsonl')));
}
