/**
 * The console's SAML page: the tenant's service providers (add one from its metadata URL, change
 * its release policy, what is signed and encrypted, turn it on or off, remove it) and the GAR
 * switch per school.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { html, type SafeHtml } from '../../../ui/html.js';
import type { Lang } from '../../../ui/i18n.js';
import { postForm, tenantBase } from '../layout.js';
import type { ConsolePageHandler, ConsoleRequest } from '../router.js';
import { tx, type TextKey } from '../text.js';

interface SpView {
  entityId: string; displayName: string; enabled: boolean; releasePolicy: string; signatures: string; encryptAssertions: boolean;
  encryptionKey: boolean; validUntil: string | null;
}
interface GarSchool { uai: string; name: string | null; enabled: boolean; origin: string; switchedAt: string | null }
interface GarOverview { projectId: string | null; declared: 'none' | 'all' | 'list'; schools: GarSchool[] }

const POLICIES = ['generic', 'gar'] as const;
const SIGNATURES = ['both', 'assertion', 'response'] as const;

const label = (lang: Lang, prefix: string, value: string) => tx(lang, `${prefix}${value}` as TextKey);
const spBase = (r: ConsoleRequest) => `${tenantBase(r.tenant!.id)}/service-providers`;
const option = (value: string, text: string, current: string) => html`<option value="${value}"${value === current ? ' selected' : ''}>${text}</option>`;
const when = (lang: Lang, iso: string) => new Date(iso).toLocaleDateString(lang === 'fr' ? 'fr-FR' : 'en-GB', { timeZone: 'Europe/Paris' });

function settingsForm(r: ConsoleRequest, sp: SpView, i: number): SafeHtml {
  const { lang } = r;
  const id = (name: string) => `sp${i}-${name}`;
  return postForm(`${spBase(r)}/settings`, r.session.csrf, html`<input type="hidden" name="entityId" value="${sp.entityId}"><div class="inline-form">
    <div class="field"><label for="${id('policy')}">${tx(lang, 'releasePolicy')}</label><select id="${id('policy')}" name="releasePolicy">${POLICIES.map((p) => option(p, label(lang, 'policy_', p), sp.releasePolicy))}</select></div>
    <div class="field"><label for="${id('signatures')}">${tx(lang, 'spSignatures')}</label><select id="${id('signatures')}" name="signatures">${SIGNATURES.map((s) => option(s, label(lang, 'signatures_', s), sp.signatures))}</select></div>
    <div class="field"><label for="${id('encrypt')}">${tx(lang, 'encryptAssertions')}</label><select id="${id('encrypt')}" name="encryptAssertions">${option('true', tx(lang, 'yes'), String(sp.encryptAssertions))}${option('false', tx(lang, 'no'), String(sp.encryptAssertions))}</select></div>
    <button class="button button--secondary" type="submit">${tx(lang, 'saveSp')}</button></div>`);
}

function spRow(r: ConsoleRequest, sp: SpView, i: number): SafeHtml {
  const { lang } = r;
  const hidden = html`<input type="hidden" name="entityId" value="${sp.entityId}">`;
  return html`<tr><td>${sp.displayName}<br><small>${sp.entityId}</small>${sp.validUntil && html`<br><small>${tx(lang, 'validUntil', { date: when(lang, sp.validUntil) })}</small>`}</td>
    <td>${tx(lang, sp.enabled ? 'spOn' : 'spOff')}</td>
    <td>${settingsForm(r, sp, i)}${sp.encryptAssertions && !sp.encryptionKey ? html`<p><small>${tx(lang, 'noEncryptionKey')}</small></p>` : ''}</td>
    <td><ul class="action-list">
      <li>${postForm(`${spBase(r)}/settings`, r.session.csrf, html`${hidden}<input type="hidden" name="enabled" value="${sp.enabled ? 'false' : 'true'}"><button class="button button--secondary" type="submit">${tx(lang, sp.enabled ? 'disableSp' : 'enableSp')}</button>`)}</li>
      <li>${postForm(`${spBase(r)}/remove`, r.session.csrf, html`${hidden}<button class="button button--secondary" type="submit">${tx(lang, 'removeSp')}</button>`)}</li>
    </ul></td></tr>`;
}

async function spSection(r: ConsoleRequest): Promise<SafeHtml> {
  const { lang } = r;
  const { items } = await r.json<{ items: SpView[] }>('listServiceProviders');
  return html`<section class="panel" aria-labelledby="sps"><h2 id="sps">${tx(lang, 'serviceProviders')}</h2><p>${tx(lang, 'spIntro')}</p>
      ${items.length === 0 ? html`<p>${tx(lang, 'noSp')}</p>` : html`<div class="table-wrap" tabindex="0" role="region" aria-label="${tx(lang, 'serviceProviders')}"><table>
        <thead><tr><th scope="col">${tx(lang, 'spName')}</th><th scope="col">${tx(lang, 'status')}</th><th scope="col">${tx(lang, 'spSettings')}</th><th scope="col">${tx(lang, 'actions')}</th></tr></thead>
        <tbody>${items.map((sp, i) => spRow(r, sp, i))}</tbody></table></div>`}
    </section>
    <section class="panel" aria-labelledby="new-sp"><h2 id="new-sp">${tx(lang, 'addSp')}</h2>
      ${postForm(spBase(r), r.session.csrf, html`<div class="form">
        <div class="field"><label for="metadataUrl">${tx(lang, 'metadataUrl')}</label><input type="url" id="metadataUrl" name="metadataUrl" required maxlength="2048"></div>
        <div class="field"><label for="displayName">${tx(lang, 'spNameOptional')}</label><input type="text" id="displayName" name="displayName" maxlength="200"></div>
        <div class="field"><label for="releasePolicy">${tx(lang, 'releasePolicy')}</label><select id="releasePolicy" name="releasePolicy">${POLICIES.map((p) => option(p, label(lang, 'policy_', p), 'generic'))}</select></div>
        <button class="button button--primary" type="submit">${tx(lang, 'addSp')}</button></div>`)}
    </section>`;
}

function garSwitch(r: ConsoleRequest, uai: string, enabled: boolean): SafeHtml {
  return postForm(`${tenantBase(r.tenant!.id)}/gar/schools`, r.session.csrf, html`<input type="hidden" name="uai" value="${uai}"><input type="hidden" name="enabled" value="${enabled ? 'true' : 'false'}">
    <button class="button button--secondary" type="submit">${tx(r.lang, enabled ? 'garEnable' : 'garDisable')}</button>`);
}

async function garSection(r: ConsoleRequest): Promise<SafeHtml> {
  const { lang } = r;
  const gar = await r.json<GarOverview>('listGarSchools');
  const heading = html`<h2 id="gar">${tx(lang, 'garTitle')}</h2><p>${tx(lang, 'garIntro')}</p>`;
  if (gar.declared === 'none') return html`<section class="panel" aria-labelledby="gar">${heading}<p>${tx(lang, 'garNotDeclared')}</p></section>`;
  if (gar.declared === 'all') return html`<section class="panel" aria-labelledby="gar">${heading}<p>${tx(lang, 'garProject', { project: gar.projectId ?? '' })}</p><p>${tx(lang, 'garAll')}</p></section>`;
  return html`<section class="panel" aria-labelledby="gar">${heading}<p>${tx(lang, 'garProject', { project: gar.projectId ?? '' })}</p>
    ${gar.schools.length === 0 ? html`<p>${tx(lang, 'garNone')}</p>` : html`<div class="table-wrap" tabindex="0" role="region" aria-label="${tx(lang, 'garTitle')}"><table>
      <thead><tr><th scope="col">${tx(lang, 'uai')}</th><th scope="col">${tx(lang, 'name')}</th><th scope="col">${tx(lang, 'garUses')}</th><th scope="col">${tx(lang, 'garOrigin')}</th><th scope="col">${tx(lang, 'actions')}</th></tr></thead>
      <tbody>${gar.schools.map((s) => html`<tr><td>${s.uai}</td><td>${s.name ?? tx(lang, 'garUnknownSchool')}</td><td>${tx(lang, s.enabled ? 'yes' : 'no')}</td><td>${label(lang, 'garOrigin_', s.origin)}</td>
        <td>${s.name !== null && garSwitch(r, s.uai, !s.enabled)}</td></tr>`)}</tbody></table></div>`}
    ${postForm(`${tenantBase(r.tenant!.id)}/gar/schools`, r.session.csrf, html`<div class="inline-form">
      <div class="field"><label for="gar-uai">${tx(lang, 'garSwitchSchool')}</label><input type="text" id="gar-uai" name="uai" required maxlength="16" pattern="[0-9]{7}[A-Za-z]"></div>
      <button class="button button--secondary" type="submit" name="enabled" value="true">${tx(lang, 'garEnable')}</button>
      <button class="button button--secondary" type="submit" name="enabled" value="false">${tx(lang, 'garDisable')}</button>
    </div>`)}</section>`;
}

const listPage: ConsolePageHandler = async (r) => {
  const flash = r.ctx.query.done === '1' ? { text: tx(r.lang, 'done') } : undefined;
  r.render({ title: tx(r.lang, 'serviceProviders'), section: 'service-providers', flash, body: html`${await spSection(r)}${await garSection(r)}` });
};

/** After a change, back to the page (a GET: reloading it changes nothing). */
const done = (r: ConsoleRequest) => r.ctx.redirect(`${spBase(r)}?done=1&lang=${r.lang}`);
const flag = (value: string | undefined) => (value === undefined || value === '' ? undefined : value === 'true');

