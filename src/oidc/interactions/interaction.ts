/**
 * What every interaction action shares: its dependencies, loading the interaction of this
 * browser, URLs of the interaction's pages, finishing it.
 */
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { errors, type InteractionResults } from 'oidc-provider';
import type { LocalAuth, RequestOrigin } from '../../auth/local-auth.js';
import type { Federation } from '../../federation/index.js';
import { LoginExpired, stepsPathOf } from '../../login/transaction.js';
import type { EphemeralStore } from '../../storage/ports/ephemeral.js';
import type { Account, PlatformStore } from '../../storage/ports/index.js';
import type { PasswordPolicy } from '../../auth/password-policy.js';
import { isSignInPrompt } from '../sign-in-policy.js';
import type { Lang } from '../../ui/i18n.js';
import type { Profile } from '../../identity/vocabulary.js';
import { langOf } from '../../ui/request-lang.js';

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

/**
 * This browser's interaction `uid` (the one in the path unless told), at the `expectedPrompt`
 * (`login` for any sign-in prompt); LoginExpired when it is not.
 */
export async function detailsOf(ctx: Context, provider: Provider, expectedPrompt?: string, uid: unknown = ctx.params.uid): Promise<Details> {
  let details: Details;
  try {
    details = await provider.interactionDetails(ctx.req, ctx.res);
  } catch (err) {
    if (err instanceof errors.SessionNotFound) throw new LoginExpired({ detail: 'no interaction cookie' });
    throw err;
  }
  if (details.uid !== uid) throw new LoginExpired({ detail: 'interaction mismatch' });
  const prompt = isSignInPrompt(details.prompt.name) ? 'login' : details.prompt.name;
  if (expectedPrompt && prompt !== expectedPrompt) throw new LoginExpired({ stale: true, detail: 'interaction mismatch' });
  return details;
}

/**
 * The password policy of a profile in a tenant, from the same policies the server checks with.
 * LocalAuth.policyOf reads only the account's tenant and profile (see src/auth/policy.ts).
 */
export function policyOfProfile(deps: Pick<InteractionDeps, 'auth'>, tenantId: string, profile: Profile): PasswordPolicy {
  return deps.auth.policyOf({ tenantId, profile } as Account).password;
}

/** Hands oidc-provider this browser's interaction result: returns where the browser goes next. */
export async function interactionResultUrl(ctx: Context, provider: Provider, result: InteractionResults, merge: boolean): Promise<string> {
  return provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: merge });
}

export async function finish(ctx: Context, provider: Provider, result: InteractionResults, merge: boolean): Promise<void> {
  const to = await interactionResultUrl(ctx, provider, result, merge);
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
  const base = stepsPathOf(details.uid);
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
