/**
 * Schema of `tenants/*.yaml`: one académie per file. Directory sources and connectors are
 * declared here; their detailed fields are defined by the provisioning and federation modules
 * and only the common part is checked for now.
 */
import { z } from 'zod';

const directorySourceSchema = z.strictObject({
  /** Source id used in external ids and jointures, e.g. `AC-LILLE`. */
  id: z.string().regex(/^[A-Z0-9-]{2,32}$/, 'upper-case letters, digits and -'),
  type: z.literal('ldap'),
  url: z.string().regex(/^ldaps?:\/\//, 'must start with ldap:// or ldaps://'),
  enabled: z.boolean().default(false),
});

const connectorSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]{2,40}$/, 'lower-case letters, digits and -'),
  type: z.enum(['saml', 'oidc']),
  /** The label on the login page. */
  displayName: z.string().min(1),
  enabled: z.boolean().default(false),
});

export const tenantSchema = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9-]{1,31}$/, 'lower-case letters, digits and -'),
  name: z.string().min(1),
  /** Numeric académie code as ÉduConnect sends it (`09` Lille, `20` Amiens). */
  academyCode: z.string().regex(/^\d{2,3}$/, '2 or 3 digits'),
  directorySources: z.array(directorySourceSchema).default([]),
  connectors: z.array(connectorSchema).default([]),
});

export type TenantConfig = z.infer<typeof tenantSchema>;
