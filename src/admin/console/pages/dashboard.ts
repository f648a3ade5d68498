/** The console's dashboard: accounts by profile and status, activation per school, sign-ins (an SVG chart), locks, imports. */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { html, raw, type SafeHtml } from '../../../ui/html.js';
import type { Lang } from '../../../ui/i18n.js';
import { tenantBase } from '../layout.js';
import type { ConsolePageHandler } from '../router.js';
import { tx, type TextKey } from '../text.js';

interface DashboardView {
  accounts: Array<{ profile: string; status: string; count: number }>;
  activation: Array<{ uai: string; name: string; accounts: number; active: number; pending: number }>;
  signIns: Array<{ day: string; count: number }>;
  locked: Array<{ login: string; accountId: string; until: string }>;
  lastImports: Array<{ id: string; sourceId: string; status: string; dryRun: boolean; startedAt: string; counters: Record<string, number> }>;
}

const STATUSES = ['active', 'pending', 'disabled', 'disappeared'] as const;
const label = (lang: Lang, key: string) => tx(lang, key as TextKey);
const number = (lang: Lang, n: number) => n.toLocaleString(lang === 'fr' ? 'fr-FR' : 'en-GB');
const dateTime = (lang: Lang, iso: string) => new Date(iso).toLocaleString(lang === 'fr' ? 'fr-FR' : 'en-GB', { timeZone: 'Europe/Paris', dateStyle: 'short', timeStyle: 'short' });

function accountsTable(lang: Lang, rows: DashboardView['accounts']): SafeHtml {
  const profiles = [...new Set(rows.map((r) => r.profile))];
  const count = (p: string, s: string) => rows.find((r) => r.profile === p && r.status === s)?.count ?? 0;
  return html`<div class="table-wrap" tabindex="0" role="region" aria-label="${tx(lang, 'accountsByProfile')}"><table><thead><tr><th scope="col">${tx(lang, 'profile')}</th>${STATUSES.map((s) => html`<th scope="col">${label(lang, `status_${s}`)}</th>`)}</tr></thead>
    <tbody>${profiles.map((p) => html`<tr><th scope="row">${label(lang, `profile_${p}`)}</th>${STATUSES.map((s) => html`<td>${number(lang, count(p, s))}</td>`)}</tr>`)}</tbody></table></div>`;
}

function activationTable(lang: Lang, rows: DashboardView['activation']): SafeHtml {
  const rate = (r: DashboardView['activation'][number]) => (r.accounts === 0 ? '—' : `${Math.round((100 * r.active) / r.accounts)} %`);
  return html`<div class="table-wrap" tabindex="0" role="region" aria-label="${tx(lang, 'activationBySchool')}"><table><thead><tr><th scope="col">${tx(lang, 'structures')}</th><th scope="col">${tx(lang, 'total')}</th><th scope="col">${tx(lang, 'activated')}</th><th scope="col">${tx(lang, 'rate')}</th></tr></thead>
    <tbody>${rows.map((r) => html`<tr><td>${r.name} (${r.uai})</td><td>${number(lang, r.accounts)}</td><td>${number(lang, r.active)}</td><td>${rate(r)}</td></tr>`)}</tbody></table></div>`;
}

/** Bars drawn on the server: no script, and the figures are in a caption and a table for screen readers. */
function signInChart(lang: Lang, days: DashboardView['signIns']): SafeHtml {
  const max = Math.max(1, ...days.map((d) => d.count));
  const width = 600;
  const height = 160;
  const bar = width / Math.max(1, days.length);
  const bars = days.map((d, i) => {
    const h = Math.round((d.count / max) * (height - 20));
    return `<rect x="${(i * bar + 1).toFixed(1)}" y="${height - 14 - h}" width="${(bar - 2).toFixed(1)}" height="${h}"><title>${d.day} : ${d.count}</title></rect>`;
  }).join('');
  const first = days[0]?.day ?? '';
  const last = days.at(-1)?.day ?? '';
  const caption = tx(lang, 'chartLabel', { from: first, to: last, max: number(lang, max) });
  return html`<figure class="chart"><svg viewBox="0 0 ${width} ${height}" role="img" aria-label="${caption}">${raw(bars)}<line x1="0" y1="${height - 14}" x2="${width}" y2="${height - 14}"></line>
      <text x="0" y="${height - 2}">${first}</text><text x="${width}" y="${height - 2}" text-anchor="end">${last}</text></svg>
    <figcaption>${caption}</figcaption></figure>
    <details><summary>${tx(lang, 'signIns30')}</summary><table><thead><tr><th scope="col">${tx(lang, 'when')}</th><th scope="col">${tx(lang, 'total')}</th></tr></thead>
      <tbody>${days.map((d) => html`<tr><td>${d.day}</td><td>${number(lang, d.count)}</td></tr>`)}</tbody></table></details>`;
}

const dashboardPage: ConsolePageHandler = async (r) => {
  const { lang } = r;
  const d = await r.json<DashboardView>('getDashboard');
  const base = tenantBase(r.tenant!.id);
  r.render({
    title: tx(lang, 'dashboard'), section: 'dashboard', body: html`<div class="grid">
      <section class="panel" aria-labelledby="d-accounts"><h2 id="d-accounts">${tx(lang, 'accountsByProfile')}</h2>${accountsTable(lang, d.accounts)}</section>
      <section class="panel" aria-labelledby="d-signins"><h2 id="d-signins">${tx(lang, 'signIns30')}</h2>${signInChart(lang, d.signIns)}</section>
      <section class="panel" aria-labelledby="d-locked"><h2 id="d-locked">${tx(lang, 'lockedNow')}</h2>
        ${d.locked.length === 0 ? html`<p>${tx(lang, 'noLocked')}</p>` : html`<ul>${d.locked.map((l) => html`<li><a href="${base}/accounts/${encodeURIComponent(l.accountId)}">${l.login}</a> — ${dateTime(lang, l.until)}</li>`)}</ul>`}</section>
      <section class="panel" aria-labelledby="d-imports"><h2 id="d-imports">${tx(lang, 'lastImports')}</h2>
        ${d.lastImports.length === 0 ? html`<p>${tx(lang, 'none')}</p>` : html`<ul>${d.lastImports.map((i) => html`<li>${i.sourceId} — ${dateTime(lang, i.startedAt)} — ${i.status}${i.dryRun ? html` (${tx(lang, 'dryRun')})` : ''}</li>`)}</ul>`}</section>
    </div>
    <section class="panel" aria-labelledby="d-activation"><h2 id="d-activation">${tx(lang, 'activationBySchool')}</h2>${activationTable(lang, d.activation)}</section>`,
  });
};

export function dashboardPages(router: Router, page: (handler: ConsolePageHandler) => (ctx: Context) => Promise<void>): void {
  router.get('/t/:tenant', page(dashboardPage));
}
