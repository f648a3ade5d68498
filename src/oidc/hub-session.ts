/**
 * The hub session kept by oidc-provider (src/login/hub-session.ts is the port). Ending it is
 * what oidc-provider's end_session does when the user confirms "log out of everything", minus
 * the page: the session is this browser's (its session cookie); the RPs with a back-channel
 * logout URI are told, the grants and the tokens issued under them are revoked.
 */
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { HubSession } from '../login/hub-session.js';
import type { Logger } from '../shared/logger.js';
import type { Lang } from '../ui/i18n.js';

/** oidc-provider 9 has it on clients; @types/oidc-provider does not declare it. */
interface BackchannelClient {
  backchannelLogoutUri?: string | undefined;
  backchannelLogout(sub: string, sid: string | undefined): Promise<void>;
}

/** oidc-provider's paths under the issuer's own path (`/session/end`…). */
export const issuerPathOf = (provider: Provider): string => new URL(provider.issuer).pathname.replace(/\/$/, '');

export function oidcHubSession(provider: Provider, log: Logger): HubSession {
  return {
    currentAccount: async (ctx: Context) => (await provider.Session.get(ctx)).accountId ?? null,
    end: async (ctx: Context, accountId: string | null) => {
      const session = await provider.Session.get(ctx);
      if (!session.accountId || (accountId !== null && session.accountId !== accountId)) return false;
      const sub = session.accountId;
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
      ctx.cookies.set('_session', null, { signed: true });
      return true;
    },
    // oidc-provider's end-session page asks first, with its xsrf token.
    confirmationUrl: (lang: Lang) => `${issuerPathOf(provider)}/session/end?${new URLSearchParams({ ui_locales: lang })}`,
  };
}
