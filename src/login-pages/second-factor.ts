/**
 * The second factor of local accounts: TOTP code or recovery code, enrolment (QR code, first
 * code, recovery codes shown once) and the settings page (replace, turn off, continue).
 * Every page needs the first factor done in this sign-in (the step ticket), and changing
 * an enrolled factor needs that factor too: a stolen password cannot replace the victim's app.
 */
import type { Context } from 'koa';
import { NotFound } from '../shared/errors.js';
import type { Account } from '../storage/ports/index.js';
import { formatTotpSecret, otpauthUri, qrCodeSvg } from '../auth/totp.js';
import type { LoginTransaction } from '../login/transaction.js';
import { renderEnrolment, renderMfaManagement, renderRecoveryCodes, renderSecondFactor, type FormError } from './views/account-pages.js';
import { hasSecondFactor, loadStep, proceed, saveStep, type AuthStep } from './auth-step.js';
import { formField, originOf, pageUrls, redirect, transactionOf, type LoginPagesDeps } from './context.js';
import { formErrorOf, statusOf } from './refusals.js';

const CODE_FIELDS = { login: [], secret: ['code'], password: [] };

export interface StepContext {
  transaction: LoginTransaction;
  step: AuthStep;
  account: Account;
}

/** The sign-in's step and account; without them (expired, skipped), back to the login page. */
export async function stepContext(ctx: Context, deps: LoginPagesDeps): Promise<StepContext | null> {
  const transaction = await transactionOf(ctx, deps);
  const step = await loadStep(deps, transaction.id);
  const account = step && await deps.store.forTenant(step.tenantId).accounts.get(step.accountId).catch((err: unknown) => {
    if (err instanceof NotFound) return null;
    throw err;
  });
  if (step && account?.status === 'active') return { transaction, step, account };
  redirect(ctx, pageUrls(ctx, transaction).to());
  return null;
}

/** Changing the factor of an enrolled account first asks for that factor. */
async function mustProveFactor(ctx: Context, deps: LoginPagesDeps, { transaction, step, account }: StepContext): Promise<boolean> {
  if (hasSecondFactor(step) || !(await deps.auth.hasTotp(account))) return false;
  redirect(ctx, pageUrls(ctx, transaction).to('mfa'));
  return true;
}

function html(ctx: Context, status: number, body: string): void {
  ctx.status = status;
  ctx.type = 'html';
  ctx.body = body;
}

function secondFactorPage(ctx: Context, transaction: LoginTransaction, recovery: boolean, error?: FormError): string {
  const urls = pageUrls(ctx, transaction);
  return renderSecondFactor({
    lang: urls.lang, langSwitchUrl: urls.langSwitchUrl, action: urls.to('mfa', recovery ? { recovery: '1' } : {}),
    switchUrl: urls.to('mfa', recovery ? {} : { recovery: '1' }), recovery, ...(error ? { error } : {}),
  });
}

export async function showSecondFactor(ctx: Context, deps: LoginPagesDeps): Promise<void> {
  const sc = await stepContext(ctx, deps);
  if (!sc) return;
  if (hasSecondFactor(sc.step)) return proceed(ctx, deps, sc.transaction, sc.account, sc.step);
  html(ctx, 200, secondFactorPage(ctx, sc.transaction, ctx.query.recovery === '1'));
}

export async function submitSecondFactor(ctx: Context, deps: LoginPagesDeps): Promise<void> {
  const sc = await stepContext(ctx, deps);
  if (!sc) return;
  const { transaction, step, account } = sc;
  const origin = originOf(ctx, transaction);
  if (ctx.query.recovery === '1') {
    const outcome = await deps.auth.useRecoveryCode(account, formField(ctx, 'recovery', 64), origin);
    if (!outcome.ok) {
      const error = outcome.error === 'invalid_code' ? { key: 'mfa.error.invalid_recovery' as const, fields: ['recovery'] } : formErrorOf(outcome, { ...CODE_FIELDS, secret: ['recovery'] });
      return html(ctx, statusOf(outcome), secondFactorPage(ctx, transaction, true, error));
    }
    // The settings page next: it says how many codes are left and offers to replace a lost phone.
    return proceed(ctx, deps, transaction, account, { ...step, amr: [...step.amr, 'mfa'], intent: 'manage', recoveryCodesLeft: outcome.remaining });
  }
  const outcome = await deps.auth.verifyTotp(account, formField(ctx, 'code', 32), origin);
  if (outcome === 'ok') return proceed(ctx, deps, transaction, account, { ...step, amr: [...step.amr, 'otp', 'mfa'] });
  const error = typeof outcome === 'string' ? { key: `mfa.error.${outcome}` as const, fields: ['code'] } : formErrorOf(outcome, CODE_FIELDS);
  html(ctx, typeof outcome === 'string' ? 401 : statusOf(outcome), secondFactorPage(ctx, transaction, false, error));
}

