/** The console's account pages: search, the whole picture of one account, and its actions. */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { ACCOUNT_STATUSES, PROFILES } from '../../../identity/vocabulary.js';
import { html, type SafeHtml } from '../../../ui/html.js';
import type { Lang } from '../../../ui/i18n.js';
import { postForm, tenantBase } from '../layout.js';
import type { ConsolePageHandler, ConsoleRequest } from '../router.js';
import { tx, type TextKey } from '../text.js';

interface AccountView {
  id: string; login: string; profile: string; displayName: string; firstName: string; lastName: string; status: string;
  disabledReason: string | null; externalId: string | null; source: string; email: string | null; birthDate: string | null;
}
interface Picture {
  account: AccountView;
  identities: Array<{ id: string; connectorId: string; subject: string }>;
  structures: Array<{ uai: string; name: string }>;
  groups: Array<{ code: string; name: string; uai: string; kind: string }>;
  parents: AccountView[];
  children: AccountView[];
  secondFactor: boolean;
  locked: boolean;
  obstacles: string[];
}

const BY = ['name', 'login', 'externalId', 'email', 'uai', 'class'] as const;
const label = (lang: Lang, prefix: string, value: string) => tx(lang, `${prefix}${value}` as TextKey);
const q = (ctx: Context, name: string) => (typeof ctx.query[name] === 'string' ? (ctx.query[name] as string) : '');

function searchForm(r: ConsoleRequest): SafeHtml {
  const { ctx, lang } = r;
  const by = q(ctx, 'by') || 'name';
  const option = (value: string, text: string, current: string) => html`<option value="${value}"${value === current ? ' selected' : ''}>${text}</option>`;
  return html`<form class="inline-form panel" method="get" action="${tenantBase(r.tenant!.id)}/accounts" role="search">
    <div class="field"><label for="q">${tx(lang, 'searchLabel')}</label><input type="search" id="q" name="q" value="${q(ctx, 'q')}" autocomplete="off" required maxlength="200"></div>
    <div class="field"><label for="by">${tx(lang, 'searchBy')}</label><select id="by" name="by">${BY.map((b) => option(b, label(lang, 'by_', b), by))}</select></div>
    <div class="field"><label for="class">${tx(lang, 'classCode')}</label><input type="text" id="class" name="class" value="${q(ctx, 'class')}" maxlength="64"></div>
    <div class="field"><label for="profile">${tx(lang, 'profileLabel')}</label><select id="profile" name="profile">${option('', tx(lang, 'anyProfile'), q(ctx, 'profile'))}${PROFILES.map((p) => option(p, label(lang, 'profile_', p), q(ctx, 'profile')))}</select></div>
    <div class="field"><label for="status">${tx(lang, 'statusLabel')}</label><select id="status" name="status">${option('', tx(lang, 'anyStatus'), q(ctx, 'status'))}${ACCOUNT_STATUSES.map((s) => option(s, label(lang, 'status_', s), q(ctx, 'status')))}</select></div>
    <input type="hidden" name="lang" value="${lang}">
    <button class="button button--primary" type="submit">${tx(lang, 'search')}</button>
  </form>`;
}

function statusText(lang: Lang, a: AccountView): string {
  return a.disabledReason ? `${label(lang, 'status_', a.status)} (${label(lang, 'obstacle_', a.disabledReason)})` : label(lang, 'status_', a.status);
}

function accountRows(r: ConsoleRequest, accounts: AccountView[]): SafeHtml {
  const { lang } = r;
  return html`<div class="table-wrap" tabindex="0" role="region" aria-label="${tx(lang, 'results')}"><table>
    <thead><tr><th scope="col">${tx(lang, 'name')}</th><th scope="col">${tx(lang, 'login')}</th><th scope="col">${tx(lang, 'profile')}</th><th scope="col">${tx(lang, 'status')}</th><th scope="col">${tx(lang, 'externalId')}</th></tr></thead>
    <tbody>${accounts.map((a) => html`<tr><td><a href="${tenantBase(r.tenant!.id)}/accounts/${encodeURIComponent(a.id)}">${a.lastName} ${a.firstName}</a></td><td>${a.login}</td><td>${label(lang, 'profile_', a.profile)}</td><td>${statusText(lang, a)}</td><td>${a.externalId ?? ''}</td></tr>`)}</tbody>
  </table></div>`;
}

const searchPage: ConsolePageHandler = async (r) => {
  const { ctx, lang } = r;
  let results: SafeHtml | string = '';
  if (q(ctx, 'q')) {
    const query = Object.fromEntries(['q', 'by', 'class', 'profile', 'status', 'after'].map((k) => [k, q(ctx, k)]).filter(([, v]) => v !== ''));
    const page = await r.json<{ items: AccountView[]; next: string | null }>('searchAccounts', { query });
    const next = page.next && new URLSearchParams({ ...query, after: page.next, lang }).toString();
    results = html`<section class="panel" aria-labelledby="results"><h2 id="results">${tx(lang, 'results')}</h2>
      ${page.items.length === 0 ? html`<p>${tx(lang, 'noResult')}</p>` : accountRows(r, page.items)}
      ${next && html`<p><a href="${tenantBase(r.tenant!.id)}/accounts?${next}">${tx(lang, 'nextPage')}</a></p>`}</section>`;
  }
  r.render({ title: tx(lang, 'accounts'), section: 'accounts', body: html`${searchForm(r)}${results}${bulkBlockForm(r)}` });
};

