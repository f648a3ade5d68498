/**
 * The state of a sign-in between its steps (password, then second factor, enrolment, account
 * security page), kept server-side as a ticket named by the interaction uid: the browser holds
 * only oidc-provider's interaction cookie, which already binds the uid to it.
 */
import type { Context } from 'koa';
import type { Account } from '../../storage/ports/index.js';
import { ACR_ONE_FACTOR, ACR_TWO_FACTORS, requestsTwoFactors } from '../../identity/acr.js';
import { signInResult } from '../sign-in-policy.js';
import { finish, originOf, pageUrls, type Details, type InteractionDeps } from './interaction.js';

export interface AuthStep {
  accountId: string;
  tenantId: string;
  /** RFC 8176 methods done so far. */
  amr: string[];
  /** `manage`: the user came for the second-factor settings page. */
  intent: 'login' | 'manage';
  /** A password change waiting for every factor to pass (argon2 hash). */
  pendingPasswordHash?: string;
  /** An enrolment waiting for its first code (sealed secret). */
  pendingSecret?: string;
  /** The settings page was shown (and left with "continue"). */
  managed?: boolean;
  /** Set when a recovery code was just used: the settings page says how many are left. */
  recoveryCodesLeft?: number;
  /** What to confirm once every factor passed, on a page of its own before the sign-in goes on. */
  confirm?: 'activated' | 'password_changed';
  /** The change is done and its confirmation page may show; "continue" then ends the sign-in. */
  confirmed?: boolean;
}

const key = (uid: string) => `auth-step:${uid}`;

export async function loadStep(deps: InteractionDeps, uid: string): Promise<AuthStep | null> {
  const raw = await deps.ephemeral.get(key(uid));
  return raw ? (JSON.parse(raw) as AuthStep) : null;
}

export async function saveStep(deps: InteractionDeps, uid: string, step: AuthStep): Promise<void> {
  await deps.ephemeral.put(key(uid), JSON.stringify(step), deps.interactionTtl);
}

export const hasSecondFactor = (step: AuthStep): boolean => step.amr.includes('otp') || step.amr.includes('mfa');

/**
 * After a factor passed: the next page this sign-in needs, or the end of the interaction.
 * Order: second factor if enrolled; enrolment if required by policy or asked by the RP; the
 * settings page if the user came for it; the pending password change, and the confirmation of
 * an activation or a password change (its own page, whose button comes back here); the login.
 */
export async function proceed(ctx: Context, deps: InteractionDeps, details: Details, account: Account, step: AuthStep): Promise<void> {
  await saveStep(deps, details.uid, step);
  const urls = pageUrls(ctx, details);
  const policy = deps.auth.policyOf(account);
  const twoFactorsWanted = policy.mfa === 'required' || (policy.mfa !== 'off' && requestsTwoFactors(details.params));
  if (!hasSecondFactor(step) && policy.mfa !== 'off') {
    if (await deps.auth.hasTotp(account)) return redirect(ctx, urls.to('mfa'));
    if (twoFactorsWanted) return redirect(ctx, urls.to('enrol'));
  }
  if (step.intent === 'manage' && !step.managed) return redirect(ctx, urls.to('manage'));
  if (step.confirm && !step.confirmed) {
    // Applied before the page says so: the confirmation is true when it shows.
    const { pendingPasswordHash, ...rest } = step;
    if (pendingPasswordHash) await deps.auth.applyPasswordChange(account, pendingPasswordHash, originOf(ctx, details));
    await saveStep(deps, details.uid, { ...rest, confirmed: true });
    return redirect(ctx, urls.to('done'));
  }
  await complete(ctx, deps, details, account, step);
}

async function complete(ctx: Context, deps: InteractionDeps, details: Details, account: Account, step: AuthStep): Promise<void> {
  const origin = originOf(ctx, details);
  if (step.pendingPasswordHash) await deps.auth.applyPasswordChange(account, step.pendingPasswordHash, origin);
  await deps.ephemeral.delete(key(details.uid));
  const acr = hasSecondFactor(step) ? ACR_TWO_FACTORS : ACR_ONE_FACTOR;
  await deps.auth.audit(account, 'login.success', origin, { method: step.amr.join('+'), acr });
  await finish(ctx, deps.provider, signInResult({ accountId: account.id, amr: step.amr, acr }), false);
}

function redirect(ctx: Context, url: string): void {
  ctx.status = 303;
  ctx.redirect(url);
}
