/** The console's import pages: the runs with their counters, one run with its quarantine and report, a new run or dry run. */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { html, type SafeHtml } from '../../../ui/html.js';
import type { Lang } from '../../../ui/i18n.js';
import { postForm, tenantBase } from '../layout.js';
import { download, type ConsolePageHandler, type ConsoleRequest } from '../router.js';
import { tx, type TextKey } from '../text.js';

type Counters = Record<'read' | 'created' | 'updated' | 'unchanged' | 'merged' | 'disappeared' | 'quarantined', number>;
interface RunView {
  id: string; source: string; mode: string; dryRun: boolean; status: string;
  startedAt: string; finishedAt: string | null; counters: Counters; error: string | null;
}
interface RunDetail { run: RunView; quarantinedTotal: number; quarantined: Array<{ dn: string; reason: string }> }

const COUNTERS: Array<[keyof Counters, TextKey]> = [
  ['read', 'counterRead'], ['created', 'counterCreated'], ['updated', 'counterUpdated'], ['unchanged', 'counterUnchanged'],
  ['merged', 'counterMerged'], ['disappeared', 'counterDisappeared'], ['quarantined', 'counterQuarantined'],
];
const STATUSES = ['running', 'completed', 'completed_with_errors', 'failed'] as const;

const label = (lang: Lang, prefix: string, value: string) => tx(lang, `${prefix}${value}` as TextKey);
const q = (ctx: Context, name: string) => (typeof ctx.query[name] === 'string' ? (ctx.query[name] as string) : '');
const when = (lang: Lang, iso: string | null) => (iso ? new Date(iso).toLocaleString(lang === 'fr' ? 'fr-FR' : 'en-GB', { timeZone: 'Europe/Paris', dateStyle: 'short', timeStyle: 'medium' }) : '—');
const number = (lang: Lang, n: number) => n.toLocaleString(lang === 'fr' ? 'fr-FR' : 'en-GB');
const importsBase = (r: ConsoleRequest) => `${tenantBase(r.tenant!.id)}/imports`;
const runUrl = (r: ConsoleRequest, runId: string) => `${importsBase(r)}/${encodeURIComponent(runId)}`;

function kindOf(lang: Lang, run: RunView): string {
  return `${label(lang, 'mode_', run.mode)}${run.dryRun ? ` (${tx(lang, 'dryRun')})` : ''}`;
}

/** The form that starts a run: the source, then a dry run or the import itself. */
async function startForm(r: ConsoleRequest): Promise<SafeHtml> {
  const { lang } = r;
  const { items } = await r.json<{ items: Array<{ id: string; enabled: boolean }> }>('listImportSources');
  const enabled = items.filter((s) => s.enabled);
  if (enabled.length === 0) return html`<section class="panel"><p>${tx(lang, 'noSource')}</p></section>`;
  return html`<section class="panel" aria-labelledby="start"><h2 id="start">${tx(lang, 'startTitle')}</h2>
    ${postForm(importsBase(r), r.session.csrf, html`<div class="inline-form">
      <div class="field"><label for="source">${tx(lang, 'importSource')}</label><select id="source" name="source">${enabled.map((s) => html`<option value="${s.id}">${s.id}</option>`)}</select></div>
      <button class="button button--secondary" type="submit" name="dryRun" value="true">${tx(lang, 'startDryRun')}</button>
      <button class="button button--primary" type="submit" name="dryRun" value="false">${tx(lang, 'startRun')}</button>
    </div>`)}
    <p>${tx(lang, 'startHelp')}</p></section>`;
}

function filterForm(r: ConsoleRequest): SafeHtml {
  const { ctx, lang } = r;
  const option = (value: string, text: string, current: string) => html`<option value="${value}"${value === current ? ' selected' : ''}>${text}</option>`;
  return html`<form class="inline-form" method="get" action="${importsBase(r)}">
    <div class="field"><label for="status">${tx(lang, 'statusLabel')}</label><select id="status" name="status">${option('', tx(lang, 'anyStatus'), q(ctx, 'status'))}${STATUSES.map((s) => option(s, label(lang, 'run_', s), q(ctx, 'status')))}</select></div>
    <input type="hidden" name="lang" value="${lang}">
    <button class="button button--secondary" type="submit">${tx(lang, 'filter')}</button>
  </form>`;
}

