/** The admin console's own OIDC client: public (PKCE), first party, the admin scope, its callback on the issuer. */
import { ADMIN_SCOPE } from '../../oidc/admin-tokens.js';
import type { NewOidcClient } from '../../storage/ports/index.js';

export const CONSOLE_CLIENT_ID = 'hub-admin-console';
export const CONSOLE_SCOPE = `openid ${ADMIN_SCOPE}`;

export const consolePaths = (issuer: string) => {
  const base = issuer.replace(/\/$/, '');
  return { callback: `${base}/admin/callback`, home: `${base}/admin` };
};

export function consoleClientRecord(issuer: string): NewOidcClient {
  const paths = consolePaths(issuer);
  return {
    clientId: CONSOLE_CLIENT_ID,
    name: 'Console d’administration',
    firstParty: true,
    secretHash: null,
    metadata: {
      redirect_uris: [paths.callback],
      post_logout_redirect_uris: [paths.home],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      scope: CONSOLE_SCOPE,
    },
  };
}
