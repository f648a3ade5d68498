/**
 * The figures of a tenant's admin dashboard: counts the store computes in one grouped query
 * each, never by reading the accounts or the audit log into memory.
 */
import type { AccountStatus, Profile } from '../../identity/vocabulary.js';

/**
 * Which accounts a figure covers. `structureIds` absent: the whole tenant; given: the accounts
 * attached to at least one of them (each counted once), so an empty list covers nobody (unlike a
 * role grant's empty list, which means the whole tenant: the caller translates). Ids of another
 * tenant's structures cover nobody.
 */
export interface StatsFilter {
  structureIds?: readonly string[];
}

export interface ProfileStatusCount {
  profile: Profile;
  status: AccountStatus;
  count: number;
}

/** One school and its attached accounts: all of them whatever their status, and those active or pending. */
export interface StructureActivation {
  structureId: string;
  uai: string;
  name: string;
  accounts: number;
  active: number;
  pending: number;
}

/** `day`: a UTC day, `YYYY-MM-DD`. */
export interface DayCount {
  day: string;
  count: number;
}

/**
 * The audit event types that mean "someone signed in to the hub": `login.success`, which the
 * local sign-in (`login-pages/auth-step.ts`, password and second factor) and the federated one
 * (`federation/linking/link.ts`, `method: 'federation'`) both record. `saml.sso` is not one: it
 * is an assertion sent to an SP, most often from a hub session opened earlier.
 */
export const SIGN_IN_EVENT_TYPES = ['login.success'] as const;

/** The longest range `signInsPerDay` answers for (a year and a day, leap years included). */
export const MAX_SIGN_IN_DAYS = 367;

export interface TenantStats {
  /** Accounts per (profile, status) pair that has any, by profile then status. */
  accountsByProfileAndStatus(filter: StatsFilter): Promise<ProfileStatusCount[]>;
  /** Each structure of the tenant (those of `filter` only, when given), by UAI, with its attached accounts; a school without any shows zeros. */
  activationByStructure(filter: StatsFilter): Promise<StructureActivation[]>;
  /**
   * Sign-ins (`SIGN_IN_EVENT_TYPES`) of the tenant per UTC day, oldest first, over the `days`
   * days ending with `now`'s (included, up to its end), days without any included with 0.
   * InvariantBroken unless 1 ≤ days ≤ MAX_SIGN_IN_DAYS (the caller checks its input).
   */
  signInsPerDay(days: number, now: Date): Promise<DayCount[]>;
}