async function runsBody(r: ConsoleRequest): Promise<SafeHtml> {
  const { ctx, lang } = r;
  const query = Object.fromEntries(['status', 'after'].map((k) => [k, q(ctx, k)]).filter(([, v]) => v !== ''));
  const page = await r.json<{ items: RunView[]; next: string | null }>('listImportRuns', { query: { ...query, limit: '25' } });
  const next = page.next && new URLSearchParams({ ...query, after: page.next, lang }).toString();
  const table = page.items.length === 0 ? html`<p>${tx(lang, 'noRuns')}</p>` : html`<div class="table-wrap" tabindex="0" role="region" aria-label="${tx(lang, 'imports')}"><table>
    <thead><tr><th scope="col">${tx(lang, 'started')}</th><th scope="col">${tx(lang, 'importSource')}</th><th scope="col">${tx(lang, 'importKind')}</th><th scope="col">${tx(lang, 'status')}</th>
      ${COUNTERS.map(([, key]) => html`<th scope="col">${tx(lang, key)}</th>`)}<th scope="col">${tx(lang, 'finished')}</th></tr></thead>
    <tbody>${page.items.map((run) => html`<tr><td><a href="${runUrl(r, run.id)}">${when(lang, run.startedAt)}</a></td><td>${run.source}</td><td>${kindOf(lang, run)}</td><td>${label(lang, 'run_', run.status)}</td>
      ${COUNTERS.map(([name]) => html`<td>${number(lang, run.counters[name])}</td>`)}<td>${when(lang, run.finishedAt)}</td></tr>`)}</tbody>
  </table></div>`;
  return html`<p>${tx(lang, 'importsIntro')}</p>
    ${await startForm(r)}
    <section class="panel" aria-labelledby="runs"><h2 id="runs">${tx(lang, 'runs')}</h2>${filterForm(r)}${table}
      ${next && html`<p><a href="${importsBase(r)}?${next}">${tx(lang, 'nextPage')}</a></p>`}</section>`;
}

const listPage: ConsolePageHandler = async (r) => {
  r.render({ title: tx(r.lang, 'imports'), section: 'imports', body: await runsBody(r) });
};

function detailBody(r: ConsoleRequest, d: RunDetail): SafeHtml {
  const { lang } = r;
  const { run } = d;
  return html`<p><a href="${importsBase(r)}">${tx(lang, 'backToRuns')}</a></p>
    <div class="grid">
      <section class="panel"><h2>${tx(lang, 'runSummary')}</h2><dl>
        <dt>${tx(lang, 'importSource')}</dt><dd>${run.source}</dd>
        <dt>${tx(lang, 'importKind')}</dt><dd>${kindOf(lang, run)}</dd>
        <dt>${tx(lang, 'status')}</dt><dd>${label(lang, 'run_', run.status)}${run.status === 'running' ? html` — <a href="${runUrl(r, run.id)}">${tx(lang, 'refresh')}</a>` : ''}</dd>
        <dt>${tx(lang, 'started')}</dt><dd>${when(lang, run.startedAt)}</dd>
        <dt>${tx(lang, 'finished')}</dt><dd>${when(lang, run.finishedAt)}</dd>
        ${run.error && html`<dt>${tx(lang, 'runError')}</dt><dd>${run.error}</dd>`}
      </dl></section>
      <section class="panel"><h2>${tx(lang, 'runCounters')}</h2><dl>
        ${COUNTERS.map(([name, key]) => html`<dt>${tx(lang, key)}</dt><dd>${number(lang, run.counters[name])}</dd>`)}
      </dl></section>
    </div>
    <section class="panel" aria-labelledby="quarantine"><h2 id="quarantine">${tx(lang, 'quarantineTitle')}</h2>
      ${d.quarantinedTotal === 0 ? html`<p>${tx(lang, 'noQuarantine')}</p>` : html`
        ${d.quarantinedTotal > d.quarantined.length && html`<p>${tx(lang, 'quarantineShown', { shown: number(lang, d.quarantined.length), total: number(lang, d.quarantinedTotal) })}</p>`}
        <div class="table-wrap" tabindex="0" role="region" aria-label="${tx(lang, 'quarantineTitle')}"><table><thead><tr><th scope="col">${tx(lang, 'dn')}</th><th scope="col">${tx(lang, 'quarantineReason')}</th></tr></thead>
          <tbody>${d.quarantined.map((e) => html`<tr><td>${e.dn}</td><td>${e.reason}</td></tr>`)}</tbody></table></div>`}
      <p><a href="${runUrl(r, run.id)}/report" download>${tx(lang, 'downloadReport')}</a></p>
    </section>`;
}

const detailPage: ConsolePageHandler = async (r) => {
  const detail = await r.json<RunDetail>('getImportRun', { params: { run: r.ctx.params.run! } });
  const flash = r.ctx.query.started === '1' ? { text: tx(r.lang, detail.run.dryRun ? 'dryRunStarted' : 'runStarted') } : undefined;
  r.render({ title: tx(r.lang, 'runTitle', { date: when(r.lang, detail.run.startedAt) }), section: 'imports', flash, body: detailBody(r, detail) });
};

const reportPage: ConsolePageHandler = async (r) => {
  download(r.ctx, await r.call('getImportReport', { params: { run: r.ctx.params.run! } }));
};

/** Starts the run, then shows it (a GET after the POST: reloading the page starts nothing). */
const startPage: ConsolePageHandler = async (r) => {
  const form = r.form();
  const run = await r.json<RunView>('startImport', { body: { source: form.source, dryRun: form.dryRun !== 'false' } });
  r.ctx.redirect(`${runUrl(r, run.id)}?started=1&lang=${r.lang}`);
};

export function importPages(router: Router, page: (handler: ConsolePageHandler) => (ctx: Context) => Promise<void>): void {
  router.get('/t/:tenant/imports', page(listPage));
  router.post('/t/:tenant/imports', page(startPage));
  router.get('/t/:tenant/imports/:run', page(detailPage));
  router.get('/t/:tenant/imports/:run/report', page(reportPage));
}
