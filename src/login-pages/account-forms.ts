/**
 * Activation (login + code → password) and password change, both reached from the login page
 * of a sign-in, both ending like a password login (second factor next, if any), then a
 * page that confirms the change before the sign-in goes on.
 */
import type { Context } from 'koa';
import type { Refusal } from '../auth/local-auth.js';
import { summarizePolicies } from '../auth/password-policy.js';
import { normalizeLogin } from '../identity/login.js';
import { PROFILES } from '../identity/vocabulary.js';
import type { LoginTransaction } from '../login/transaction.js';
import { renderAccountDone, renderActivation, renderPasswordChange, type FormError, type PasswordRule } from './views/account-pages.js';
import { proceed } from './auth-step.js';
import { formField, originOf, pageUrls, policyOfProfile, redirect, transactionOf, type LoginPagesDeps } from './context.js';
import { formErrorOf, statusOf } from './refusals.js';
import { stepContext } from './second-factor.js';

/**
 * The rule a password field states. Before the account is proven (its activation code or
 * current password checked), every profile's rule of every tenant: stating the typed login's
 * rule would tell whether that login exists, and what profile it has.
 */
async function passwordRule(deps: LoginPagesDeps, provenLogin: string | null): Promise<PasswordRule> {
  const account = provenLogin ? await deps.store.accounts.findByLogin(normalizeLogin(provenLogin)) : null;
  if (account) return { kind: 'account', policy: deps.auth.policyOf(account).password };
  const tenants = await deps.store.tenants.list();
  const entries = tenants.flatMap((tenant) => PROFILES.map((profile) => [profile, policyOfProfile(deps, tenant.id, profile)] as const));
  return { kind: 'profiles', summary: summarizePolicies(entries) };
}

/** Refusals given only once the activation code was found right (see LocalAuth.activate). */
const AFTER_ACTIVATION_CODE: ReadonlySet<Refusal['error']> = new Set(['expired_code', 'terms', 'email', 'mismatch', 'too_short', 'too_long', 'common', 'personal']);

/** Refusals given only once the current password was found right (see LocalAuth.preparePasswordChange). */
const AFTER_CURRENT_PASSWORD: ReadonlySet<Refusal['error']> = new Set(['mismatch', 'same_password', 'too_short', 'too_long', 'common', 'personal']);

interface ActivationValues {
  login?: string;
  code?: string;
  termsAccepted?: boolean;
  email?: string;
  error?: FormError;
}

async function activationPage(ctx: Context, deps: LoginPagesDeps, transaction: LoginTransaction, values: ActivationValues, provenLogin: string | null): Promise<string> {
  const urls = pageUrls(ctx, transaction);
  return renderActivation({
    lang: urls.lang, langSwitchUrl: urls.langSwitchUrl, action: urls.to('activate'), backUrl: urls.to(), termsVersion: deps.termsVersion,
    rule: await passwordRule(deps, provenLogin), ...values,
  });
}

export async function showActivation(ctx: Context, deps: LoginPagesDeps): Promise<void> {
  const transaction = await transactionOf(ctx, deps);
  ctx.type = 'html';
  ctx.body = await activationPage(ctx, deps, transaction, {}, null);
}

export async function submitActivation(ctx: Context, deps: LoginPagesDeps): Promise<void> {
  const transaction = await transactionOf(ctx, deps);
  const input = {
    login: formField(ctx, 'login', 256).trim(),
    code: formField(ctx, 'code', 64),
    password: formField(ctx, 'password'),
    password2: formField(ctx, 'password2'),
    terms: formField(ctx, 'terms', 64),
    email: formField(ctx, 'email', 320),
  };
  const outcome = await deps.auth.activate(input, originOf(ctx, transaction));
  if (outcome.ok) {
    const { account } = outcome;
    await proceed(ctx, deps, transaction, account, { accountId: account.id, tenantId: account.tenantId, amr: ['pwd'], intent: 'login', confirm: 'activated' });
    return;
  }
  ctx.status = statusOf(outcome);
  ctx.type = 'html';
  const error = formErrorOf(outcome, { login: ['login'], secret: ['code'], password: ['password', 'password2'] });
  // Everything typed comes back but the passwords; the box stays ticked if it was.
  const values = { login: input.login, code: input.code.trim(), termsAccepted: input.terms === deps.termsVersion, email: input.email, error };
  ctx.body = await activationPage(ctx, deps, transaction, values, AFTER_ACTIVATION_CODE.has(outcome.error) ? input.login : null);
}

async function passwordPage(ctx: Context, deps: LoginPagesDeps, transaction: LoginTransaction, values: { login?: string; error?: FormError }, provenLogin: string | null): Promise<string> {
  const urls = pageUrls(ctx, transaction);
  return renderPasswordChange({
    lang: urls.lang, langSwitchUrl: urls.langSwitchUrl, action: urls.to('password'), backUrl: urls.to(), rule: await passwordRule(deps, provenLogin), ...values,
  });
}

export async function showPasswordChange(ctx: Context, deps: LoginPagesDeps): Promise<void> {
  const transaction = await transactionOf(ctx, deps);
  ctx.type = 'html';
  ctx.body = await passwordPage(ctx, deps, transaction, {}, null);
}

export async function submitPasswordChange(ctx: Context, deps: LoginPagesDeps): Promise<void> {
  const transaction = await transactionOf(ctx, deps);
  const input = { login: formField(ctx, 'login', 256).trim(), current: formField(ctx, 'current'), password: formField(ctx, 'password'), password2: formField(ctx, 'password2') };
  const outcome = await deps.auth.preparePasswordChange(input, originOf(ctx, transaction));
  if (outcome.ok) {
    const { account } = outcome;
    await proceed(ctx, deps, transaction, account, {
      accountId: account.id, tenantId: account.tenantId, amr: ['pwd'], intent: 'login', pendingPasswordHash: outcome.newHash, confirm: 'password_changed',
    });
    return;
  }
  ctx.status = statusOf(outcome);
  ctx.type = 'html';
  const error = formErrorOf(outcome, { login: ['login'], secret: ['current'], password: ['password', 'password2'] });
  ctx.body = await passwordPage(ctx, deps, transaction, { login: input.login, error }, AFTER_CURRENT_PASSWORD.has(outcome.error) ? input.login : null);
}

/** The confirmation of an activation or a password change; its button posts to `continue`. */
export async function showAccountDone(ctx: Context, deps: LoginPagesDeps): Promise<void> {
  const sc = await stepContext(ctx, deps);
  if (!sc) return;
  const { transaction, step, account } = sc;
  const urls = pageUrls(ctx, transaction);
  // Nothing to confirm (a typed URL, a step not reached): back to the sign-in's own page.
  if (!step.confirm || !step.confirmed) return redirect(ctx, urls.to());
  ctx.type = 'html';
  ctx.body = renderAccountDone({
    lang: urls.lang, langSwitchUrl: urls.langSwitchUrl, what: step.confirm, login: account.login,
    clientName: transaction.client.name, action: urls.to('continue'),
  });
}
