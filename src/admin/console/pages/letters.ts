/** The console's connection letters: for a class or a profile of a school, 1, 2 or 8 per page; the PDF downloads. */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { PROFILES } from '../../../identity/vocabulary.js';
import { html } from '../../../ui/html.js';
import { postForm, tenantBase } from '../layout.js';
import { download, type ConsolePageHandler } from '../router.js';
import { tx, type TextKey } from '../text.js';

const formPage: ConsolePageHandler = async (r) => {
  const { lang } = r;
  const perPage = (id: string) => html`<div class="field"><label for="${id}">${tx(lang, 'perPage')}</label><select id="${id}" name="perPage"><option value="1">1</option><option value="2">2</option><option value="8">8</option></select></div>`;
  r.render({
    title: tx(lang, 'letters'), section: 'letters', body: html`<p>${tx(lang, 'lettersIntro')}</p>
      <section class="panel" aria-labelledby="l-class"><h2 id="l-class">${tx(lang, 'lettersFor')} ${tx(lang, 'lettersClass')}</h2>
        ${postForm(`${tenantBase(r.tenant!.id)}/letters`, r.session.csrf, html`<input type="hidden" name="kind" value="class"><div class="inline-form">
          <div class="field"><label for="c-uai">${tx(lang, 'uai')}</label><input type="text" id="c-uai" name="uai" required maxlength="16"></div>
          <div class="field"><label for="c-class">${tx(lang, 'classCode')}</label><input type="text" id="c-class" name="classCode" required maxlength="64"></div>
          ${perPage('c-per-page')}<button class="button button--primary" type="submit">${tx(lang, 'makeLetters')}</button></div>`)}</section>
      <section class="panel" aria-labelledby="l-profile"><h2 id="l-profile">${tx(lang, 'lettersFor')} ${tx(lang, 'lettersProfile')}</h2>
        ${postForm(`${tenantBase(r.tenant!.id)}/letters`, r.session.csrf, html`<input type="hidden" name="kind" value="profile"><div class="inline-form">
          <div class="field"><label for="p-uai">${tx(lang, 'uai')}</label><input type="text" id="p-uai" name="uai" required maxlength="16"></div>
          <div class="field"><label for="p-profile">${tx(lang, 'profileLabel')}</label><select id="p-profile" name="profile">${PROFILES.map((p) => html`<option value="${p}">${tx(lang, `profile_${p}` as TextKey)}</option>`)}</select></div>
          ${perPage('p-per-page')}<button class="button button--primary" type="submit">${tx(lang, 'makeLetters')}</button></div>`)}</section>`,
  });
};

const printPage: ConsolePageHandler = async (r) => {
  const form = r.form();
  const selection = form.kind === 'account' ? { kind: 'account', accountId: form.accountId }
    : form.kind === 'class' ? { kind: 'class', uai: form.uai, classCode: form.classCode } : { kind: 'profile', uai: form.uai, profile: form.profile };
  download(r.ctx, await r.call('printLetters', { body: { selection, perPage: Number(form.perPage ?? 1) } }));
};

export function letterPages(router: Router, page: (handler: ConsolePageHandler) => (ctx: Context) => Promise<void>): void {
  router.get('/t/:tenant/letters', page(formPage));
  router.post('/t/:tenant/letters', page(printPage));
}
