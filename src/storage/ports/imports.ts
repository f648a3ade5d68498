/**
 * What an import job needs from the store, in batches: one call per batch of entries, never one
 * per entry, and maps from directory identifiers to row ids built as the run goes.
 */
import type { AccountStatus, GroupKind, Profile } from '../../identity/vocabulary.js';
import type { KeysetPage, KeysetResult } from './model.js';

export type ImportMode = 'full' | 'delta';
/** `completed_with_errors`: complete, but more of its entries quarantined than the source allows. */
export type ImportStatus = 'running' | 'completed' | 'completed_with_errors' | 'failed';

export interface ImportCounters {
  read: number;
  created: number;
  updated: number;
  unchanged: number;
  /** Entries folded into another entry's account: the same pupil (INE) listed twice. */
  merged: number;
  disappeared: number;
  quarantined: number;
}

export interface ImportRun {
  id: string;
  tenantId: string;
  sourceId: string;
  mode: ImportMode;
  dryRun: boolean;
  status: ImportStatus;
  startedAt: Date;
  finishedAt: Date | null;
  highWaterMark: string | null;
  counters: ImportCounters;
  error: string | null;
}

/** Which runs a listing keeps: those of one source, of one status, or all. */
export interface ImportRunFilter {
  sourceId?: string;
  status?: ImportStatus;
}

export interface StructureWrite {
  dn: string;
  externalId: string;
  uai: string;
  name: string;
  contentHash: string;
}

export interface GroupWrite {
  /** null: a class created from the people's references, the directory having no entry for it. */
  dn: string | null;
  structureId: string;
  kind: GroupKind;
  code: string;
  name: string;
  contentHash: string;
}

/** What the run knows of an existing account, to decide create / update / unchanged. */
export interface ExistingAccount {
  id: string;
  externalId: string | null;
  ine: string | null;
  /** ISO date: two entries sharing an INE are one pupil only if their birth dates agree. */
  birthDate: string | null;
  login: string;
  status: AccountStatus;
  contentHash: string | null;
}

export interface AccountWrite {
  /** Existing account id for an update; a new id for a create. */
  id: string;
  dn: string;
  externalId: string;
  source: string;
  profile: Profile;
  firstName: string;
  lastName: string;
  birthDate: string | null;
  email: string | null;
  academicEmail: string | null;
  ine: string | null;
  garId: string | null;
  contentHash: string;
  structureIds: string[];
  groupIds: string[];
}

/**
 * The parts of an existing account an update rewrites; the others stay as the last run wrote
 * them. A delta typically changes one attribute: rewriting every index, membership and link of
 * the account for it dominated a delta at a million people.
 */
export interface AccountChanges {
  /** dn, external id, INE, académie e-mail: the columns the store indexes. */
  keys: boolean;
  /** The other fields: profile, names, birth date, e-mail, GAR id, source. */
  fields: boolean;
  /** Structures and groups. */
  memberships: boolean;
}

export interface AccountUpdate extends AccountWrite {
  changes: AccountChanges;
}

export interface AccountCreate extends AccountWrite {
  login: string;
  /** SHA-256 of the activation code handed to the user; the account stays pending until used. */
  activationCodeHash: string;
}

/**
 * A parent–child link as one account of a batch states it: that account (`accountId`, the
 * parent or the child as `side` says) and the other person, named by external id or DN, who
 * may not be written yet.
 */
export interface PendingRelation {
  accountId: string;
  side: 'parent' | 'child';
  other: { externalId: string } | { dn: string };
}

/**
 * One batch's account writes. `restated`: accounts whose links the batch states anew (their
 * pending links left by `supersededRuns`, earlier runs that stopped before linking, are dropped:
 * the new statement replaces them). `merges`: memberships and links added to an account by a
 * second directory entry of the same pupil (same INE), never removing anything.
 */
export interface AccountBatch {
  creates: AccountCreate[];
  updates: AccountUpdate[];
  relations: PendingRelation[];
  replaceParentsOf: string[];
  restated: string[];
  merges: AccountMerge[];
  supersededRuns: string[];
  /** The run's counters once this batch is in, written in the same transaction: a killed run's row tells what it committed. */
  runCounters: ImportCounters;
}

export interface AccountMerge {
  accountId: string;
  structureIds: string[];
  groupIds: string[];
}

/** An account an import may mark disappeared. */
export interface SourceAccount {
  id: string;
  externalId: string | null;
}

