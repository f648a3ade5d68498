/**
 * Configuration of local accounts: password policy and second factor per profile, activation,
 * terms of use, brute-force limits. The platform sets it under `auth` in the hub's config; a
 * tenant may override the per-profile entries under `auth` in its `tenants/*.yaml`.
 */
import { z } from 'zod';
import { loginThrottleSchema } from './login-throttle.js';
import { passwordPolicySchema } from './password-policy.js';
import { PROFILES } from '../identity/vocabulary.js';

/** off: never asked; optional: the user may enrol; required: no login without it (enrolment is forced). */
export const MFA_MODES = ['off', 'optional', 'required'] as const;
export type MfaMode = (typeof MFA_MODES)[number];

const profile = z.enum(PROFILES);

/** A profile's entry is a whole policy: fields it does not give take the schema's defaults. */
const passwordPolicies = z.partialRecord(profile, passwordPolicySchema);
const mfaModes = z.partialRecord(profile, z.enum(MFA_MODES));

export const authConfigSchema = z.strictObject({
  /**
   * Key (≥ 32 characters) that encrypts TOTP secrets at rest, env HUB_SECRETS_KEY. Required in
   * production; development uses a fixed, labelled key.
   */
  secretsKey: z.string().min(32, 'at least 32 characters').optional(),
  /** Version of the terms of use accepted at activation (recorded on the account). */
  termsVersion: z.string().min(1).default('2026-09'),
  /**
   * Days an activation code stays valid. Default 120: codes are handed out on paper at the start
   * of the school year and some families only use them after the first school holidays.
   */
  activationCodeTtlDays: z.number().int().positive().default(120),
  /**
   * Per profile; a profile not listed gets the schema's defaults (12 characters, blocklist,
   * no personal names). Default: 8 for pupils (young children type them on tablets; NIST's
   * floor) and 10 for parents.
   */
  passwords: passwordPolicies.prefault({ Student: { minLength: 8 }, Relative: { minLength: 10 } }),
  /** Per profile; a profile not listed is `optional`. */
  mfa: mfaModes.default({}),
  /** The name authenticator apps show next to the account. */
  mfaIssuer: z.string().min(1).default('ENT Hauts-de-France'),
  throttle: loginThrottleSchema.prefault({}),
});

/** What a tenant may change: its profiles' policies and the activation code lifetime. */
export const tenantAuthSchema = z.strictObject({
  passwords: passwordPolicies.optional(),
  mfa: mfaModes.optional(),
  activationCodeTtlDays: z.number().int().positive().optional(),
});

export type AuthConfig = z.infer<typeof authConfigSchema>;
export type TenantAuthConfig = z.infer<typeof tenantAuthSchema>;
