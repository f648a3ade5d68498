/**
 * The `acr` and `amr` of a sign-in through a connector: the connector's level, raised to two
 * factors when the upstream says it authenticated the user with more (a SAML
 * AuthnContextClassRef, an OIDC IdP's `acr` or `amr` value named in the connector's policy).
 */
import { z } from 'zod';
import { ACR_ONE_FACTOR, ACR_TWO_FACTORS } from '../../identity/acr.js';

/** Upstream authentication contexts that mean two factors, unless a connector lists its own. */
export const DEFAULT_TWO_FACTOR_CONTEXTS = [
  'https://refeds.org/profile/mfa',
  'http://schemas.microsoft.com/claims/multipleauthn',
  'urn:oasis:names:tc:SAML:2.0:ac:classes:TimeSyncToken',
  'urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract',
  'urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorUnregistered',
  ACR_TWO_FACTORS,
  // RFC 8176 amr values of an OIDC IdP.
  'mfa',
  'otp',
  'hwk',
];

export const authnLevelSchema = z.strictObject({
  /** The level of every sign-in through this connector. */
  default: z.enum([ACR_ONE_FACTOR, ACR_TWO_FACTORS]).default(ACR_ONE_FACTOR),
  /** Upstream contexts (SAML AuthnContextClassRef, OIDC `acr` or `amr` values) that mean two factors. */
  twoFactors: z.array(z.string().min(1)).default(DEFAULT_TWO_FACTOR_CONTEXTS),
});
export type AuthnLevelPolicy = z.infer<typeof authnLevelSchema>;

const DEFAULT_POLICY = authnLevelSchema.parse({});

export function federatedAuthentication(policy: AuthnLevelPolicy | undefined, upstreamContexts: readonly string[] = []): { acr: string; amr: string[] } {
  const { default: level, twoFactors } = policy ?? DEFAULT_POLICY;
  const two = level === ACR_TWO_FACTORS || upstreamContexts.some((c) => twoFactors.includes(c));
  return two ? { acr: ACR_TWO_FACTORS, amr: ['ext', 'mfa'] } : { acr: ACR_ONE_FACTOR, amr: ['ext'] };
}
