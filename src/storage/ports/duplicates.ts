/**
 * Likely duplicate accounts of a tenant (a pupil who moved from one académie's directory to the
 * other, a parent created twice): finding them, merging one into the other, or saying they are
 * two people. Both decisions are recorded so that they can be undone.
 */
import type { AccountStatus } from '../../identity/vocabulary.js';
import { HubError } from '../../shared/errors.js';
import type { Account, DisabledReason, KeysetPage, KeysetResult, Structure } from './model.js';

/** An account of a group, with the schools it is attached to (what the console compares side by side). */
export interface DuplicateMember {
  account: Account;
  /** By UAI. */
  structures: Structure[];
}

/**
 * Accounts of one tenant with the same names (compared without case, accents, hyphens or
 * apostrophes) and the same birth date, at least two of which have different external ids (or
 * one has none and the other one): two imports, or an import and a local creation, of one person.
 */
export interface DuplicateGroup {
  /** Opaque and stable while the names and birth date stay the same. */
  key: string;
  birthDate: string;
  /** Those of the group that could be a duplicate of another of it (not merged away, not all marked distinct); oldest first. */
  members: DuplicateMember[];
  /** The "not a duplicate" marks in force between members, shown so the console can say which pairs were already looked at. */
  marks: DistinctMark[];
}

/** Narrows the candidates; `structureIds`: only groups with at least one account attached to one of these structures. */
export interface DuplicateFilters {
  structureIds?: readonly string[];
}

/** What a merge moved (or left), by kind: ids of identities, structures, groups and related accounts. */
export interface MergeLinks {
  /** Federated identities (their ids): they move, keeping their id and creation date. */
  identities: string[];
  structures: string[];
  groups: string[];
  /** Parents of the other account (it was their child). */
  parents: string[];
  /** Children of the other account (it was their parent). */
  children: string[];
}

export interface MergeRecord {
  id: string;
  tenantId: string;
  keptId: string;
  otherId: string;
  /** Moved from the other account to the kept one; an undo moves exactly these back. */
  moved: MergeLinks;
  /**
   * Left on the other account: the kept one already had them, or moving them would have linked
   * the kept account to itself. No identity is ever left (an identity is one person's).
   */
  skipped: MergeLinks;
  /** The other account's status before the merge, which an undo restores. */
  otherBefore: { status: AccountStatus; disabledReason: DisabledReason | null };
  mergedAt: Date;
  /** How the audit log names who merged (`cli`, an admin account id). */
  mergedBy: string;
  undoneAt: Date | null;
  undoneBy: string | null;
}

/** "These two accounts are two people": the pair is no longer offered as a duplicate. */
export interface DistinctMark {
  id: string;
  tenantId: string;
  /** The two accounts, the smaller id first. */
  accountIds: [string, string];
  markedAt: Date;
  markedBy: string;
  undoneAt: Date | null;
  undoneBy: string | null;
}

/**
 * A merge or a mark that makes no sense whatever the state (an account with itself, two profiles),
 * or an undo the rules no longer allow (past the grace period). `reason` names it for the console.
 */
export class DuplicateRefused extends HubError {
  constructor(
    readonly reason: 'same_account' | 'different_profiles' | 'grace_period_over',
    message: string,
  ) {
    super('duplicate_refused', message, { status: 400, expose: true });
  }
}

export interface DuplicateStore {
  /**
   * The tenant's groups of likely duplicates, by folded last name, first name and birth date,
   * one keyset page at a time. Accounts merged into another are left out, and so are pairs
   * marked distinct: a group whose every eligible pair is marked is not offered. At most 500
   * groups a page, whatever the limit asked.
   */
  candidates(filters: DuplicateFilters, page: KeysetPage): Promise<KeysetResult<DuplicateGroup>>;
  /**
   * Merges `otherId` into `keepId`, in one transaction: the other's identities, structure and
   * group memberships and parent/child relations move to the kept account (those it already has
   * stay where they are), the other is disabled (`merged`), and the record says what moved.
   * NotFound for an account not of this tenant; DuplicateRefused for the same account twice or
   * two profiles; Conflict('merged') when either account is already merged into another.
   */
  merge(keepId: string, otherId: string, by: string): Promise<MergeRecord>;
  /** NotFound if absent or of another tenant. */
  getMerge(mergeId: string): Promise<MergeRecord>;
  /**
   * Moves back exactly what the merge moved and gives the other account its status back; the
   * store does not judge how old the merge is (the service does). Conflict('undone') for a
   * merge already undone; Conflict('merged') when the kept account was merged into another since
   * (undo that merge first).
   */
  undoMerge(mergeId: string, by: string): Promise<MergeRecord>;
  /** Newest first (ids are time-ordered), undone ones included. */
  listMerges(page: KeysetPage): Promise<KeysetResult<MergeRecord>>;
  /** NotFound for an account not of this tenant; DuplicateRefused for the same account twice; Conflict('mark') when the pair is already marked. */
  markDistinct(aId: string, bId: string, by: string): Promise<DistinctMark>;
  /** The pair may be offered again. NotFound if absent; Conflict('undone') if already undone. */
  undoDistinct(markId: string, by: string): Promise<DistinctMark>;
  /** Newest first, undone ones included. */
  listMarks(page: KeysetPage): Promise<KeysetResult<DistinctMark>>;
}
