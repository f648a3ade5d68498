/**
 * The console's duplicates page: each group of likely duplicates, its accounts compared side by
 * side two by two, a merge either way or "not duplicates" per pair; below, the recent merges with
 * their undo while the grace period lasts.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { html, type SafeHtml } from '../../../ui/html.js';
import type { Lang } from '../../../ui/i18n.js';
import { reachIn } from '../../authorization.js';
import { postForm, tenantBase } from '../layout.js';
import type { ConsolePageHandler, ConsoleRequest } from '../router.js';
import { tx, type TextKey } from '../text.js';

interface AccountView {
  id: string; login: string; profile: string; displayName: string; status: string;
  disabledReason: string | null; externalId: string | null; source: string; birthDate: string | null;
}
interface Member { account: AccountView; structures: Array<{ uai: string; name: string }> }
interface GroupView { key: string; birthDate: string; members: Member[]; marks: Array<{ id: string; accountIds: string[] }> }
interface MergeView { id: string; keptId: string; otherId: string; mergedAt: string; undoneAt: string | null; undoUntil: string }

/** Merges listed under the groups: the recent ones, those an admin may still want to undo. */
const MERGES_SHOWN = 10;

const label = (lang: Lang, key: string) => tx(lang, key as TextKey);
const locale = (lang: Lang) => (lang === 'fr' ? 'fr-FR' : 'en-GB');
// A birth date is a calendar day, not an instant: read and shown in UTC so no zone moves it.
const day = (lang: Lang, iso: string) => new Date(iso).toLocaleDateString(locale(lang), { timeZone: 'UTC' });
const dateTime = (lang: Lang, iso: string) => new Date(iso).toLocaleString(locale(lang), { timeZone: 'Europe/Paris', dateStyle: 'short', timeStyle: 'short' });
const duplicatesUrl = (r: ConsoleRequest) => `${tenantBase(r.tenant!.id)}/duplicates`;

/** The pairs of a group still to look at: different external ids, no "not duplicates" mark between them. */
function openPairs(group: GroupView): Array<[Member, Member]> {
  const marked = new Set(group.marks.map((m) => [...m.accountIds].sort().join(' ')));
  const pairs: Array<[Member, Member]> = [];
  group.members.forEach((a, i) => group.members.slice(i + 1).forEach((b) => {
    if (a.account.externalId !== b.account.externalId && !marked.has([a.account.id, b.account.id].sort().join(' '))) pairs.push([a, b]);
  }));
  return pairs;
}

function statusText(lang: Lang, a: AccountView): string {
  const status = label(lang, `status_${a.status}`);
  return a.disabledReason ? `${status} (${label(lang, `obstacle_${a.disabledReason}`)})` : status;
}

/** One account of a pair: what tells two people apart, and "keep this one" when the admin may merge. */
function memberCard(r: ConsoleRequest, keep: Member, other: Member, canManage: boolean): SafeHtml {
  const { lang } = r;
  const a = keep.account;
  return html`<div class="member"><h3><a href="${tenantBase(r.tenant!.id)}/accounts/${encodeURIComponent(a.id)}">${a.login}</a></h3><dl>
      <dt>${tx(lang, 'name')}</dt><dd>${a.displayName}</dd>
      <dt>${tx(lang, 'login')}</dt><dd>${a.login}</dd>
      <dt>${tx(lang, 'birthDate')}</dt><dd>${a.birthDate ? day(lang, a.birthDate) : tx(lang, 'none')}</dd>
      <dt>${tx(lang, 'externalId')}</dt><dd>${a.externalId ?? tx(lang, 'none')}</dd>
      <dt>${tx(lang, 'source')}</dt><dd>${a.source}</dd>
      <dt>${tx(lang, 'profile')}</dt><dd>${label(lang, `profile_${a.profile}`)}</dd>
      <dt>${tx(lang, 'status')}</dt><dd>${statusText(lang, a)}</dd>
      <dt>${tx(lang, 'structures')}</dt><dd>${keep.structures.length ? keep.structures.map((s) => `${s.name} (${s.uai})`).join(', ') : tx(lang, 'none')}</dd>
    </dl>
    ${canManage && postForm(`${duplicatesUrl(r)}/merges`, r.session.csrf, html`<input type="hidden" name="keepId" value="${a.id}"><input type="hidden" name="otherId" value="${other.account.id}">
      <button class="button button--primary" type="submit">${tx(lang, 'mergeKeep')}<span class="visually-hidden"> ${tx(lang, 'mergeKeepDetail', { keep: a.login, other: other.account.login })}</span></button>`)}</div>`;
}