async function enrolmentPage(ctx: Context, deps: LoginPagesDeps, sc: StepContext, sealed: string, error?: FormError): Promise<string> {
  const urls = pageUrls(ctx, sc.transaction);
  const secret = deps.auth.openSecret(sealed);
  const uri = otpauthUri(secret, sc.account.login, deps.mfaIssuer);
  return renderEnrolment({
    lang: urls.lang, langSwitchUrl: urls.langSwitchUrl, action: urls.to('enrol'),
    required: deps.auth.policyOf(sc.account).mfa === 'required',
    qrSvg: await qrCodeSvg(uri), otpauthUrl: uri,
    manualKey: formatTotpSecret(secret), ...(error ? { error } : {}),
  });
}

export async function showEnrolment(ctx: Context, deps: LoginPagesDeps): Promise<void> {
  const sc = await stepContext(ctx, deps);
  if (!sc || await mustProveFactor(ctx, deps, sc)) return;
  if (deps.auth.policyOf(sc.account).mfa === 'off') return proceed(ctx, deps, sc.transaction, sc.account, sc.step);
  let sealed = sc.step.pendingSecret;
  if (!sealed) {
    sealed = deps.auth.newEnrolment().sealed;
    await saveStep(deps, sc.transaction.id, { ...sc.step, pendingSecret: sealed });
  }
  html(ctx, 200, await enrolmentPage(ctx, deps, sc, sealed));
}

export async function submitEnrolment(ctx: Context, deps: LoginPagesDeps): Promise<void> {
  const sc = await stepContext(ctx, deps);
  if (!sc || await mustProveFactor(ctx, deps, sc)) return;
  const sealed = sc.step.pendingSecret;
  if (!sealed) return showEnrolment(ctx, deps);
  const outcome = await deps.auth.confirmEnrolment(sc.account, sealed, formField(ctx, 'code', 32), originOf(ctx, sc.transaction));
  if (!outcome.ok) {
    const limited = 'retryAfterSeconds' in outcome;
    const error = limited ? formErrorOf(outcome, CODE_FIELDS) : { key: `mfa.error.${outcome.error}` as const, fields: ['code'] };
    return html(ctx, limited ? statusOf(outcome) : 401, await enrolmentPage(ctx, deps, sc, sealed, error));
  }
  const { pendingSecret: _done, ...rest } = sc.step;
  await saveStep(deps, sc.transaction.id, { ...rest, amr: hasSecondFactor(rest) ? rest.amr : [...rest.amr, 'otp', 'mfa'] });
  const urls = pageUrls(ctx, sc.transaction);
  html(ctx, 200, renderRecoveryCodes({ lang: urls.lang, langSwitchUrl: urls.langSwitchUrl, action: urls.to('continue'), codes: outcome.codes }));
}

export async function showManagement(ctx: Context, deps: LoginPagesDeps, notice?: 'manage.removed'): Promise<void> {
  const sc = await stepContext(ctx, deps);
  if (!sc || await mustProveFactor(ctx, deps, sc)) return;
  const urls = pageUrls(ctx, sc.transaction);
  const left = sc.step.recoveryCodesLeft;
  html(ctx, 200, renderMfaManagement({
    lang: urls.lang, langSwitchUrl: urls.langSwitchUrl,
    enrolled: await deps.auth.hasTotp(sc.account),
    required: deps.auth.policyOf(sc.account).mfa === 'required',
    remainingCodes: await deps.auth.remainingRecoveryCodes(sc.account),
    ...(notice ? { notice } : left !== undefined ? { notice: 'mfa.recoveryUsed', noticeVars: { count: String(left) } } : {}),
    enrolAction: urls.to('manage/enrol'), removeAction: urls.to('manage/remove'), continueAction: urls.to('continue'),
  }));
}

export async function removeSecondFactor(ctx: Context, deps: LoginPagesDeps): Promise<void> {
  const sc = await stepContext(ctx, deps);
  if (!sc || await mustProveFactor(ctx, deps, sc)) return;
  // A required factor can be replaced, never turned off; the page offers no button for it.
  if (deps.auth.policyOf(sc.account).mfa !== 'required') await deps.auth.removeTotp(sc.account, originOf(ctx, sc.transaction));
  await showManagement(ctx, deps, 'manage.removed');
}

export async function restartEnrolment(ctx: Context, deps: LoginPagesDeps): Promise<void> {
  const sc = await stepContext(ctx, deps);
  if (!sc || await mustProveFactor(ctx, deps, sc)) return;
  const { pendingSecret: _old, ...rest } = sc.step;
  await saveStep(deps, sc.transaction.id, rest);
  redirect(ctx, pageUrls(ctx, sc.transaction).to('enrol'));
}

/** "Continue" on the recovery codes or settings page: the settings were seen; on with the sign-in. */
export async function continueSignIn(ctx: Context, deps: LoginPagesDeps): Promise<void> {
  const sc = await stepContext(ctx, deps);
  if (!sc) return;
  await proceed(ctx, deps, sc.transaction, sc.account, { ...sc.step, managed: true });
}
