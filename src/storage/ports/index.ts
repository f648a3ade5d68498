/**
 * The store's doors. Tenant data is reached only through `PlatformStore.forTenant(id)`, whose
 * methods are all scoped to that tenant: no method takes a tenant id a caller could forget.
 * Platform-wide reads that the login page and the OIDC layer need (a login is unique
 * platform-wide; clients are looked up by id) live on `PlatformStore` itself.
 */
import type {
  AccountFilters, AccountSearch, KeysetPage, KeysetResult,
  Account, AccountPatch, AuditEvent, FederatedIdentity, Group, GroupWithStructure, NewAccount,
  ClientOrigin, NewAuditEvent, NewGroup, NewOidcClient, NewStructure, OidcClientRecord, Page, Structure, Tenant, TotpEnrolment,
} from './model.js';
import type { NewStoredConnector, StoredConnector } from './model.js';
import type { NewServiceProvider, ServiceProvider, ServiceProviderMetadataUpdate, ServiceProviderSettings } from './model.js';

import type { GarExportSource } from './gar-export.js';
import type { GarSchoolSwitchStore } from './gar-schools.js';
import type { ImportStore } from './imports.js';
import type { RoleGrantStore } from './role-grants.js';
import type { TenantStats } from './tenant-stats.js';
import type { DuplicateStore } from './duplicates.js';
import type { SigningKeyStore } from './signing-keys.js';

export * from './model.js';
export * from './imports.js';
export * from './gar-export.js';
export * from './gar-schools.js';
export * from './role-grants.js';
export * from './keyset-cursor.js';
export * from './tenant-stats.js';
export * from './duplicates.js';
export * from './signing-keys.js';

export interface AccountStore {
  /** Conflict('login') if the login exists in any tenant; Conflict('externalId') within the tenant. */
  create(account: NewAccount): Promise<Account>;
  /** NotFound if absent or in another tenant. */
  get(id: string): Promise<Account>;
  findByExternalId(externalId: string): Promise<Account | null>;
  /** Accounts whose académie e-mail is `email` (compared case-insensitively); staff IdPs vouch for it. */
  findByAcademicEmail(email: string): Promise<Account[]>;
  /** NotFound / Conflict as above. */
  update(id: string, patch: AccountPatch): Promise<Account>;
  /**
   * Applies `patch` only if the account is still pending with this activation code hash, in one
   * statement: of two concurrent activations with the same code, one gets the account, the other null.
   */
  consumeActivationCode(id: string, codeHash: string, patch: AccountPatch): Promise<Account | null>;
  /**
   * Applies `patch` only if the account is still pending (never activated, or reset since), in
   * one statement; null otherwise (activated meanwhile, or gone). Issuing codes in bulk uses it.
   */
  updatePending(id: string, patch: AccountPatch): Promise<Account | null>;
  list(page?: Page): Promise<Account[]>;
  count(): Promise<number>;
  /**
   * Accounts attached to the structure with this UAI, whatever their status, by login; with
   * `classCode`, only members of that class of the structure. Empty for an unknown UAI or class.
   */
  listInStructure(uai: string, classCode?: string, page?: Page): Promise<Account[]>;
  /**
   * Accounts of a directory source created between `from` and `to` (both included), whatever
   * their status, by login: an import run's accounts (runs of a source are serialized).
   */
  listCreatedBySource(source: string, from: Date, to: Date, page?: Page): Promise<Account[]>;
  /**
   * Accounts found by `query` and `filters`, in a stable order (by folded last name, first name
   * and id; by login for `login`), one keyset page at a time. An unknown UAI or class finds none.
   */
  search(query: AccountSearch, filters: AccountFilters, page: KeysetPage): Promise<KeysetResult<Account>>;
  /** NotFound if absent; removes its memberships, relations and identities too. */
  delete(id: string): Promise<void>;
}

export interface StructureStore {
  /** Insert or update by UAI. */
  upsert(structure: NewStructure): Promise<Structure>;
  findByUai(uai: string): Promise<Structure | null>;
  list(page?: Page): Promise<Structure[]>;
}

export interface GroupStore {
  /** Insert or update by (structureId, kind, code); NotFound if the structure is not in this tenant. */
  upsert(group: NewGroup): Promise<Group>;
  listByStructure(structureId: string): Promise<Group[]>;
}

