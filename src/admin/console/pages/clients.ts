/** The console's applications page: the tenant's OIDC clients, a new one (its secret shown once), a new secret. */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { html, type SafeHtml } from '../../../ui/html.js';
import { postForm, tenantBase } from '../layout.js';
import type { ConsolePageHandler, ConsoleRequest } from '../router.js';
import { tx } from '../text.js';

interface ClientView { clientId: string; name: string; public: boolean; redirectUris: string[]; scopes: string[]; disabledAt: string | null; origin: string }

async function clientsBody(r: ConsoleRequest): Promise<SafeHtml> {
  const { lang } = r;
  const base = `${tenantBase(r.tenant!.id)}/clients`;
  const { items } = await r.json<{ items: ClientView[] }>('listClients');
  return html`<p>${tx(lang, 'clientsIntro')}</p>
    <section class="panel"><div class="table-wrap" tabindex="0" role="region" aria-label="${tx(lang, 'clients')}"><table>
      <thead><tr><th scope="col">${tx(lang, 'clientId')}</th><th scope="col">${tx(lang, 'clientName')}</th><th scope="col">${tx(lang, 'clientType')}</th><th scope="col">${tx(lang, 'redirectUris')}</th><th scope="col">${tx(lang, 'actions')}</th></tr></thead>
      <tbody>${items.map((c) => html`<tr><td>${c.clientId}</td><td>${c.name}${c.disabledAt ? html` (${tx(lang, 'disabled')})` : ''}</td><td>${tx(lang, c.public ? 'publicClient' : 'confidential')}</td><td>${c.redirectUris.join(' ')}</td>
        <td>${!c.public && !c.disabledAt && c.origin === 'cli' ? postForm(`${base}/${encodeURIComponent(c.clientId)}/secret`, r.session.csrf, html`<button class="button button--secondary" type="submit">${tx(lang, 'newSecret')}</button>`) : ''}</td></tr>`)}</tbody>
    </table></div></section>
    <section class="panel" aria-labelledby="new-client"><h2 id="new-client">${tx(lang, 'createClient')}</h2>
      ${postForm(base, r.session.csrf, html`<div class="form">
        <div class="field"><label for="clientId">${tx(lang, 'clientId')}</label><input type="text" id="clientId" name="clientId" required maxlength="64" pattern="[a-z0-9][a-z0-9._\\-]{1,63}"></div>
        <div class="field"><label for="name">${tx(lang, 'clientName')}</label><input type="text" id="name" name="name" required maxlength="200"></div>
        <div class="field"><label for="type">${tx(lang, 'clientType')}</label><select id="type" name="type"><option value="confidential">${tx(lang, 'confidential')}</option><option value="public">${tx(lang, 'publicClient')}</option></select></div>
        <div class="field"><label for="redirectUris">${tx(lang, 'redirectUris')}</label><textarea id="redirectUris" name="redirectUris" required></textarea></div>
        <div class="field"><label for="scopes">${tx(lang, 'scopes')}</label><input type="text" id="scopes" name="scopes" value="openid profile" required maxlength="500"></div>
        <button class="button button--primary" type="submit">${tx(lang, 'createClient')}</button></div>`)}
    </section>`;
}

function secretShown(r: ConsoleRequest, clientId: string, secret: string): SafeHtml {
  return html`<div class="flash" role="status"><p>${tx(r.lang, 'secretFor', { client: clientId })}</p><p class="once" data-secret>${secret}</p><p>${tx(r.lang, 'secretWarning')}</p></div>`;
}

const listPage: ConsolePageHandler = async (r) => {
  r.render({ title: tx(r.lang, 'clients'), section: 'clients', body: await clientsBody(r) });
};

const createPage: ConsolePageHandler = async (r) => {
  const form = r.form();
  const lines = (text: string | undefined) => (text ?? '').split(/\s+/).map((s) => s.trim()).filter(Boolean);
  const created = await r.json<{ client: ClientView; secret: string | null }>('createClient', {
    body: { clientId: form.clientId, name: form.name, public: form.type === 'public', redirectUris: lines(form.redirectUris), scopes: lines(form.scopes) },
  });
  r.render({ title: tx(r.lang, 'clients'), section: 'clients', body: html`${created.secret ? secretShown(r, created.client.clientId, created.secret) : html`<div class="flash" role="status">${tx(r.lang, 'done')}</div>`}${await clientsBody(r)}` });
};

const rotatePage: ConsolePageHandler = async (r) => {
  r.form();
  const clientId = r.ctx.params.clientId!;
  const { secret } = await r.json<{ secret: string }>('rotateClientSecret', { params: { clientId } });
  r.render({ title: tx(r.lang, 'clients'), section: 'clients', body: html`${secretShown(r, clientId, secret)}${await clientsBody(r)}` });
};

export function clientPages(router: Router, page: (handler: ConsolePageHandler) => (ctx: Context) => Promise<void>): void {
  router.get('/t/:tenant/clients', page(listPage));
  router.post('/t/:tenant/clients', page(createPage));
  router.post('/t/:tenant/clients/:clientId/secret', page(rotatePage));
}
