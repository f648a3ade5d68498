/**
 * The tenant's link with the GAR (Gestionnaire d'Accès aux Ressources): its GAR project id and
 * the schools that use the GAR. The SAML IdP reads it for the GAR's SSO and the annuaire export
 * (issue 17) for the nightly files, so it lives in the domain, below both. The section is
 * declared in `tenants/*.yaml` under `gar` (composed by `src/config/tenant-schema.ts`); a tenant
 * without it has no school that uses the GAR.
 */
import { z } from 'zod';
import { secretRefSchema } from '../shared/secrets.js';
import { hasUaiShape } from './uai.js';

const uai = z.string().refine(hasUaiShape, 'a UAI: 7 digits and an upper-case letter');

export const tenantGarSchema = z.strictObject({
  /**
   * The ENT's GAR project id (`idEnt` in the GAR's SSO, `entId` in the export's file names);
   * entcore keeps it on each GAR school as the export tag `GAR-<id>`. No default.
   */
  projectId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and -, at most 64'),
  /**
   * The per-school switch: `all`, or the UAIs of the schools that use the GAR. No default: an
   * académie turns the GAR on school by school, so the list is written out.
   */
  structures: z.union([
    z.literal('all'),
    z.array(uai).min(1, 'at least one UAI, or all').refine((uais) => new Set(uais).size === uais.length, 'a UAI is listed twice'),
  ]),
  /**
   * Key of `GARPersonIdentifiant` (see `gar-identifier.ts`), ≥ 32 characters once read. Never
   * rotated: the GAR keys every assignment of resources on the identifier it derives.
   */
  identifierKey: secretRefSchema,
  /** The tenant's folder on the GAR's SFTP server (the export's `garExport.sftp`); required to deliver. */
  remoteDir: z.string().regex(/^\/?[\w./-]{1,200}$/, 'a path of letters, digits, . _ - and /').refine((p) => !p.split('/').includes('..'), 'no ..').optional(),
});

export type TenantGarSettings = z.infer<typeof tenantGarSchema>;

/** A tenant's GAR section with its identifier key read. */
export interface TenantGar {
  settings: TenantGarSettings;
  identifierKey: string;
}

/** The GAR project id a school's users are sent under, or null when the school does not use the GAR. */
export function garProjectIdOf(settings: TenantGarSettings | undefined, uai: string): string | null {
  if (!settings) return null;
  return settings.structures === 'all' || settings.structures.includes(uai) ? settings.projectId : null;
}
