/** Entries and results for the SDET mapping tests: a school, DN shapes, unwrapping a result. */
import type { DirectoryEntry, MappingResult } from '../../src/provisioning/model.js';

export const BASE = 'dc=ent-hdf,dc=fr';
export const SCHOOL = `ENTStructureSIREN=19590121700015,ou=structures,${BASE}`;
/** SCHOOL as the mapper normalises it. */
export const SCHOOL_KEY = SCHOOL.toLowerCase();
export const OTHER_SCHOOL = `ENTStructureSIREN=19800001200011,ou=structures,${BASE}`;

export const entry = (dn: string, attributes: Record<string, string | string[]>): DirectoryEntry => ({
  dn,
  attributes: Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, Array.isArray(v) ? v : [v]])),
});

export function value<T>(result: MappingResult<T>): T {
  if (!result.ok) throw new Error(`quarantined: ${result.quarantined.reason}`);
  return result.value;
}

export function reason<T>(result: MappingResult<T>): string {
  if (result.ok) throw new Error('expected a quarantine');
  return result.quarantined.reason;
}

/** A school entry (Lycée Baggio, Lille), with `extra` attributes replacing its own. */
export const school = (extra: Record<string, string | string[]> = {}): DirectoryEntry => entry(SCHOOL, {
  objectClass: ['organizationalUnit', 'ENTStructure', 'ENTEtablissement'],
  ou: 'LYC BAGGIO',
  ENTStructureJointure: 'AC-LILLE$4321',
  ENTStructureNomCourant: 'LYCÉE PROFESSIONNEL BAGGIO',
  ENTStructureUAI: '0590121L',
  ...extra,
});
