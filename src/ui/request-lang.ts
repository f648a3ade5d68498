/** The language of a page, from the request (`lang`, then `ui_locales`, then Accept-Language), and the link to the other one. */
import type { Context } from 'koa';
import { pickLang, type Lang } from './i18n.js';

/** `requestedLocales`: the authorization request's `ui_locales`, for pages of an interaction. */
export function langOf(ctx: Context, requestedLocales?: unknown): Lang {
  const uiLocales = typeof ctx.query.ui_locales === 'string' ? ctx.query.ui_locales : typeof requestedLocales === 'string' ? requestedLocales : undefined;
  const query = typeof ctx.query.lang === 'string' ? ctx.query.lang : undefined;
  return pickLang({ query, uiLocales, acceptLanguage: ctx.get('accept-language') || undefined });
}

/**
 * The same page in the other language: this URL with `lang` swapped. Only for GET, since a link
 * cannot repeat a POST. Built from `originalUrl`, so it holds under a mount prefix too.
 */
export function langSwitchOf(ctx: Context, lang: Lang): string | undefined {
  if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return undefined;
  const url = new URL(ctx.originalUrl, 'http://hub.invalid');
  url.searchParams.set('lang', lang === 'fr' ? 'en' : 'fr');
  return `${url.pathname}${url.search}`;
}
