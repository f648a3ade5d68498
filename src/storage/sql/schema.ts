/**
 * Kysely's view of the tables created by `migrations/`. Column names are snake_case; `rows.ts`
 * maps them to the model types of the ports.
 */
import type { ColumnType, Generated, Selectable } from 'kysely';

/**
 * Always written as an ISO-8601 UTC string (both engines accept it); read back as a Date from
 * PostgreSQL (timestamptz) and as the same string from SQLite (text).
 */
export type Timestamp = ColumnType<Date | string, string, string>;
/** Written as JSON text; read back parsed from PostgreSQL (jsonb), as text from SQLite. */
export type Json = ColumnType<unknown, string, string>;
/** 0 or 1: the same integer column in both engines. */
export type Flag = number;

export interface TenantsTable {
  id: string;
  name: string;
  academy_code: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface AccountsTable {
  id: string;
  tenant_id: string;
  login: string;
  profile: string;
  first_name: string;
  last_name: string;
  display_name: string;
  birth_date: string | null;
  email: string | null;
  academic_email: string | null;
  status: string;
  password_hash: string | null;
  external_id: string | null;
  source: string;
  created_at: Timestamp;
  updated_at: Timestamp;
  disappeared_at: Timestamp | null;
  // Added by 0002_import.
  ine: string | null;
  gar_id: string | null;
  /** Normalised directory DN of an imported account. */
  dn: string | null;
  /** Hash of the imported content (fields, memberships, links): unchanged entries are skipped. */
  content_hash: string | null;
  activation_code_hash: string | null;
  // Added by 0003_local_accounts.
  activation_expires_at: Timestamp | null;
  terms_version: string | null;
  terms_accepted_at: Timestamp | null;
  password_changed_at: Timestamp | null;
  // Added by 0010_admin.
  disabled_reason: string | null;
}

export interface RoleGrantsTable {
  id: string;
  subject_kind: string;
  subject_id: string;
  role: string;
  /** null: the platform. */
  tenant_id: string | null;
  /** JSON array of structure ids; empty: the whole tenant. */
  structure_ids: string;
  scope_key: string;
  granted_at: Timestamp;
  granted_by: string;
}

export interface AccountTotpTable {
  tenant_id: string;
  account_id: string;
  secret: string;
  created_at: Timestamp;
  confirmed_at: Timestamp | null;
}

export interface RecoveryCodesTable {
  tenant_id: string;
  account_id: string;
  code_hash: string;
  used_at: Timestamp | null;
}

export interface FederatedIdentitiesTable {
  id: string;
  tenant_id: string;
  account_id: string;
  connector_id: string;
  subject: string;
  created_at: Timestamp;
}

export interface StructuresTable {
  id: string;
  tenant_id: string;
  uai: string;
  name: string;
  external_id: string | null;
  dn: string | null;
  content_hash: string | null;
}

export interface GroupsTable {
  id: string;
  tenant_id: string;
  structure_id: string;
  kind: string;
  code: string;
  name: string;
  external_id: string | null;
  dn: string | null;
  content_hash: string | null;
}

export interface AccountStructuresTable {
  tenant_id: string;
  account_id: string;
  structure_id: string;
}

export interface GroupMembersTable {
  tenant_id: string;
  account_id: string;
  group_id: string;
}

export interface RelationsTable {
  tenant_id: string;
  parent_id: string;
  child_id: string;
}

export interface OidcClientsTable {
  client_id: string;
  tenant_id: string | null;
  name: string;
  first_party: Flag;
  secret_hash: string | null;
  metadata: Json;
  created_at: Timestamp;
  // Added by 0007_client_origin.
  /** `config`, `cli`, `development` or `hub` (ClientOrigin). */
  origin: string;
  disabled_at: Timestamp | null;
}

export interface AuditEventsTable {
  /** Insertion order, to sort events recorded within the same millisecond (bigint: string in pg). */
  seq: Generated<number | string>;
  id: string;
  tenant_id: string | null;
  at: Timestamp;
  type: string;
  account_id: string | null;
  client_id: string | null;
  ip: string | null;
  user_agent: string | null;
  details: Json;
}

export interface ImportRunsTable {
  id: string;
  tenant_id: string;
  source_id: string;
  mode: string;
  dry_run: Flag;
  status: string;
  started_at: Timestamp;
  finished_at: Timestamp | null;
  /** The greatest modifyTimestamp seen (LDAP generalized time), saved when a run completes. */
  high_water_mark: string | null;
  counters: Json;
  error: string | null;
}

export interface ImportQuarantineTable {
  run_id: string;
  dn: string;
  reason: string;
}

/** Replaced by 0006_import_staging: one side by account id, the other by external id or DN. */
export interface ImportPendingRelationsTable {
  run_id: string;
  account_id: string;
  side: 'parent' | 'child';
  other_external_id: string | null;
  other_dn: string | null;
}

/** Added by 0004_connectors. */
export interface ConnectorsTable {
  id: string;
  tenant_id: string | null;
  type: string;
  profile: string;
  display_name: string;
  enabled: Flag;
  config: Json;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** Added by 0008_service_providers. */
export interface ServiceProvidersTable {
  entity_id: string;
  tenant_id: string | null;
  display_name: string;
  metadata_xml: string;
  source_kind: string;
  source_location: string;
  metadata: Json;
  valid_until: Timestamp | null;
  fetched_at: Timestamp;
  enabled: Flag;
  release_policy: string;
  signatures: string;
  encrypt_assertions: Flag;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** Added by 0012_duplicates: a merge of two accounts, and what it moved. */
export interface AccountMergesTable {
  id: string;
  tenant_id: string;
  kept_id: string;
  other_id: string;
  /** MergeLinks. */
  moved: Json;
  skipped: Json;
  other_status: string;
  other_disabled_reason: string | null;
  merged_at: Timestamp;
  merged_by: string;
  undone_at: Timestamp | null;
  undone_by: string | null;
}

/** Added by 0012_duplicates: "these two accounts are two people" (a_id < b_id). */
export interface DuplicateMarksTable {
  id: string;
  tenant_id: string;
  a_id: string;
  b_id: string;
  marked_at: Timestamp;
  marked_by: string;
  undone_at: Timestamp | null;
  undone_by: string | null;
}

/** Added by 0014_gar_schools. */
export interface GarSchoolSwitchesTable {
  tenant_id: string;
  uai: string;
  enabled: Flag;
  changed_at: Timestamp;
}

/** Added by 0015_signing_keys. */
export interface SigningKeysTable {
  kid: string;
  use: string;
  alg: string;
  public_key: string;
  sealed_private_key: string;
  succeeds: string;
  created_at: Timestamp;
  activates_at: Timestamp;
  deactivated_at: Timestamp | null;
  retires_at: Timestamp | null;
  retired: Generated<Flag>;
}

export interface Database {
  tenants: TenantsTable;
  accounts: AccountsTable;
  role_grants: RoleGrantsTable;
  federated_identities: FederatedIdentitiesTable;
  structures: StructuresTable;
  groups: GroupsTable;
  account_structures: AccountStructuresTable;
  group_members: GroupMembersTable;
  relations: RelationsTable;
  oidc_clients: OidcClientsTable;
  audit_events: AuditEventsTable;
  account_totp: AccountTotpTable;
  recovery_codes: RecoveryCodesTable;
  import_runs: ImportRunsTable;
  import_quarantine: ImportQuarantineTable;
  import_pending_relations: ImportPendingRelationsTable;
  connectors: ConnectorsTable;
  service_providers: ServiceProvidersTable;
  account_merges: AccountMergesTable;
  duplicate_marks: DuplicateMarksTable;
  gar_school_switches: GarSchoolSwitchesTable;
  signing_keys: SigningKeysTable;
}

export type TenantRow = Selectable<TenantsTable>;
export type AccountRow = Selectable<AccountsTable>;
export type IdentityRow = Selectable<FederatedIdentitiesTable>;
export type StructureRow = Selectable<StructuresTable>;
export type GroupRow = Selectable<GroupsTable>;
export type ClientRow = Selectable<OidcClientsTable>;
export type AuditRow = Selectable<AuditEventsTable>;
export type ConnectorRow = Selectable<ConnectorsTable>;
export type ServiceProviderRow = Selectable<ServiceProvidersTable>;