export interface MembershipStore {
  /** Idempotent; NotFound if either side is not in this tenant. */
  attachToStructure(accountId: string, structureId: string): Promise<void>;
  addToGroup(accountId: string, groupId: string): Promise<void>;
  removeFromGroup(accountId: string, groupId: string): Promise<void>;
  structuresOf(accountId: string): Promise<Structure[]>;
  groupsOf(accountId: string): Promise<GroupWithStructure[]>;
}

export interface RelationStore {
  /** Parent (Relative) → child (Student). Idempotent; NotFound if either is not in this tenant. */
  link(parentId: string, childId: string): Promise<void>;
  unlink(parentId: string, childId: string): Promise<void>;
  childrenOf(parentId: string): Promise<Account[]>;
  parentsOf(childId: string): Promise<Account[]>;
}

export interface IdentityStore {
  /** Conflict('subject') if (connector, subject) is already linked in this tenant. */
  link(accountId: string, connectorId: string, subject: string): Promise<FederatedIdentity>;
  find(connectorId: string, subject: string): Promise<FederatedIdentity | null>;
  listForAccount(accountId: string): Promise<FederatedIdentity[]>;
  unlink(id: string): Promise<void>;
}

export interface TenantClientStore {
  /** Conflict('clientId') if the id exists anywhere (a disabled client's included). */
  create(client: NewOidcClient, origin: ClientOrigin): Promise<OidcClientRecord>;
  /** Rewrites this tenant's client (name, first party, secret hash, metadata; origin and state kept); NotFound when it is not one. */
  update(client: NewOidcClient): Promise<OidcClientRecord>;
  /** Disabled ones included. */
  list(): Promise<OidcClientRecord[]>;
}

/** The TOTP second factor of local accounts and its single-use recovery codes. */
export interface MfaStore {
  totpOf(accountId: string): Promise<TotpEnrolment | null>;
  /** Starts or restarts an unconfirmed enrolment; Conflict('totp') if a confirmed one exists; NotFound for an unknown account. */
  startTotp(accountId: string, encryptedSecret: string): Promise<void>;
  /** Confirms the pending enrolment and replaces the recovery codes, atomically; NotFound if none is pending. */
  confirmTotp(accountId: string, recoveryCodeHashes: string[]): Promise<void>;
  /** Removes the enrolment and the recovery codes (idempotent). */
  removeTotp(accountId: string): Promise<void>;
  /** Marks an unused code used: true once, false when unknown or already used (even under concurrency). */
  useRecoveryCode(accountId: string, codeHash: string): Promise<boolean>;
  remainingRecoveryCodes(accountId: string): Promise<number>;
}

/**
 * Connectors registered in the store, of one owner (a tenant, or the platform). The store does
 * not interpret `config`: the federation module validates it on both sides.
 */
export interface ConnectorStore {
  /** Conflict('connectorId') if the id exists anywhere (another tenant, the platform); NotFound for an unknown tenant. */
  create(connector: NewStoredConnector): Promise<StoredConnector>;
  get(id: string): Promise<StoredConnector | null>;
  /** Ordered by id. */
  list(): Promise<StoredConnector[]>;
  /** NotFound if absent or not this owner's. */
  remove(id: string): Promise<void>;
}

/**
 * SAML service providers of one owner (a tenant, or the platform). The store does not read the
 * metadata: the SAML IdP parses it (`saml/idp/sp-metadata.ts`) before anything is written.
 */
export interface ServiceProviderStore {
  /** Conflict('entityId') if the entityID exists anywhere (another tenant, the platform); NotFound for an unknown tenant. */
  create(sp: NewServiceProvider): Promise<ServiceProvider>;
  get(entityId: string): Promise<ServiceProvider | null>;
  /** Ordered by entityID. */
  list(): Promise<ServiceProvider[]>;
  /** Replaces the metadata copy (name, owner, state and policy kept); NotFound if absent or not this owner's. */
  update(entityId: string, metadata: ServiceProviderMetadataUpdate): Promise<ServiceProvider>;
  /** Sets the settings given (the others and the metadata kept); NotFound if absent or not this owner's. */
  changeSettings(entityId: string, settings: Partial<ServiceProviderSettings>): Promise<ServiceProvider>;
  /** NotFound if absent or not this owner's. */
  remove(entityId: string): Promise<void>;
}

/**
 * Which events an audit search keeps; every criterion given must hold. `types`: exact types, or
 * prefixes ending with `.` (`login.` keeps `login.success`, `login.failure`…), compared with
 * case; an empty list keeps nothing. `actor`: who did an operation (`AuditWriter`'s details): an
 * admin's account id (`details.admin`), else `details.by` (`cli`, `system`, `config`). `from` is
 * included, `to` excluded: consecutive ranges [from, to) never count an event twice.
 */