/** Upsert outcome counts plus directory DN → row id for the rows written or found. */
export interface UpsertOutcome {
  created: number;
  updated: number;
  unchanged: number;
  idsByDn: Map<string, string>;
  /** The row id of each item, in the order given. */
  ids: string[];
}

export interface ImportStore {
  startRun(run: { sourceId: string; mode: ImportMode; dryRun: boolean }): Promise<ImportRun>;
  /** Without `counters`, the row keeps those its last committed batch wrote (a failed run's). */
  finishRun(runId: string, outcome: { status: Exclude<ImportStatus, 'running'>; counters?: ImportCounters; highWaterMark: string | null; error?: string }): Promise<Date>;
  /** Marks the source's runs still `running` as failed (their process died: the caller holds the lock); returns their ids. */
  abandonStaleRuns(sourceId: string): Promise<string[]>;
  /** The newest completed (with errors or not), non-dry run of the source (of that mode): its high-water mark feeds the next delta. */
  lastCompletedRun(sourceId: string, mode?: ImportMode): Promise<ImportRun | null>;
  listRuns(limit?: number): Promise<ImportRun[]>;
  /**
   * The runs kept by `filter`, newest first (by start, then id), one keyset page at a time;
   * HubError `invalid_cursor` (400) for an `after` no page gave.
   */
  pageRuns(filter: ImportRunFilter, page: KeysetPage): Promise<KeysetResult<ImportRun>>;
  getRun(runId: string): Promise<ImportRun | null>;
  addQuarantine(runId: string, items: Array<{ dn: string; reason: string }>): Promise<void>;
  listQuarantine(runId: string): Promise<Array<{ dn: string; reason: string }>>;

  /** By UAI; unchanged when the hash matches. */
  upsertStructures(items: StructureWrite[]): Promise<UpsertOutcome>;
  /** What `upsertStructures` would do, writing nothing (a dry run); created rows get ids no store row has. */
  previewStructures(items: StructureWrite[]): Promise<UpsertOutcome>;
  /** Every structure of the tenant by normalised DN (a delta run resolves DNs it did not read). */
  structureIdsByDn(): Promise<Map<string, string>>;
  /** By structure, kind and code; unchanged when the hash matches. */
  upsertGroups(items: GroupWrite[]): Promise<UpsertOutcome>;
  /** What `upsertGroups` would do, writing nothing (a dry run). */
  previewGroups(items: GroupWrite[]): Promise<UpsertOutcome>;
  /** Key `structureId|kind|code` → group id. */
  groupIdsByKey(): Promise<Map<string, string>>;

  findAccounts(query: { externalIds: string[]; ines: string[] }): Promise<ExistingAccount[]>;
  /** Logins already taken platform-wide among `base`, `base2`, `base3`… for each base. */
  takenLogins(bases: string[]): Promise<Set<string>>;
  /**
   * One transaction: creates, updates (the parts each has changed; its content hash and status
   * always), pending links. An account that was disappeared is live again.
   */
  applyAccounts(runId: string, batch: AccountBatch): Promise<void>;
  /**
   * Earlier runs of the source that still hold pending links: they stopped (failed, killed)
   * after committing accounts but before linking them. Their links are not lost: the next run
   * links them (`adoptPendingRelations`) unless its own batches state them anew.
   */
  leftoverRelationRuns(sourceId: string): Promise<string[]>;
  /** Makes the pending links of `fromRuns` this run's (those of accounts since deleted are dropped). */
  adoptPendingRelations(fromRuns: string[], runId: string): Promise<void>;
  /**
   * Links the run's pending relations; returns how many name nobody. Links already made stay
   * made if it fails half-way: running it again completes the work.
   */
  resolveRelations(runId: string): Promise<{ linked: number; unresolved: number }>;
  /** The source's active, pending or disabled accounts, by id, `limit` at a time after `afterId`. */
  liveAccountsOfSource(source: string, afterId: string | null, limit: number): Promise<SourceAccount[]>;
  /** Marks these accounts disappeared (those still active, pending or disabled); returns how many. */
  markDisappeared(ids: string[], at: Date): Promise<number>;
  /** Deletes accounts of the tenant that disappeared before `before`. */
  purgeDisappeared(before: Date): Promise<number>;
  /** Drops the staging rows of a run that completed (a failed run's wait for the next one). */
  cleanupRun(runId: string): Promise<void>;
}
