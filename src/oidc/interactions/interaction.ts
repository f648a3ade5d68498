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
 * An unknown, expired or already-used interaction: the user must start again from the app.
 * `stale`: the interaction lives on but is at another step (a page from before going back);
 * the page then offers to resume it rather than to start again.
 */
export class InteractionExpired extends HubError {
  constructor(readonly stale = false) {
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
  if (details.uid !== ctx.params.uid) throw new InteractionExpired();
  const prompt = isSignInPrompt(details.prompt.name) ? 'login' : details.prompt.name;
  if (expectedPrompt && prompt !== expectedPrompt) throw new InteractionExpired(true);
  return details;
}

/**
 * How to start a sign-in again once its interaction has expired: the client, and the
 * authorization request to send again. Kept (an hour beyond the interaction) under the
 * interaction's uid, since an expired interaction tells nothing of where it came from.
 */
export interface RestartInfo {
  clientId: string;
  /** The authorization endpoint's query of the first request, without hints that name a person. */
  query: string;
}

/** Lifetime beyond the interaction's own: a tab left open over lunch still gets its way back. */
const RESTART_EXTRA_SECONDS = 3600;

/** Parameters never kept: they name a person (hints) or cannot be sent twice (request objects). */
const NOT_RESENT = new Set(['login_hint', 'id_token_hint', 'request', 'request_uri']);

const restartKey = (uid: string) => `interaction-restart:${uid}`;

export async function rememberRestart(deps: Pick<InteractionDeps, 'ephemeral' | 'interactionTtl'>, details: Details): Promise<void> {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(details.params)) {
    if (NOT_RESENT.has(name)) continue;
    for (const v of Array.isArray(value) ? value : [value]) if (typeof v === 'string') query.append(name, v);
  }
  const info: RestartInfo = { clientId: String(details.params.client_id ?? ''), query: query.toString() };
  await deps.ephemeral.put(restartKey(details.uid), JSON.stringify(info), deps.interactionTtl + RESTART_EXTRA_SECONDS);
}

export async function recallRestart(deps: Pick<InteractionDeps, 'ephemeral'>, uid: string): Promise<RestartInfo | null> {
  const raw = await deps.ephemeral.get(restartKey(uid));
  return raw ? (JSON.parse(raw) as RestartInfo) : null;
}

/** The authorization endpoint (oidc-provider's default `/auth`, under the issuer). */
export function authorizationUrl(provider: Provider, query: string): string {
  return `${provider.issuer.replace(/\/$/, '')}/auth?${query}`;
}

/**
 * The password policy of a profile in a tenant, from the same policies the server checks with.
 * LocalAuth.policyOf reads only the account's tenant and profile (see src/auth/policy.ts).
 */
export function policyOfProfile(deps: Pick<InteractionDeps, 'auth'>, tenantId: string, profile: Profile): PasswordPolicy {
  return deps.auth.policyOf({ tenantId, profile } as Account).password;
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
