/**
 * Schema of `tenants/*.yaml`: one académie per file. Directory sources and connectors are
 * declared here; their detailed fields are defined by the provisioning and federation modules
 * and only the common part is checked for now.
 */
import { z } from 'zod';
import { tenantAuthSchema } from '../auth/config.js';
import { tenantConnectorSchema } from '../federation/config.js';
import { tenantGarSchema } from '../identity/gar.js';
import { directorySourceSchema } from '../provisioning/source-config.js';

export const tenantSchema = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9-]{1,31}$/, 'lower-case letters, digits and -'),
  name: z.string().min(1),
  /** Numeric académie code as ÉduConnect sends it (`09` Lille, `20` Amiens). */
  academyCode: z.string().regex(/^\d{2,3}$/, '2 or 3 digits'),
  directorySources: z.array(directorySourceSchema).default([]),
  /** The académie's staff IdP(s); see src/federation/config.ts. */
  connectors: z.array(tenantConnectorSchema).default([]),
  /** Overrides of the platform's local-account rules; see src/auth/config.ts. */
  auth: tenantAuthSchema.optional(),
  /** The GAR project id and the schools that use the GAR; absent: none. See src/identity/gar.ts. */
  gar: tenantGarSchema.optional(),
  /**
   * What the connection letters print: the ENT's name, and where the code is typed (the ENT
   * portal whose login page offers « Activer mon compte »; absent: the hub's own address).
   */
  letters: z.strictObject({
    entName: z.string().min(1).max(80).default('ENT Hauts-de-France'),
    activationUrl: z.string().url().optional(),
  }).default({ entName: 'ENT Hauts-de-France' }),
});

export type TenantConfig = z.infer<typeof tenantSchema>;
