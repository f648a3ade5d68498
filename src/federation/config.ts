/**
 * Configuration of upstream identity connectors: the platform's (ÉduConnect, in the hub's
 * config under `federation`) and each tenant's (its académie staff IdP, in `tenants/*.yaml`
 * under `connectors`).
 */
import { z } from 'zod';

export const tenantConnectorSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]{2,40}$/, 'lower-case letters, digits and -'),
  type: z.enum(['saml', 'oidc']),
  /** The label on the login page. */
  displayName: z.string().min(1),
  enabled: z.boolean().default(false),
});

export const platformFederationSchema = z.strictObject({
  /** Platform-wide connectors (ÉduConnect). */
  connectors: z.array(tenantConnectorSchema).default([]),
});

export type TenantConnectorConfig = z.infer<typeof tenantConnectorSchema>;
export type PlatformFederationConfig = z.infer<typeof platformFederationSchema>;