const addPage: ConsolePageHandler = async (r) => {
  const form = r.form();
  await r.call('addServiceProvider', {
    body: { metadataUrl: form.metadataUrl, releasePolicy: form.releasePolicy, ...(form.displayName?.trim() ? { displayName: form.displayName } : {}) },
  });
  done(r);
};

const settingsPage: ConsolePageHandler = async (r) => {
  const form = r.form();
  const body = Object.fromEntries(Object.entries({
    releasePolicy: form.releasePolicy || undefined, signatures: form.signatures || undefined,
    encryptAssertions: flag(form.encryptAssertions), enabled: flag(form.enabled),
  }).filter(([, v]) => v !== undefined));
  await r.call('updateServiceProvider', { params: { entityId: form.entityId ?? '' }, body });
  done(r);
};

const removePage: ConsolePageHandler = async (r) => {
  const form = r.form();
  await r.call('removeServiceProvider', { params: { entityId: form.entityId ?? '' } });
  done(r);
};

const garPage: ConsolePageHandler = async (r) => {
  const form = r.form();
  await r.call('switchGarSchool', { params: { uai: form.uai ?? '' }, body: { enabled: form.enabled === 'true' } });
  done(r);
};

export function spPages(router: Router, page: (handler: ConsolePageHandler) => (ctx: Context) => Promise<void>): void {
  router.get('/t/:tenant/service-providers', page(listPage));
  router.post('/t/:tenant/service-providers', page(addPage));
  router.post('/t/:tenant/service-providers/settings', page(settingsPage));
  router.post('/t/:tenant/service-providers/remove', page(removePage));
  router.post('/t/:tenant/gar/schools', page(garPage));
}