function bulkBlockForm(r: ConsoleRequest): SafeHtml {
  const { lang } = r;
  return html`<section class="panel" aria-labelledby="bulk"><h2 id="bulk">${tx(lang, 'blockSchool')}</h2>
    ${postForm(`${tenantBase(r.tenant!.id)}/structures/block`, r.session.csrf, html`<div class="inline-form">
      <div class="field"><label for="bulk-uai">${tx(lang, 'uai')}</label><input type="text" id="bulk-uai" name="uai" required maxlength="16"></div>
      <div class="field"><label for="bulk-profile">${tx(lang, 'profileLabel')}</label><select id="bulk-profile" name="profile">${PROFILES.map((p) => html`<option value="${p}">${label(lang, 'profile_', p)}</option>`)}</select></div>
      <button class="button button--secondary" type="submit" name="block" value="true">${tx(lang, 'blockAll')}</button>
      <button class="button button--secondary" type="submit" name="block" value="false">${tx(lang, 'unblockAll')}</button>
    </div>`)}</section>`;
}

function actionButton(r: ConsoleRequest, accountId: string, action: string, key: TextKey): SafeHtml {
  return html`<li>${postForm(`${tenantBase(r.tenant!.id)}/accounts/${encodeURIComponent(accountId)}/${action}`, r.session.csrf, html`<button class="button button--secondary" type="submit">${tx(r.lang, key)}</button>`)}</li>`;
}

function detailBody(r: ConsoleRequest, p: Picture): SafeHtml {
  const { lang } = r;
  const a = p.account;
  const base = `${tenantBase(r.tenant!.id)}/accounts/${encodeURIComponent(a.id)}`;
  const list = (items: SafeHtml[]) => (items.length ? html`<ul>${items.map((i) => html`<li>${i}</li>`)}</ul>` : html`<p>${tx(lang, 'none')}</p>`);
  const person = (x: AccountView) => html`<a href="${tenantBase(r.tenant!.id)}/accounts/${encodeURIComponent(x.id)}">${x.displayName}</a> (${x.login})`;
  const blocked = a.status === 'disabled' && a.disabledReason === 'blocked';
  return html`<section class="panel" aria-labelledby="why"><h2 id="why">${tx(lang, 'whyNot')}</h2>
      ${p.obstacles.length === 0 ? html`<p>${tx(lang, 'canSignIn')}</p>` : html`<ul class="obstacles">${p.obstacles.map((o) => html`<li>${label(lang, 'obstacle_', o)}</li>`)}</ul>`}</section>
    <div class="grid">
      <section class="panel"><h2>${a.displayName}</h2><dl>
        <dt>${tx(lang, 'login')}</dt><dd>${a.login}</dd>
        <dt>${tx(lang, 'profile')}</dt><dd>${label(lang, 'profile_', a.profile)}</dd>
        <dt>${tx(lang, 'status')}</dt><dd>${statusText(lang, a)}</dd>
        <dt>${tx(lang, 'externalId')}</dt><dd>${a.externalId ?? tx(lang, 'none')}</dd>
        <dt>${tx(lang, 'source')}</dt><dd>${a.source}</dd>
        <dt>${tx(lang, 'email')}</dt><dd>${a.email ?? tx(lang, 'none')}</dd>
        <dt>${tx(lang, 'birthDate')}</dt><dd>${a.birthDate ?? tx(lang, 'none')}</dd>
        <dt>${tx(lang, 'secondFactor')}</dt><dd>${tx(lang, p.secondFactor ? 'yes' : 'no')}</dd>
      </dl></section>
      <section class="panel"><h2>${tx(lang, 'structures')}</h2>${list(p.structures.map((s) => html`${s.name} (${s.uai})`))}
        <h2>${tx(lang, 'classes')}</h2>${list(p.groups.map((g) => html`${g.name} (${g.code}, ${g.uai})`))}</section>
      <section class="panel"><h2>${tx(lang, 'parents')}</h2>${list(p.parents.map(person))}
        <h2>${tx(lang, 'children')}</h2>${list(p.children.map(person))}</section>
      <section class="panel"><h2>${tx(lang, 'identities')}</h2>${list(p.identities.map((i) => html`${i.connectorId} : ${i.subject}
        ${postForm(`${base}/identities/${encodeURIComponent(i.id)}/unlink`, r.session.csrf, html`<button class="button button--secondary" type="submit">${tx(lang, 'unlink')}</button>`)}`))}</section>
    </div>
    <section class="panel" aria-labelledby="actions"><h2 id="actions">${tx(lang, 'actions')}</h2>
      <ul class="action-list">
        ${actionButton(r, a.id, 'activation-code', 'newCode')}
        <li>${postForm(`${tenantBase(r.tenant!.id)}/letters`, r.session.csrf, html`<input type="hidden" name="kind" value="account"><input type="hidden" name="accountId" value="${a.id}"><input type="hidden" name="perPage" value="1"><button class="button button--secondary" type="submit">${tx(lang, 'printLetter')}</button>`)}</li>
        ${blocked ? actionButton(r, a.id, 'unblock', 'unblock') : actionButton(r, a.id, 'block', 'block')}
        ${p.locked && actionButton(r, a.id, 'unlock', 'unlock')}
        ${actionButton(r, a.id, 'revoke-sessions', 'revoke')}
        ${p.secondFactor && actionButton(r, a.id, 'remove-second-factor', 'removeMfa')}
      </ul>
      ${postForm(`${base}/login`, r.session.csrf, html`<div class="inline-form"><div class="field"><label for="login">${tx(lang, 'newLogin')}</label><input type="text" id="login" name="login" required maxlength="64" value="${a.login}"></div>
        <button class="button button--secondary" type="submit">${tx(lang, 'changeLogin')}</button></div>`)}
    </section>`;
}

