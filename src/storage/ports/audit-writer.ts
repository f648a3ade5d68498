/**
 * The audit records of operations done by an actor (account creation, client and connector
 * changes…): each event type with the fields it records, and a writer that adds who did it.
 */
import type { Actor } from '../../identity/actor.js';
import type { Profile } from '../../identity/vocabulary.js';
import type { AuditStore, PlatformStore, SpSignatures, SpSourceKind } from './index.js';
import type { AccountStatus } from '../../identity/vocabulary.js';
import type { DisabledReason, MergeLinks } from './index.js';

/** What a bulk activation reset covers: a structure (and a class of it), or an import run. */
export type ResetSelection = { structure: string; class?: string } | { run: string; source: string };

/**
 * Whose connection letters: a class of a school, a profile of a school, or one account (`uai`:
 * the school its letter names, when it has several).
 */
export type LetterSelection =
  | { kind: 'class'; uai: string; classCode: string }
  | { kind: 'profile'; uai: string; profile: Profile }
  | { kind: 'account'; accountId: string; uai?: string };

/** Each event type, with what it records besides the actor. */
export interface OperationEvents {
  'account.created': { accountId: string; details: Record<string, never> };
  /** `bulk` with the selection when one of many (`hub users reset-activation --structure|--run`). */
  'activation.reset': { accountId: string; details: Record<string, never> | ({ bulk: true } & ResetSelection) };
  'activation.reset_bulk': { details: ResetSelection & { issued: number; skipped: Record<string, number> } };
  /** Connection letters printed (`auth/connection-letters.ts`): a code issued per letter, each also `activation.reset`. */
  'letters.issued': { details: { selection: LetterSelection; issued: number; skipped: Record<string, number> } };
  /** `accountId` null: the lock was on a login no account has. */
  'account.unlocked': { accountId: string | null; details: { login: string; wasLimited: boolean } };
  'account.blocked': { accountId: string; details: { before: string } };
  'account.unblocked': { accountId: string; details: { after: string } };
  /** Every account of a profile of a school: `changed` blocked (or unblocked), `unchanged` left as they were. */
  'accounts.blocked_bulk': { details: { uai: string; profile: string; changed: number; unchanged: number } };
  'accounts.unblocked_bulk': { details: { uai: string; profile: string; changed: number; unchanged: number } };
  'account.sessions_revoked': { accountId: string; details: Record<string, never> };
  'account.second_factor_removed': { accountId: string; details: Record<string, never> };
  'account.identity_unlinked': { accountId: string; details: { connector: string; subject: string } };
  'account.login_changed': { accountId: string; details: { before: string; after: string } };
  /** A role granted or revoked; `scope`: `platform`, the tenant, or its structures. */
  'grant.added': { details: { grant: string; subjectKind: string; subject: string; role: string; tenant: string | null; structures: string[] } };
  'grant.removed': { details: { grant: string; subjectKind: string; subject: string; role: string; tenant: string | null; structures: string[] } };
  'client.created': { clientId: string; details: { public: boolean } };
  'client.secret_rotated': { clientId: string; details: Record<string, never> };
  'client.updated': { clientId: string; details: { changed: string[] } };
  'connector.added': { details: { connector: string; type: string; profile: string; enabled: boolean } };
  'connector.removed': { details: { connector: string } };
  /** `location`: the metadata file's path or URL. */
  'saml_sp.added': { details: { entityId: string; source: SpSourceKind; location: string; releasePolicy: string; signatures: SpSignatures; encryptAssertions: boolean } };
  /** A new copy of the metadata (a refresh). */
  'saml_sp.updated': { details: { entityId: string; source: SpSourceKind; location: string } };
  'saml_sp.removed': { details: { entityId: string } };
  /** `before`: the cut-off, as an ISO date. */
  'import.purge': { details: { deleted: number; before: string } };
  /** One GAR export run of the tenant: what it wrote, whether its files validated, what became of the delivery. */
  'gar.export': {
    details: {
      run: string; dryRun: boolean; counts: Record<string, number>; files: number; bytes: number; valid: boolean;
      delivery: 'delivered' | 'failed' | 'not_asked'; deliveryError?: string;
    };
  };
  /** An import run started from the admin API; its outcome is on the run's row. */
  'import.started': { details: { run: string; source: string; mode: string; dryRun: boolean } };
  /** Settings of an SP an admin changed: only the fields that changed, as they were and as they are. */
  'saml_sp.settings_changed': { details: { entityId: string; before: Record<string, unknown>; after: Record<string, unknown> } };
  /** A school's GAR switch set by an admin (`before`: whether it used the GAR until then). */
  'gar.school_switched': { details: { uai: string; before: boolean; after: boolean } };
}

export type OperationEventType = keyof OperationEvents;

/** An account's state as a merge and its undo change it. */
interface AccountState { status: AccountStatus; disabledReason: DisabledReason | null }
/** How many links of each kind a merge moved (the ids are in its record). */
export type LinkCounts = Record<keyof MergeLinks, number>;

/** Duplicate accounts (declared apart, merged into the list above): `accountId` is the merged (other) account. */
export interface OperationEvents {
  'account.merged': { accountId: string; details: { merge: string; kept: string; other: string; moved: LinkCounts; skipped: LinkCounts; before: AccountState; after: AccountState } };
  'account.merge_undone': { accountId: string; details: { merge: string; kept: string; other: string; movedBack: LinkCounts; before: AccountState; after: AccountState } };
  /** "Not a duplicate": the two accounts of the mark. */
  'duplicate.dismissed': { details: { mark: string; accounts: [string, string] } };
  'duplicate.dismissal_undone': { details: { mark: string; accounts: [string, string] } };
}

/** How the audit log names an actor, in every event's details. */
function actorDetails(actor: Actor): Record<string, unknown> {
  switch (actor.kind) {
    case 'operator':
      return { by: actor.name };
    case 'admin':
      return { by: 'admin', admin: actor.accountId, client: actor.clientId, role: actor.role, adminTenant: actor.tenantId };
    case 'system':
      return { by: 'system', job: actor.job };
  }
}

/** Writes one operation's events to the audit log of its tenant, or of the platform (null). */
export class AuditWriter {
  private readonly audit: AuditStore;

  constructor(store: PlatformStore, private readonly actor: Actor, tenantId: string | null) {
    this.audit = tenantId === null ? store.audit : store.forTenant(tenantId).audit;
  }

  async write<T extends OperationEventType>(type: T, event: OperationEvents[T]): Promise<void> {
    const { details, ...subject } = event;
    await this.audit.record({ type, ...subject, details: { ...actorDetails(this.actor), ...details } });
  }
}
