/**
 * The state of a sign-in between its steps (password, then second factor, enrolment, account
 * security page), kept server-side as a ticket named by the sign-in's id: the browser holds only
 * the protocol's own binding of that id to it (OIDC: the interaction cookie), which the
 * protocol checks when the pages ask it for the transaction.
 */
import type { Context } from 'koa';
import type { Account } from '../storage/ports/index.js';
import { ACR_ONE_FACTOR, ACR_TWO_FACTORS } from '../identity/acr.js';
import type { LoginTransaction } from '../login/transaction.js';
import { originOf, pageUrls, redirect, type LoginPagesDeps } from './context.js';

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

const key = (id: string) => `auth-step:${id}`;

export async function loadStep(deps: LoginPagesDeps, id: string): Promise<AuthStep | null> {
  const raw = await deps.ephemeral.get(key(id));
  return raw ? (JSON.parse(raw) as AuthStep) : null;
}

export async function saveStep(deps: LoginPagesDeps, id: string, step: AuthStep): Promise<void> {
  await deps.ephemeral.put(key(id), JSON.stringify(step), deps.signInTtl);
}

export const hasSecondFactor = (step: AuthStep): boolean => step.amr.includes('otp') || step.amr.includes('mfa');

/**
 * After a factor passed: the next page this sign-in needs, or its end.
 * Order: second factor if enrolled; enrolment if required by policy or asked by the RP; the
 * settings page if the user came for it; the pending password change, and the confirmation of
 * an activation or a password change (its own page, whose button comes back here); the login.
 */
export async function proceed(ctx: Context, deps: LoginPagesDeps, transaction: LoginTransaction, account: Account, step: AuthStep): Promise<void> {
  await saveStep(deps, transaction.id, step);
  const urls = pageUrls(ctx, transaction);
  const policy = deps.auth.policyOf(account);
  const twoFactorsWanted = policy.mfa === 'required' || (policy.mfa !== 'off' && transaction.requestedAcr === ACR_TWO_FACTORS);
  if (!hasSecondFactor(step) && policy.mfa !== 'off') {
    if (await deps.auth.hasTotp(account)) return redirect(ctx, urls.to('mfa'));
    if (twoFactorsWanted) return redirect(ctx, urls.to('enrol'));
  }
  if (step.intent === 'manage' && !step.managed) return redirect(ctx, urls.to('manage'));
  if (step.confirm && !step.confirmed) {
    // Applied before the page says so: the confirmation is true when it shows.
    const { pendingPasswordHash, ...rest } = step;
    if (pendingPasswordHash) await deps.auth.applyPasswordChange(account, pendingPasswordHash, originOf(ctx, transaction));
    await saveStep(deps, transaction.id, { ...rest, confirmed: true });
    return redirect(ctx, urls.to('done'));
  }
  await complete(ctx, deps, transaction, account, step);
}

async function complete(ctx: Context, deps: LoginPagesDeps, transaction: LoginTransaction, account: Account, step: AuthStep): Promise<void> {
  const origin = originOf(ctx, transaction);
  if (step.pendingPasswordHash) await deps.auth.applyPasswordChange(account, step.pendingPasswordHash, origin);
  await deps.ephemeral.delete(key(transaction.id));
  const acr = hasSecondFactor(step) ? ACR_TWO_FACTORS : ACR_ONE_FACTOR;
  await deps.auth.audit(account, 'login.success', origin, { method: step.amr.join('+'), acr });
  redirect(ctx, await deps.login.complete(ctx, transaction, { accountId: account.id, amr: step.amr, acr }));
}
