/**
 * What every sign-in page shares: its dependencies, this browser's sign-in, the URLs of the
 * sign-in's pages, who is asking (for audit and throttling), the form's fields.
 */
import type { Context } from 'koa';
import type { LocalAuth, RequestOrigin } from '../auth/local-auth.js';
import type { PasswordPolicy } from '../auth/password-policy.js';
import type { Federation } from '../federation/index.js';
import type { Profile } from '../identity/vocabulary.js';
import type { LoginProtocol } from '../login/completion.js';
import type { HubSession } from '../login/hub-session.js';
import type { LoginTransaction } from '../login/transaction.js';
import type { EphemeralStore } from '../storage/ports/ephemeral.js';
import type { Account, PlatformStore } from '../storage/ports/index.js';
import type { Lang } from '../ui/i18n.js';

export interface LoginPagesDeps {
  /** The protocol whose sign-ins the pages serve: it finds them and finishes them. */
  login: LoginProtocol;
  hubSession: HubSession;
  store: PlatformStore;
  ephemeral: EphemeralStore;
  auth: LocalAuth;
  /** Shown on the activation page and recorded on the account. */
  termsVersion: string;
  /** The name authenticator apps show. */
  mfaIssuer: string;
  /** Seconds a sign-in lives: its steps are kept as long. */
  signInTtl: number;
  maxBodyBytes: number;
  /** Home-realm discovery on the login page: the connectors' buttons, hints and the remembered choice. */
  federation: Pick<Federation, 'loginChoices' | 'hintedRedirect' | 'rememberedChoice'>;
}

/** This browser's sign-in, the one named in the path; LoginExpired when it is not. */
export const transactionOf = (ctx: Context, deps: LoginPagesDeps): Promise<LoginTransaction> => deps.login.transaction(ctx, String(ctx.params.uid));

/**
 * The password policy of a profile in a tenant, from the same policies the server checks with.
 * LocalAuth.policyOf reads only the account's tenant and profile (see src/auth/policy.ts).
 */
export function policyOfProfile(deps: Pick<LoginPagesDeps, 'auth'>, tenantId: string, profile: Profile): PasswordPolicy {
  return deps.auth.policyOf({ tenantId, profile } as Account).password;
}

/** URLs of one sign-in's pages, in the page's language. */
export interface PageUrls {
  lang: Lang;
  /** `/interaction/<id>/<action>?lang=…` (the sign-in's own page without an action). */
  to(action?: string, query?: Record<string, string>): string;
  langSwitchUrl: string;
}

export function pageUrls(ctx: Context, transaction: LoginTransaction): PageUrls {
  const { lang, stepsPath: base } = transaction;
  const to = (action?: string, query: Record<string, string> = {}) =>
    `${action ? `${base}/${action}` : base}?${new URLSearchParams({ lang, ...query }).toString()}`;
  const other = lang === 'fr' ? 'en' : 'fr';
  const keep = Object.fromEntries(Object.entries(ctx.query).filter((e): e is [string, string] => e[0] !== 'lang' && typeof e[1] === 'string'));
  return { lang, to, langSwitchUrl: `${ctx.path}?${new URLSearchParams({ ...keep, lang: other }).toString()}` };
}

export function originOf(ctx: Context, transaction: LoginTransaction): RequestOrigin {
  return { clientId: transaction.client.id || null, ip: ctx.ip, userAgent: ctx.get('user-agent') };
}

/** A form field as a bounded string ('' when absent or not a string). */
export function formField(ctx: Context, name: string, max = 1024): string {
  const value = (ctx.request.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value.slice(0, max) : '';
}

/** A 303 to the next page of the sign-in (a POST's answer is never replayed). */
export function redirect(ctx: Context, url: string): void {
  ctx.status = 303;
  ctx.redirect(url);
}