function pairBlock(r: ConsoleRequest, [a, b]: [Member, Member], canManage: boolean): SafeHtml {
  const { lang } = r;
  return html`<div class="pair">${memberCard(r, a, b, canManage)}${memberCard(r, b, a, canManage)}</div>
    ${canManage && postForm(`${duplicatesUrl(r)}/marks`, r.session.csrf, html`<input type="hidden" name="keepId" value="${a.account.id}"><input type="hidden" name="otherId" value="${b.account.id}">
      <p><button class="button button--secondary" type="submit">${tx(lang, 'notDuplicate')}<span class="visually-hidden"> ${tx(lang, 'pairDetail', { a: a.account.login, b: b.account.login })}</span></button></p>`)}`;
}

function groupsSection(r: ConsoleRequest, groups: GroupView[], next: string | null, canManage: boolean): SafeHtml {
  const { lang } = r;
  const shown = groups.map((g) => ({ group: g, pairs: openPairs(g) })).filter((g) => g.pairs.length > 0);
  const nextUrl = next && `${duplicatesUrl(r)}?${new URLSearchParams({ after: next, lang })}`;
  if (shown.length === 0) return html`<section class="panel"><p>${tx(lang, 'noDuplicates')}</p>${nextUrl && html`<p><a href="${nextUrl}">${tx(lang, 'nextPage')}</a></p>`}</section>`;
  return html`${shown.map(({ group, pairs }, i) => html`<section class="panel duplicate-group" aria-labelledby="group-${i}">
      <h2 id="group-${i}">${tx(lang, 'duplicateGroup', { name: group.members[0]!.account.displayName, date: day(lang, group.birthDate), count: group.members.length })}</h2>
      ${pairs.map((pair) => pairBlock(r, pair, canManage))}</section>`)}
    ${nextUrl && html`<p><a href="${nextUrl}">${tx(lang, 'nextPage')}</a></p>`}`;
}

/** The logins of the merges' accounts, read once each; an account out of reach keeps its id. */
async function loginsOf(r: ConsoleRequest, ids: string[]): Promise<Map<string, string>> {
  const logins = new Map<string, string>();
  for (const id of new Set(ids)) {
    try {
      logins.set(id, (await r.json<{ account: AccountView }>('getAccount', { params: { id } })).account.login);
    } catch {
      logins.set(id, id);
    }
  }
  return logins;
}

