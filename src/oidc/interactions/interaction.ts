/**
 * What every interaction action shares: its dependencies, loading the interaction of this
 * browser, URLs of the interaction's pages, finishing it.
 */
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { errors, type InteractionResults } from 'oidc-provider';
import type { LocalAuth, RequestOrigin } from '../../auth/local-auth.js';
import type { Federation } from '../../federation/index.js';
import { HubError } from '../../shared/errors.js';
import type { EphemeralStore } from '../../storage/ports/ephemeral.js';
import type { PlatformStore } from '../../storage/ports/index.js';
import { langOf } from '../provider-pages.js';
import type { Lang } from '../views/i18n.js';

export interface InteractionDeps {
  provider: Provider;
  store: PlatformStore;
  ephemeral: EphemeralStore;
  auth: LocalAuth;
  /** Shown on the activation page and recorded on the account. */
  termsVersion: string;
  /** The name authenticator apps show. */
  mfaIssuer: string;
  /** Seconds an interaction lives: the steps of one sign-in are kept as long. */
  interactionTtl: number;
  maxBodyBytes: number;
  /** Home-realm discovery on the login page: the connectors' buttons, hints and the remembered choice. */
  federation: Pick<Federation, 'loginChoices' | 'hintedRedirect' | 'rememberedChoice'>;
}

export type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

/** An unknown, expired or already-used interaction: the user must start again from the app. */
export class InteractionExpired extends HubError {
  constructor() {
    super('expired_interaction', 'this sign-in attempt has expired; go back to the application and start again', { status: 400 });
  }
}

export async function detailsOf(ctx: Context, provider: Provider, expectedPrompt?: string): Promise<Details> {
  let details: Details;
  try {
    details = await provider.interactionDetails(ctx.req, ctx.res);
  } catch (err) {
    if (err instanceof errors.SessionNotFound) throw new InteractionExpired();
    throw err;
  }
  if (details.uid !== ctx.params.uid || (expectedPrompt && details.prompt.name !== expectedPrompt)) throw new InteractionExpired();
  return details;
}

export async function finish(ctx: Context, provider: Provider, result: InteractionResults, merge: boolean): Promise<void> {
  const to = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: merge });
  ctx.status = 303;
  ctx.redirect(to);
}

export async function clientNameOf(provider: Provider, details: Details): Promise<string> {
  const client = await provider.Client.find(String(details.params.client_id));
  return String(client?.clientName ?? details.params.client_id);
}

/** URLs of one interaction's pages, in the page's language. */
export interface PageUrls {
  lang: Lang;
  /** `/interaction/<uid>/<action>?lang=…` (the interaction's own page without an action). */
  to(action?: string, query?: Record<string, string>): string;
  langSwitchUrl: string;
}

export function pageUrls(ctx: Context, details: Details): PageUrls {
  const lang = langOf(ctx, details.params.ui_locales);
  const base = `/interaction/${details.uid}`;
  const to = (action?: string, query: Record<string, string> = {}) =>
    `${action ? `${base}/${action}` : base}?${new URLSearchParams({ lang, ...query }).toString()}`;
  const other = lang === 'fr' ? 'en' : 'fr';
  const keep = Object.fromEntries(Object.entries(ctx.query).filter((e): e is [string, string] => e[0] !== 'lang' && typeof e[1] === 'string'));
  return { lang, to, langSwitchUrl: `${ctx.path}?${new URLSearchParams({ ...keep, lang: other }).toString()}` };
}

export function originOf(ctx: Context, details: Details): RequestOrigin {
  return { clientId: String(details.params.client_id ?? '') || null, ip: ctx.ip, userAgent: ctx.get('user-agent') };
}

/** A form field as a bounded string ('' when absent or not a string). */
export function formField(ctx: Context, name: string, max = 1024): string {
  const value = (ctx.request.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value.slice(0, max) : '';
}
