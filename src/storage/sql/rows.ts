/** Row ⇄ model conversions, the only place that knows how each engine returns a value. */
import type {
  Account, AuditEvent, ClientOrigin, FederatedIdentity, Group, OidcClientRecord,
  Structure, Tenant,
} from '../ports/index.js';
import type { AccountStatus, GroupKind, Profile } from '../../identity/vocabulary.js';
import type {
  AccountRow, AuditRow, ClientRow, GroupRow, IdentityRow, StructureRow, TenantRow,
} from './schema.js';
import type { DisabledReason, ServiceProvider, SpMetadataValues, SpSignatures, SpSourceKind, StoredConnector } from '../ports/index.js';
import type { ConnectorRow, ServiceProviderRow } from './schema.js';

/** The form every timestamp is written in: ISO-8601 UTC, which sorts correctly as text. */
export const toTimestamp = (date: Date): string => date.toISOString();
export const nowTimestamp = (): string => toTimestamp(new Date());

/** pg parses timestamptz into Date; SQLite hands back the ISO text we wrote. */
export const toDate = (value: Date | string): Date => (value instanceof Date ? value : new Date(value));
const toDateOrNull = (value: Date | string | null): Date | null => (value === null ? null : toDate(value));

/** pg parses jsonb; SQLite hands back the JSON text we wrote. */
export const toJsonText = (value: object): string => JSON.stringify(value);
export function fromJson(value: unknown): Record<string, unknown> {
  const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
}

export const toFlag = (value: boolean): number => (value ? 1 : 0);

export const toTenant = (row: TenantRow): Tenant => ({ id: row.id, name: row.name, academyCode: row.academy_code });

export function toAccount(row: AccountRow): Account {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    login: row.login,
    profile: row.profile as Profile,
    firstName: row.first_name,
    lastName: row.last_name,
    displayName: row.display_name,
    birthDate: row.birth_date,
    email: row.email,
    academicEmail: row.academic_email,
    status: row.status as AccountStatus,
    passwordHash: row.password_hash,
    externalId: row.external_id,
    source: row.source,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    disappearedAt: toDateOrNull(row.disappeared_at),
    activationCodeHash: row.activation_code_hash,
    activationExpiresAt: toDateOrNull(row.activation_expires_at),
    termsVersion: row.terms_version,
    termsAcceptedAt: toDateOrNull(row.terms_accepted_at),
    passwordChangedAt: toDateOrNull(row.password_changed_at),
    disabledReason: row.disabled_reason as DisabledReason | null,
  };
}

export function toIdentity(row: IdentityRow): FederatedIdentity {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    accountId: row.account_id,
    connectorId: row.connector_id,
    subject: row.subject,
    createdAt: toDate(row.created_at),
  };
}

export const toStructure = (row: Pick<StructureRow, 'id' | 'tenant_id' | 'uai' | 'name' | 'external_id'>): Structure => ({
  id: row.id, tenantId: row.tenant_id, uai: row.uai, name: row.name, externalId: row.external_id,
});

export const toGroup = (row: GroupRow): Group => ({
  id: row.id,
  tenantId: row.tenant_id,
  structureId: row.structure_id,
  kind: row.kind as GroupKind,
  code: row.code,
  name: row.name,
  externalId: row.external_id,
});

export function toClient(row: ClientRow): OidcClientRecord {
  return {
    clientId: row.client_id,
    tenantId: row.tenant_id,
    name: row.name,
    firstParty: Number(row.first_party) === 1,
    secretHash: row.secret_hash,
    metadata: fromJson(row.metadata),
    origin: row.origin as ClientOrigin,
    disabledAt: toDateOrNull(row.disabled_at),
    createdAt: toDate(row.created_at),
  };
}

export function toAuditEvent(row: AuditRow): AuditEvent {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    at: toDate(row.at),
    type: row.type,
    accountId: row.account_id,
    clientId: row.client_id,
    ip: row.ip,
    userAgent: row.user_agent,
    details: fromJson(row.details),
  };
}

export function toStoredConnector(row: ConnectorRow): StoredConnector {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    type: row.type,
    profile: row.profile,
    displayName: row.display_name,
    enabled: Number(row.enabled) === 1,
    config: fromJson(row.config),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

export function toServiceProvider(row: ServiceProviderRow): ServiceProvider {
  return {
    entityId: row.entity_id,
    tenantId: row.tenant_id,
    displayName: row.display_name,
    metadataXml: row.metadata_xml,
    source: { kind: row.source_kind as SpSourceKind, location: row.source_location },
    // Written from an SpMetadataValues by the adapter, never by hand.
    metadata: fromJson(row.metadata) as unknown as SpMetadataValues,
    validUntil: toDateOrNull(row.valid_until),
    fetchedAt: toDate(row.fetched_at),
    enabled: Number(row.enabled) === 1,
    releasePolicy: row.release_policy,
    signatures: row.signatures as SpSignatures,
    encryptAssertions: Number(row.encrypt_assertions) === 1,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}