async function mergesSection(r: ConsoleRequest, canManage: boolean): Promise<SafeHtml> {
  const { lang } = r;
  const heading = html`<h2 id="merges">${tx(lang, 'recentMerges')}</h2>`;
  // Merges are listed tenant-wide: a role over some schools only does not see them (the API says so too).
  if (reachIn(r.principal, 'duplicates.read', r.tenant!.id)?.kind !== 'tenant') {
    return html`<section class="panel" aria-labelledby="merges">${heading}<p>${tx(lang, 'mergesTenantOnly')}</p></section>`;
  }
  const { items } = await r.json<{ items: MergeView[] }>('listMerges', { query: { limit: String(MERGES_SHOWN) } });
  if (items.length === 0) return html`<section class="panel" aria-labelledby="merges">${heading}<p>${tx(lang, 'noMerges')}</p></section>`;
  const logins = await loginsOf(r, items.flatMap((m) => [m.keptId, m.otherId]));
  const account = (id: string) => html`<a href="${tenantBase(r.tenant!.id)}/accounts/${encodeURIComponent(id)}">${logins.get(id) ?? id}</a>`;
  const now = Date.now();
  const state = (m: MergeView): SafeHtml | string => {
    if (m.undoneAt) return tx(lang, 'mergeUndone', { date: dateTime(lang, m.undoneAt) });
    if (Date.parse(m.undoUntil) <= now) return tx(lang, 'mergeFinal');
    const until = tx(lang, 'undoUntil', { date: dateTime(lang, m.undoUntil) });
    if (!canManage) return until;
    return html`${until}${postForm(`${duplicatesUrl(r)}/merges/${encodeURIComponent(m.id)}/undo`, r.session.csrf,
      html`<button class="button button--secondary" type="submit">${tx(lang, 'undo')}<span class="visually-hidden"> ${tx(lang, 'undoDetail', { other: logins.get(m.otherId) ?? m.otherId })}</span></button>`)}`;
  };
  return html`<section class="panel" aria-labelledby="merges">${heading}
    <div class="table-wrap" tabindex="0" role="region" aria-labelledby="merges"><table>
      <thead><tr><th scope="col">${tx(lang, 'when')}</th><th scope="col">${tx(lang, 'keptAccount')}</th><th scope="col">${tx(lang, 'mergedAccount')}</th><th scope="col">${tx(lang, 'status')}</th></tr></thead>
      <tbody>${items.map((m) => html`<tr data-merge="${m.id}"><td>${dateTime(lang, m.mergedAt)}</td><td>${account(m.keptId)}</td><td>${account(m.otherId)}</td><td>${state(m)}</td></tr>`)}</tbody>
    </table></div></section>`;
}

const DONE: Record<string, TextKey> = { merge: 'mergeDone', mark: 'markDone', undo: 'undoDone' };

const listPage: ConsolePageHandler = async (r) => {
  const { ctx, lang } = r;
  const canManage = reachIn(r.principal, 'duplicates.manage', r.tenant!.id) !== null;
  const after = typeof ctx.query.after === 'string' ? { after: ctx.query.after } : {};
  const groups = await r.json<{ items: GroupView[]; next: string | null }>('listDuplicates', { query: after });
  const done = typeof ctx.query.done === 'string' ? DONE[ctx.query.done] : undefined;
  r.render({
    title: tx(lang, 'duplicates'), section: 'duplicates', flash: done && { text: tx(lang, done) },
    body: html`<p>${tx(lang, 'duplicatesIntro')}</p>${groupsSection(r, groups.items, groups.next, canManage)}${await mergesSection(r, canManage)}`,
  });
};

/** A decision on a pair (merge or "not duplicates"), then back to the list with what was done. */
const pairAction = (operationId: 'mergeDuplicates' | 'markNotDuplicates', done: string): ConsolePageHandler => async (r) => {
  const form = r.form();
  await r.call(operationId, { body: { keepId: form.keepId ?? '', otherId: form.otherId ?? '' } });
  r.ctx.redirect(`${duplicatesUrl(r)}?done=${done}&lang=${r.lang}`);
};

const undoPage: ConsolePageHandler = async (r) => {
  r.form();
  await r.call('undoMerge', { params: { merge: r.ctx.params.merge! } });
  r.ctx.redirect(`${duplicatesUrl(r)}?done=undo&lang=${r.lang}`);
};

export function duplicatePages(router: Router, page: (handler: ConsolePageHandler) => (ctx: Context) => Promise<void>): void {
  router.get('/t/:tenant/duplicates', page(listPage));
  router.post('/t/:tenant/duplicates/merges', page(pairAction('mergeDuplicates', 'merge')));
  router.post('/t/:tenant/duplicates/marks', page(pairAction('markNotDuplicates', 'mark')));
  router.post('/t/:tenant/duplicates/merges/:merge/undo', page(undoPage));
}
