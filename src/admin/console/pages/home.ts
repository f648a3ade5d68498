/** The console's entry: the tenants the admin may open (straight into the only one). */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { html } from '../../../ui/html.js';
import { tenantBase } from '../layout.js';
import type { ConsolePageHandler } from '../router.js';
import { tx } from '../text.js';

const homePage: ConsolePageHandler = async (r) => {
  const { items } = await r.json<{ items: Array<{ id: string; name: string }> }>('listTenants');
  if (items.length === 1) {
    r.ctx.redirect(`${tenantBase(items[0]!.id)}?lang=${r.lang}`);
    return;
  }
  r.render({
    title: tx(r.lang, 'consoleName'),
    body: items.length === 0 ? html`<p>${tx(r.lang, 'noTenant')}</p>`
      : html`<p>${tx(r.lang, 'chooseTenant')}</p><ul>${items.map((t) => html`<li><a href="${tenantBase(t.id)}">${t.name}</a></li>`)}</ul>`,
  });
};

export function homePages(router: Router, page: (handler: ConsolePageHandler) => (ctx: Context) => Promise<void>): void {
  router.get('/', page(homePage));
}
