/**
 * The hub session kept by oidc-provider (src/login/hub-session.ts is the port). Ending it is
 * what oidc-provider's end_session does when the user confirms "log out of everything", minus
 * the page: the session is this browser's (its session cookie); the RPs with a back-channel
 * logout URI are told, the grants and the tokens issued under them are revoked.
 */
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { SignedIn } from '../login/completion.js';
import type { HubSession, HubSignIn } from '../login/hub-session.js';
import type { Logger } from '../shared/logger.js';
import type { Lang } from '../ui/i18n.js';

/** oidc-provider 9 has it on clients; @types/oidc-provider does not declare it. */
interface BackchannelClient {
  backchannelLogoutUri?: string | undefined;
  backchannelLogout(sub: string, sid: string | undefined): Promise<void>;
}

/** oidc-provider's paths under the issuer's own path (`/session/end`…). */
export const issuerPathOf = (provider: Provider): string => new URL(provider.issuer).pathname.replace(/\/$/, '');

type Session = Awaited<ReturnType<Provider['Session']['get']>>;
/** oidc-provider 9's session; @types/oidc-provider leaves out `new` and `id`. */
type OidcSession = Session & { readonly new?: boolean; id: string };

/** The session's cookie, as oidc-provider sets it (its `cookies.long` defaults, signed, until the session expires). */
const SESSION_COOKIE = '_session';

export function signInOf(session: Session): HubSignIn | null {
  if (!session.accountId) return null;
  return {
    sessionId: session.uid,
    accountId: session.accountId,
    acr: String(session.acr ?? ''),
    amr: (session.amr as string[] | undefined) ?? [],
    authTime: new Date((session.loginTs ?? 0) * 1000),
  };
}

/** `sessionTtl`: seconds a hub session lives (oidc-provider's `ttl.Session`). */
export function oidcHubSession(provider: Provider, log: Logger, sessionTtl: number): HubSession {
  const end = async (ctx: Context, accountId: string | null): Promise<HubSignIn | null> => {
    const session = await provider.Session.get(ctx);
    const ended = signInOf(session);
    if (!ended || (accountId !== null && ended.accountId !== accountId)) return null;
    const sub = ended.accountId;
    const authorizations = Object.entries(session.authorizations ?? {});
    await Promise.all(authorizations.map(async ([clientId, { grantId }]) => {
      const client = (await provider.Client.find(clientId)) as unknown as BackchannelClient | undefined;
      if (client?.backchannelLogoutUri) {
        await client.backchannelLogout(sub, session.sidFor(clientId)).catch((err: Error) => log.warn({ clientId, err: err.message }, 'back-channel logout failed'));
      }
      if (grantId) {
        await Promise.all([provider.AccessToken, provider.AuthorizationCode, provider.RefreshToken].map((model) => model.revokeByGrantId(grantId)));
        await (await provider.Grant.find(grantId))?.destroy();
      }
    }));
    await session.destroy();
    ctx.cookies.set(SESSION_COOKIE, null, { signed: true });
    return ended;
  };
  const begin = async (ctx: Context, signedIn: SignedIn): Promise<HubSignIn> => {
    let session = (await provider.Session.get(ctx)) as OidcSession;
    if (session.accountId && session.accountId !== signedIn.accountId) {
      await end(ctx, null);
      session = new provider.Session() as OidcSession;
    }
    // A new identifier at every sign-in (the uid stays): a session id known before it cannot be fixed on the victim.
    if (!session.new) session.resetIdentifier();
    session.loginAccount({ accountId: signedIn.accountId, acr: signedIn.acr, amr: signedIn.amr });
    await session.save(sessionTtl);
    ctx.cookies.set(SESSION_COOKIE, session.id, { signed: true, httpOnly: true, sameSite: 'lax', secure: ctx.secure, expires: new Date((session.exp ?? 0) * 1000) });
    return signInOf(session)!;
  };
  return {
    currentAccount: async (ctx: Context) => (await provider.Session.get(ctx)).accountId ?? null,
    current: async (ctx: Context) => signInOf(await provider.Session.get(ctx)),
    begin,
    end,
    // oidc-provider's end-session page asks first, with its xsrf token.
    confirmationUrl: (lang: Lang) => `${issuerPathOf(provider)}/session/end?${new URLSearchParams({ ui_locales: lang })}`,
  };
}
