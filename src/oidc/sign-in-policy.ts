/**
 * When oidc-provider must show the login page although a session exists: oidc-provider's own
 * checks, plus two of the hub's. A session opened before the account's last password change
 * is no longer honoured (changing a password signs out the other devices), and an RP asking for
 * two factors gets them even from a session opened with one (step-up).
 */
import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import type { PlatformStore } from '../storage/ports/index.js';
import { issuedBeforeChange, servesEveryTenant, servesTenant, type TenantBoundClient } from './account-access.js';
import { ACR_TWO_FACTORS, requestsTwoFactors } from '../identity/acr.js';
import { orUnavailable } from './unavailable.js';

const { Check, Prompt } = interactionPolicy;

/**
 * `prompt=select_account` (OIDC Core 3.1.2.1): the login page with its choices, even with a
 * session and a remembered IdP. Its interaction is a sign-in like `login`.
 */
const SELECT_ACCOUNT = 'select_account';

/** The login prompt's reason when the signed-in account belongs to a tenant the client does not serve. */
export const TENANT_REFUSED = 'tenant_not_served';

/** Whether an interaction's prompt is answered by signing in (the login page). */
export const isSignInPrompt = (name: string): boolean => name === 'login' || name === SELECT_ACCOUNT;

/** The interaction result of a sign-in: it answers a requested select_account too. */
export const signInResult = (login: { accountId: string; acr?: string; amr?: string[] }) => ({ login, [SELECT_ACCOUNT]: {} });

export function signInPolicy(store: PlatformStore): interactionPolicy.Prompt[] {
  const policy = interactionPolicy.base();
  const login = policy.get('login')!;

  login.checks.add(new Check('password_changed', 'the password changed since this session signed in', 'login_required', async (ctx: KoaContextWithOIDC) => {
    const { session } = ctx.oidc;
    const signedInAt = session?.authTime();
    if (!session?.accountId || signedInAt === undefined || ctx.oidc.result?.login) return Check.NO_NEED_TO_PROMPT;
    const account = await orUnavailable(() => store.accounts.findById(session.accountId!));
    return issuedBeforeChange(signedInAt, account?.passwordChangedAt ?? null);
  }));

  // Once the interaction has just signed in, its outcome stands: the page decided what could be done.
  login.checks.add(new Check('two_factors_requested', 'a second factor was requested', 'login_required', (ctx: KoaContextWithOIDC) =>
    Boolean(ctx.oidc.session?.accountId) && !ctx.oidc.result?.login && requestsTwoFactors(ctx.oidc.params ?? {}) && ctx.oidc.acr !== ACR_TWO_FACTORS));

  // Checked after every sign-in too: whoever signed in, a client gets nothing of an account of a
  // tenant it does not serve. The interaction page then explains the refusal (TENANT_REFUSED).
  login.checks.add(new Check(TENANT_REFUSED, 'the client does not serve the account\'s tenant', 'login_required', async (ctx: KoaContextWithOIDC) => {
    const accountId = ctx.oidc.result?.login?.accountId ?? ctx.oidc.session?.accountId;
    const client = ctx.oidc.client as TenantBoundClient | undefined;
    if (!accountId || !client || servesEveryTenant(client)) return Check.NO_NEED_TO_PROMPT;
    const account = await orUnavailable(() => store.accounts.findById(accountId));
    return account !== null && !servesTenant(client, account.tenantId);
  }));

  policy.add(new Prompt({ name: SELECT_ACCOUNT, requestable: true }), 0);
  return policy;
}
