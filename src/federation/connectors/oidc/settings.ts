/** The `oidc:` section of an OIDC connector (an académie's "FIM"). */
import { z } from 'zod';
import { secretRefSchema } from '../../../shared/secrets.js';

export const oidcSettingsSchema = z.strictObject({
  /** The upstream issuer; its discovery document is read from `<issuer>/.well-known/openid-configuration`. */
  issuer: z.url(),
  clientId: z.string().min(1),
  /** Absent: a public client (PKCE only). */
  clientSecret: secretRefSchema.optional(),
  scopes: z.array(z.string().min(1)).default(['openid', 'profile', 'email']),
  /** Upstream claim names read into the identity (the académies' FIM names by default). */
  claims: z.strictObject({
    subject: z.string().default('sub'),
    givenName: z.string().default('given_name'),
    familyName: z.string().default('family_name'),
    /** The académie e-mail; tried in order (DOMAIN.md: `mail`, fallback `ctemail`). */
    email: z.array(z.string()).min(1).default(['email', 'mail', 'ctemail']),
    rne: z.string().default('FrEduRne'),
  }).prefault({}),
  /** Tolerance on the ID token's iat/exp. */
  clockSkewSeconds: z.number().int().min(0).max(300).default(60),
  /**
   * The standard `email` claim links only with `email_verified: true` (many OIDC providers let
   * users edit it); the claims named here are directory attributes the académie sets itself and
   * are trusted as they are.
   */
  directoryEmailClaims: z.array(z.string()).default(['mail', 'ctemail']),
  /** Accepted ID token signature algorithms. */
  idTokenAlgorithms: z.array(z.enum(['RS256', 'PS256', 'ES256', 'RS512', 'PS512', 'ES384', 'EdDSA'])).min(1).default(['RS256', 'PS256', 'ES256']),
  /** Allows http:// issuers (tests, development); refused in production by the hub's checks. */
  allowInsecureHttp: z.boolean().default(false),
});
export type OidcSettings = z.infer<typeof oidcSettingsSchema>;

