/**
 * The schools of a tenant that use the GAR once admins' switches (set school by school from the
 * admin side, kept in the store) are applied over the tenant file's `gar.structures`. A switch
 * wins over the file's list; a file that says `all` keeps every school, whatever the switches:
 * it is the académie's own choice, changed in the file.
 */
import type { TenantGarSettings } from './gar.js';

/** Where a school's GAR state comes from: the file's list, an admin's switch, or the file's `all`. */
export type GarSchoolOrigin = 'file' | 'switch' | 'all';

export type GarStructures = TenantGarSettings['structures'];

/** The file's list with the switches applied: switched-off schools left out, switched-on ones added (by UAI). */
export function switchedGarStructures(declared: GarStructures, switches: ReadonlyMap<string, boolean>): GarStructures {
  if (declared === 'all' || switches.size === 0) return declared;
  const kept = declared.filter((uai) => switches.get(uai) !== false);
  const added = [...switches].filter(([uai, on]) => on && !declared.includes(uai)).map(([uai]) => uai).sort();
  return [...kept, ...added];
}

/** Whether one school uses the GAR, and why. */
export function garSchoolState(declared: GarStructures, switches: ReadonlyMap<string, boolean>, uai: string): { enabled: boolean; origin: GarSchoolOrigin } {
  if (declared === 'all') return { enabled: true, origin: 'all' };
  const switched = switches.get(uai);
  if (switched !== undefined) return { enabled: switched, origin: 'switch' };
  return { enabled: declared.includes(uai), origin: 'file' };
}
