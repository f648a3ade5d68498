/**
 * OIDC's side of the login (src/login/completion.ts): a sign-in is an oidc-provider interaction,
 * its transaction id the interaction uid; completing it hands oidc-provider the interaction's
 * result, and an expired one starts again with its first authorization request.
 */
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { LoginProtocol } from '../login/completion.js';
import { stepsPathOf, type LoginTransaction } from '../login/transaction.js';
import { ACR_TWO_FACTORS, requestsTwoFactors } from '../identity/acr.js';
import type { EphemeralStore } from '../storage/ports/ephemeral.js';
import { langOf } from '../ui/request-lang.js';
import { CLIENT_TENANT, type TenantBoundClient } from './account-access.js';
import { detailsOf, interactionResultUrl, type Details } from './interactions/interaction.js';
import { authorizationUrl, recallRestart } from './restart.js';
import { signInResult } from './sign-in-policy.js';

const stringParam = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** The transaction of an interaction, as the login steps see it. */
export async function transactionOf(ctx: Context, provider: Provider, details: Details): Promise<LoginTransaction> {
  const { params } = details;
  const clientId = String(params.client_id);
  const client = (await provider.Client.find(clientId)) as (Awaited<ReturnType<Provider['Client']['find']>> & TenantBoundClient) | undefined;
  const tenant = client?.[CLIENT_TENANT];
  return {
    id: details.uid,
    protocol: 'oidc',
    client: { id: clientId, name: String(client?.clientName ?? clientId) },
    tenantHint: typeof tenant === 'string' ? tenant : null,
    requestedAcr: requestsTwoFactors(params) ? ACR_TWO_FACTORS : null,
    lang: langOf(ctx, params.ui_locales),
    hints: {
      idp: stringParam(params.idp_hint),
      login: stringParam(params.login_hint),
      selectAccount: (stringParam(params.prompt) ?? '').split(' ').includes('select_account'),
    },
    stepsPath: stepsPathOf(details.uid),
  };
}

export function oidcLoginProtocol(deps: { provider: Provider; ephemeral: EphemeralStore }): LoginProtocol {
  const { provider } = deps;
  return {
    transaction: async (ctx, id) => transactionOf(ctx, provider, await detailsOf(ctx, provider, 'login', id)),
    complete: async (ctx, _transaction, signedIn) => interactionResultUrl(ctx, provider, signInResult(signedIn), false),
    restart: async (id) => {
      const restart = await recallRestart(deps, id);
      if (!restart) return undefined;
      const client = await provider.Client.find(restart.clientId).catch(() => undefined);
      return {
        url: authorizationUrl(provider, restart.query),
        locales: new URLSearchParams(restart.query).get('ui_locales') ?? undefined,
        clientName: client ? String(client.clientName ?? client.clientId) : null,
      };
    },
  };
}
