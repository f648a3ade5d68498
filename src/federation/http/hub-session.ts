/**
 * Ends the hub's own (oidc-provider) session from a federation route, for single logout: what
 * oidc-provider's end_session does when the user confirms "log out of everything", minus the
 * page. The session is the one of this browser (its session cookie); the RPs with a back-channel
 * logout URI are told, the grants and the tokens issued under them are revoked.
 */
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { Logger } from '../../shared/logger.js';

/** oidc-provider 9 has it on clients; @types/oidc-provider does not declare it. */
interface BackchannelClient {
  backchannelLogoutUri?: string | undefined;
  backchannelLogout(sub: string, sid: string | undefined): Promise<void>;
}

/** The account of this browser's hub session, or null when it has none. */
export async function hubSessionAccount(provider: Provider, ctx: Context): Promise<string | null> {
  const session = await provider.Session.get(ctx);
  return session.accountId ?? null;
}

/** Ends this browser's hub session if it belongs to `accountId` (any account when null); true when one was ended. */
export async function endHubSession(provider: Provider, ctx: Context, accountId: string | null, log: Logger): Promise<boolean> {
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
}
