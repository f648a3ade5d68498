/** Turns a refused local-account action into the message and marked fields of its form. */
import type { Refusal } from '../auth/local-auth.js';
import type { FormError } from './views/account-pages.js';

/** Whole minutes to tell a user who must wait `seconds`: never "0 minutes". */
export const retryMinutes = (seconds: number): number => Math.max(1, Math.ceil(seconds / 60));

/** `fields` names the form's inputs for each kind of problem: the pages differ in their names. */
export function formErrorOf(refusal: Refusal, fields: { login: string[]; secret: string[]; password: string[] }): FormError {
  switch (refusal.error) {
    case 'locked':
    case 'ip_limited':
      return { key: `login.error.${refusal.error}`, vars: { minutes: String(retryMinutes(refusal.retryAfterSeconds)) }, fields: [] };
    case 'too_short':
    case 'too_long':
    case 'common':
    case 'personal':
      return { key: `form.error.${refusal.error}`, vars: { min: String(refusal.policy.minLength), max: String(refusal.policy.maxLength) }, fields: fields.password };
    case 'mismatch':
    case 'same_password':
      return { key: `form.error.${refusal.error}`, fields: fields.password };
    case 'invalid_code':
    case 'expired_code':
    case 'invalid_credentials':
      return { key: `form.error.${refusal.error}`, fields: [...fields.login, ...fields.secret] };
    case 'terms':
      return { key: 'form.error.terms', fields: ['terms'] };
    case 'email':
      return { key: 'form.error.email', fields: ['email'] };
    case 'missing_fields':
      return { key: 'form.error.missing_fields', fields: [] };
  }
}

/** A refusal's HTTP status: 429 for limits, 401 for a wrong secret, 400 for a bad form. */
export function statusOf(refusal: Refusal): number {
  if (refusal.error === 'locked' || refusal.error === 'ip_limited') return 429;
  if (refusal.error === 'invalid_code' || refusal.error === 'invalid_credentials') return 401;
  return 400;
}
