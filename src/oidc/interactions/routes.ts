/**
 * OIDC's own steps of an interaction: the page it starts on (the sign-in pages' login page, the
 * tenant refusal, or consent, by oidc-provider's prompt), consent and abort. The rest of a
 * sign-in (password, second factor, account pages) is src/login-pages/, which finishes it
 * through the login protocol (login-protocol.ts).
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { LoginExpired, type LoginTransaction } from '../../login/transaction.js';
import { pageUrls, type LoginPagesDeps } from '../../login-pages/context.js';
import { showLoginPage } from '../../login-pages/login-page.js';
import { signInStepsRouter, type StepRoutes } from '../../login-pages/routes.js';
import { showTenantRefused } from '../../login-pages/tenant-refused.js';
import type { Account } from '../../storage/ports/index.js';
import { transactionOf } from '../login-protocol.js';
import { rememberRestart } from '../restart.js';
import { isSignInPrompt, TENANT_REFUSED } from '../sign-in-policy.js';
import { renderConsent, type ConsentAccount } from '../views/pages.js';
import { detailsOf, finish, type Details } from './interaction.js';

/** The sign-in pages' dependencies, and the provider whose interactions they are. */
export interface InteractionDeps extends LoginPagesDeps {
  provider: Provider;
}

function requestedScopes(details: Details): string[] {
  const missing = details.prompt.details as { missingOIDCScope?: string[]; missingResourceScopes?: Record<string, string[]> };
  return [...(missing.missingOIDCScope ?? []), ...Object.values(missing.missingResourceScopes ?? {}).flat()];
}

/**
 * The scopes that release something of this account (see claimsFor in src/oidc/claims.ts):
 * `ent_children` only for a parent, `email` only if the account has an address. The grant
 * still records every scope asked, so the page is not shown again for ones that gave nothing.
 */
function scopesFor(account: Account | null, scopes: string[]): string[] {
  if (!account) return scopes;
  return scopes.filter((scope) => (scope === 'ent_children' ? account.profile === 'Relative' : scope === 'email' ? Boolean(account.email) : true));
}

async function consentAccount(deps: InteractionDeps, account: Account | null, scopes: string[]): Promise<ConsentAccount | undefined> {
  if (!account) return undefined;
  const tenant = deps.store.forTenant(account.tenantId);
  const [structures, groups] = scopes.includes('ent') ? await Promise.all([tenant.memberships.structuresOf(account.id), tenant.memberships.groupsOf(account.id)]) : [[], []];
  return {
    name: account.displayName || `${account.firstName} ${account.lastName}`.trim(), login: account.login, profile: account.profile,
    structures: structures.length, classes: groups.filter((g) => g.kind === 'class').length,
  };
}

async function consentPage(ctx: Context, deps: InteractionDeps, details: Details, transaction: LoginTransaction): Promise<string> {
  const urls = pageUrls(ctx, transaction);
  const accountId = details.session?.accountId;
  const account = accountId ? await deps.store.accounts.findById(accountId) : null;
  const scopes = scopesFor(account, requestedScopes(details));
  const shown = await consentAccount(deps, account, scopes);
  return renderConsent({
    lang: urls.lang, action: urls.to('confirm'), abortAction: urls.to('abort'), clientName: transaction.client.name,
    scopes, langSwitchUrl: urls.langSwitchUrl, ...(shown ? { account: shown } : {}),
  });
}

/** Where oidc-provider hands over: the page its prompt asks for. */
async function showInteraction(ctx: Context, deps: InteractionDeps): Promise<void> {
  const details = await detailsOf(ctx, deps.provider);
  await rememberRestart({ ephemeral: deps.ephemeral, interactionTtl: deps.signInTtl }, details);
  const transaction = await transactionOf(ctx, deps.provider, details);
  if (details.prompt.reasons.includes(TENANT_REFUSED) && ctx.query.account !== 'other') {
    await showTenantRefused(ctx, deps, transaction);
    return;
  }
  if (!isSignInPrompt(details.prompt.name)) {
    ctx.type = 'html';
    ctx.body = await consentPage(ctx, deps, details, transaction);
    return;
  }
  await showLoginPage(ctx, deps, transaction);
}

async function confirmConsent(ctx: Context, deps: InteractionDeps): Promise<void> {
  const { provider } = deps;
  const details = await detailsOf(ctx, provider, 'consent');
  const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: details.session?.accountId, clientId: String(details.params.client_id) });
  if (!grant) throw new LoginExpired();
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
  const grantId = await grant.save();
  await finish(ctx, provider, { consent: details.grantId ? {} : { grantId } }, true);
}

/** The RP gets `access_denied` (its description is for the RP's logs, never a hub page's text). */
async function abort(ctx: Context, deps: InteractionDeps): Promise<void> {
  await detailsOf(ctx, deps.provider);
  await finish(ctx, deps.provider, { error: 'access_denied', error_description: 'the user denied the request' }, false);
}

/** The sign-in steps' router, with OIDC's own steps and those of the other protocols (`otherSteps`). */
export function interactionRouter(deps: InteractionDeps, otherSteps: ReadonlyArray<(routes: StepRoutes) => void> = []): Router {
  return signInStepsRouter(deps, (routes) => {
    routes.get('', (ctx) => showInteraction(ctx, deps));
    routes.post('/confirm', (ctx) => confirmConsent(ctx, deps));
    routes.post('/abort', (ctx) => abort(ctx, deps));
    for (const steps of otherSteps) steps(routes);
  });
}
