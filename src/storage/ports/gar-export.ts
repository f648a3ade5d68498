/**
 * What the GAR annuaire export (issue 17) reads from a tenant's store: the schools that use the
 * GAR, their people and their classes and groups. People and groups are streamed in keyset pages
 * (by id), so an export of a million accounts never holds more than one page of rows.
 */
import type { GroupKind, Profile } from '../../identity/vocabulary.js';
import type { Structure } from './model.js';

/** The profiles the GAR knows; Relatives and Guests are never exported. */
export const GAR_EXPORTED_PROFILES = ['Student', 'Teacher', 'Personnel'] as const satisfies readonly Profile[];
export type GarExportedProfile = (typeof GAR_EXPORTED_PROFILES)[number];

/** A class or group an exported person belongs to, in one of the structures asked for. */
export interface GarExportMembership {
  groupId: string;
  kind: GroupKind;
  code: string;
  structureId: string;
}

/** An active or pending account of an exported profile, with its place in the structures asked for. */
export interface GarExportPerson {
  id: string;
  profile: GarExportedProfile;
  firstName: string;
  lastName: string;
  /** ISO date YYYY-MM-DD. */
  birthDate: string | null;
  /** Where the GAR may write to the person: the académie address, else the personal one; null when neither. */
  mail: string | null;
  /** The structures asked for that the account is attached to (at least one), in no particular order. */
  structureIds: string[];
  /** Its classes and groups in those structures, in no particular order. */
  groups: GarExportMembership[];
}

/** A class or group of one of the structures asked for. */
export interface GarExportGroup {
  id: string;
  structureId: string;
  kind: GroupKind;
  code: string;
  name: string;
  /**
   * For a group (`kind` group): the codes of the classes, in the same structure, of its active or
   * pending members, sorted; empty for a class.
   */
  classCodes: string[];
}

export interface GarPeopleQuery {
  /**
   * Accounts of `profiles` read per query (≥ 1; default 1000); those of no structure asked for
   * are dropped, so a page may hold fewer.
   */
  batch?: number;
  /** Default: every exported profile. */
  profiles?: readonly GarExportedProfile[];
}

export interface GarExportSource {
  /** The tenant's structures with these UAIs (UAIs it has not are ignored), or all of them; by UAI. */
  structures(uais: readonly string[] | 'all'): Promise<Structure[]>;
  /**
   * The tenant's active and pending accounts of `profiles` attached to at least one of
   * `structureIds`, by id, each once; read `batch` accounts per query.
   */
  people(structureIds: readonly string[], query?: GarPeopleQuery): AsyncIterable<GarExportPerson>;
  /** The classes and groups of `structureIds`, by id; `batch` (≥ 1) of the tenant's groups read per query (default 1000). */
  groups(structureIds: readonly string[], query?: { batch?: number }): AsyncIterable<GarExportGroup>;
}