export interface AuditFilter {
  types?: readonly string[];
  accountId?: string;
  clientId?: string;
  actor?: string;
  from?: Date;
  to?: Date;
}

export interface AuditStore {
  record(event: NewAuditEvent): Promise<AuditEvent>;
  /** Newest first. */
  list(page?: Page): Promise<AuditEvent[]>;
  /**
   * The events `filter` keeps, newest first (recording order within a millisecond), one keyset
   * page at a time: a page after a cursor is the same whatever was recorded since. InvalidCursor
   * for an `after` this search did not hand out.
   */
  search(filter: AuditFilter, page: KeysetPage): Promise<KeysetResult<AuditEvent>>;
  /**
   * Every event `filter` keeps, in `search`'s order, read `batchSize` (default 1000) per query:
   * an export of the whole log never holds more than one batch.
   */
  stream(filter: AuditFilter, options?: { batchSize?: number }): AsyncIterable<AuditEvent>;
}

/** Everything one tenant owns, and nothing else. */
export interface TenantScope {
  readonly tenantId: string;
  readonly accounts: AccountStore;
  readonly structures: StructureStore;
  readonly groups: GroupStore;
  readonly memberships: MembershipStore;
  readonly relations: RelationStore;
  readonly identities: IdentityStore;
  readonly clients: TenantClientStore;
  readonly mfa: MfaStore;
  /** The tenant's upstream connectors registered at run time (its académie IdP). */
  readonly connectors: ConnectorStore;
  /** The tenant's own SAML service providers. */
  readonly serviceProviders: ServiceProviderStore;
  readonly audit: AuditStore;
  /** Batch operations of the LDAP import jobs. */
  readonly imports: ImportStore;
  /** What the GAR annuaire export reads, streamed. */
  readonly garExport: GarExportSource;
  /** The admin dashboard's figures. */
  readonly stats: TenantStats;
  /** Likely duplicate accounts, their merges and "not a duplicate" marks. */
  readonly duplicates: DuplicateStore;
  /** The GAR switches admins set school by school. */
  readonly garSchools: GarSchoolSwitchStore;
}

export interface PlatformStore {
  readonly tenants: {
    upsert(tenant: Tenant): Promise<Tenant>;
    get(id: string): Promise<Tenant | null>;
    list(): Promise<Tenant[]>;
  };
  /** NotFound-free: a scope for an unknown tenant simply sees nothing and cannot write (FK). */
  forTenant(tenantId: string): TenantScope;
  /** Platform-wide account reads: the login page does not know the tenant yet. */
  readonly accounts: {
    findByLogin(login: string): Promise<Account | null>;
    findById(id: string): Promise<Account | null>;
  };
  /** Platform clients (tenantId null) and lookups by id across tenants, for oidc-provider. */
  readonly clients: {
    /** An enabled client, platform or tenant: what oidc-provider may use. A disabled one is null. */
    find(clientId: string): Promise<OidcClientRecord | null>;
    /** A client whatever its state, for the CLI (an id stays taken by a disabled client). */
    get(clientId: string): Promise<OidcClientRecord | null>;
    /** Insert or replace a platform client, enabled, with its origin (config mirror, CLI, development demo). */
    upsert(client: NewOidcClient, origin: ClientOrigin): Promise<OidcClientRecord>;
    /** Platform clients, disabled ones included. */
    list(): Promise<OidcClientRecord[]>;
    /**
     * Disables the enabled platform clients of `origin` whose id is not in `declared`, in one
     * statement, and returns them (now disabled). Tenant clients are never touched.
     */
    disableUndeclared(origin: ClientOrigin, declared: readonly string[]): Promise<OidcClientRecord[]>;
  };
  /** Platform connectors (tenantId null) registered at run time; a tenant's are in its scope. */
  readonly connectors: ConnectorStore;
  /** Platform SAML service providers (tenantId null); `find` looks across every owner. */
  readonly serviceProviders: ServiceProviderStore & {
    /** The SP with this entityID, whoever owns it: what the IdP looks up when an AuthnRequest arrives. */
    find(entityId: string): Promise<ServiceProvider | null>;
  };
  /** Platform-level events (tenantId null). */
  readonly audit: AuditStore;
  /** Admin roles, of every tenant and the platform. */
  readonly roleGrants: RoleGrantStore;
  /** The signing keys of the OIDC issuer and the SAML IdP, shared by every node. */
  readonly signingKeys: SigningKeyStore;
  /** Throws ServiceUnavailable when the database cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
