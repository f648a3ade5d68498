/**
 * Activation (login + code → password) and password change, both reached from the login page
 * of an interaction, both ending like a password login (second factor next, if any).
 */
import type { Context } from 'koa';
import { renderActivation, renderPasswordChange } from '../views/account-pages.js';
import { proceed } from './auth-step.js';
import { detailsOf, formField, originOf, pageUrls, type Details, type InteractionDeps } from './interaction.js';
import { formErrorOf, statusOf } from './refusals.js';
import type { FormError } from '../views/account-pages.js';

function activationPage(ctx: Context, deps: InteractionDeps, details: Details, values: { login?: string; email?: string; error?: FormError }): string {
  const urls = pageUrls(ctx, details);
  return renderActivation({ lang: urls.lang, langSwitchUrl: urls.langSwitchUrl, action: urls.to('activate'), backUrl: urls.to(), termsVersion: deps.termsVersion, ...values });
}

export async function showActivation(ctx: Context, deps: InteractionDeps): Promise<void> {
  const details = await detailsOf(ctx, deps.provider, 'login');
  ctx.type = 'html';
  ctx.body = activationPage(ctx, deps, details, {});
}

export async function submitActivation(ctx: Context, deps: InteractionDeps): Promise<void> {
  const details = await detailsOf(ctx, deps.provider, 'login');
  const input = {
    login: formField(ctx, 'login', 256).trim(),
    code: formField(ctx, 'code', 64),
    password: formField(ctx, 'password'),
    password2: formField(ctx, 'password2'),
    terms: formField(ctx, 'terms', 64),
    email: formField(ctx, 'email', 320),
  };
  const outcome = await deps.auth.activate(input, originOf(ctx, details));
  if (outcome.ok) {
    await proceed(ctx, deps, details, outcome.account, { accountId: outcome.account.id, tenantId: outcome.account.tenantId, amr: ['pwd'], intent: 'login' });
    return;
  }
  ctx.status = statusOf(outcome);
  ctx.type = 'html';
  const error = formErrorOf(outcome, { login: ['login'], secret: ['code'], password: ['password', 'password2'] });
  ctx.body = activationPage(ctx, deps, details, { login: input.login, email: input.email, error });
}

/** The default policy's length is shown before the login is known; the real one is checked on submit. */
const SHOWN_MIN_LENGTH = 8;

function passwordPage(ctx: Context, details: Details, values: { login?: string; error?: FormError }): string {
  const urls = pageUrls(ctx, details);
  return renderPasswordChange({ lang: urls.lang, langSwitchUrl: urls.langSwitchUrl, action: urls.to('password'), backUrl: urls.to(), minLength: SHOWN_MIN_LENGTH, ...values });
}

export async function showPasswordChange(ctx: Context, deps: InteractionDeps): Promise<void> {
  const details = await detailsOf(ctx, deps.provider, 'login');
  ctx.type = 'html';
  ctx.body = passwordPage(ctx, details, {});
}

export async function submitPasswordChange(ctx: Context, deps: InteractionDeps): Promise<void> {
  const details = await detailsOf(ctx, deps.provider, 'login');
  const input = { login: formField(ctx, 'login', 256).trim(), current: formField(ctx, 'current'), password: formField(ctx, 'password'), password2: formField(ctx, 'password2') };
  const outcome = await deps.auth.preparePasswordChange(input, originOf(ctx, details));
  if (outcome.ok) {
    const { account } = outcome;
    await proceed(ctx, deps, details, account, { accountId: account.id, tenantId: account.tenantId, amr: ['pwd'], intent: 'login', pendingPasswordHash: outcome.newHash });
    return;
  }
  ctx.status = statusOf(outcome);
  ctx.type = 'html';
  ctx.body = passwordPage(ctx, details, { login: input.login, error: formErrorOf(outcome, { login: ['login'], secret: ['current'], password: ['password', 'password2'] }) });
}