const detailPage: ConsolePageHandler = async (r) => {
  const picture = await r.json<Picture>('getAccount', { params: { id: r.ctx.params.id! } });
  const done = r.ctx.query.done === '1' ? { text: tx(r.lang, 'done') } : undefined;
  r.render({ title: picture.account.displayName, section: 'accounts', flash: done, body: detailBody(r, picture) });
};

/** The account actions without an answer to show: done, then back to the account. */
const SIMPLE_ACTIONS: Record<string, string> = {
  block: 'blockAccount', unblock: 'unblockAccount', unlock: 'unlockAccount', 'revoke-sessions': 'revokeSessions', 'remove-second-factor': 'removeSecondFactor',
};

const actionPage: ConsolePageHandler = async (r) => {
  const { ctx, lang } = r;
  r.form();
  const id = ctx.params.id!;
  const back = `${tenantBase(r.tenant!.id)}/accounts/${encodeURIComponent(id)}`;
  const action = ctx.params.action!;
  if (action === 'activation-code') {
    const issued = await r.json<{ account: AccountView; code: string; expiresAt: string }>('reissueActivationCode', { params: { id } });
    const date = new Date(issued.expiresAt).toLocaleDateString(lang === 'fr' ? 'fr-FR' : 'en-GB', { timeZone: 'Europe/Paris' });
    r.render({ title: issued.account.displayName, section: 'accounts', body: html`<div class="flash" role="status"><p>${tx(lang, 'newCodeFor', { login: issued.account.login })}</p>
      <p class="once" data-code>${issued.code}</p><p>${tx(lang, 'codeValidUntil', { date })}</p></div>
      <p><a href="${back}">${tx(lang, 'backTo')}</a></p>` });
    return;
  }
  const operationId = SIMPLE_ACTIONS[action];
  if (!operationId) return;
  await r.call(operationId, { params: { id } });
  ctx.redirect(`${back}?done=1&lang=${lang}`);
};

const unlinkPage: ConsolePageHandler = async (r) => {
  r.form();
  const { id, identity } = r.ctx.params as Record<string, string>;
  await r.call('unlinkIdentity', { params: { id: id!, identity: identity! } });
  r.ctx.redirect(`${tenantBase(r.tenant!.id)}/accounts/${encodeURIComponent(id!)}?done=1&lang=${r.lang}`);
};

const loginPage: ConsolePageHandler = async (r) => {
  const form = r.form();
  const id = r.ctx.params.id!;
  await r.call('changeLogin', { params: { id }, body: { login: form.login ?? '' } });
  r.ctx.redirect(`${tenantBase(r.tenant!.id)}/accounts/${encodeURIComponent(id)}?done=1&lang=${r.lang}`);
};

const bulkBlockPage: ConsolePageHandler = async (r) => {
  const form = r.form();
  const result = await r.json<{ changed: number; unchanged: number }>('blockProfileOfSchool', {
    params: { uai: form.uai ?? '' }, body: { profile: form.profile, block: form.block === 'true' },
  });
  r.render({ title: tx(r.lang, 'accounts'), section: 'accounts', flash: { text: tx(r.lang, 'bulkDone', result) }, body: html`${searchForm(r)}${bulkBlockForm(r)}` });
};

export function accountPages(router: Router, page: (handler: ConsolePageHandler) => (ctx: Context) => Promise<void>): void {
  router.get('/t/:tenant/accounts', page(searchPage));
  router.get('/t/:tenant/accounts/:id', page(detailPage));
  router.post('/t/:tenant/accounts/:id/identities/:identity/unlink', page(unlinkPage));
  router.post('/t/:tenant/accounts/:id/login', page(loginPage));
  router.post('/t/:tenant/accounts/:id/:action', page(actionPage));
  router.post('/t/:tenant/structures/block', page(bulkBlockPage));
}
