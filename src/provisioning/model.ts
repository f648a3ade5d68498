import type { GroupKind, Profile } from '../identity/vocabulary.js';
/**
 * What an import reads from a directory, once mapped from SDET: plain records keyed by the
 * directory's own identifiers (DNs, jointures). The reconciler turns them into store rows.
 */

/** A raw directory entry: attribute name (as the server spells it) → values. */
export interface DirectoryEntry {
  dn: string;
  attributes: Record<string, string[]>;
}

export interface ImportedStructure {
  dn: string;
  /** `<SOURCE>-<id>` from ENTStructureJointure, or the UAI when the directory has no jointure. */
  externalId: string;
  uai: string;
  name: string;
}

export interface ImportedGroup {
  dn: string;
  /** DN of the structure the group belongs to. */
  structureDn: string;
  kind: GroupKind;
  code: string;
  name: string;
}

/** A class or group a person is in, as SDET writes it: `structureDN$code`. */
export interface GroupRef {
  structureDn: string;
  kind: GroupKind;
  code: string;
}

export interface ImportedPerson {
  dn: string;
  /** `<SOURCE>-<id>` from ENTPersonJointure (`SOURCE$id`). */
  externalId: string;
  profile: Profile;
  firstName: string;
  lastName: string;
  /** ISO YYYY-MM-DD. */
  birthDate: string | null;
  email: string | null;
  /** The académie e-mail staff IdPs vouch for (teachers and staff only). */
  academicEmail: string | null;
  /** National pupil id: stored, never released by default. */
  ine: string | null;
  garId: string | null;
  /** DN of the main structure (ENTPersonStructRattach). */
  mainStructureDn: string | null;
  /** Every structure the person belongs to, main one included. */
  structureDns: string[];
  groups: GroupRef[];
  /** Pupils: AAF ids of the parents who are legal guardians (ENTElevePersRelEleve field 4 = 1), as external ids. */
  guardianExternalIds: string[];
  /** Pupils: DNs of parents (ENTEleveParents / ENTEleveAutoriteParentale); parents: DNs of children (ENTAuxPersRelEleveEleve). */
  parentDns: string[];
  childDns: string[];
}

/** Why an entry could not be imported; the run goes on without it. */
export interface Quarantined {
  dn: string;
  reason: string;
}

/**
 * An entry mapped, or quarantined. `warnings`: what was wrong with an entry imported all the
 * same, as short sentences naming it (`structure <dn>: ENTStructureUAI 0590121X has a wrong
 * check letter (expected L)`), for the run's report; absent when there is nothing to say.
 * Never personal data: only DNs, attribute names and school ids (UAIs).
 */
export type MappingResult<T> = { ok: true; value: T; warnings?: string[] } | { ok: false; quarantined: Quarantined };
