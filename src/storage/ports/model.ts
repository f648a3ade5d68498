/** The hub's stored entities, as every storage backend returns them. */
import type { AccountStatus, GroupKind, Profile } from '../../identity/vocabulary.js';


export interface Tenant {
  id: string;
  name: string;
  academyCode: string;
}

export interface Account {
  id: string;
  tenantId: string;
  /** Unique platform-wide. */
  login: string;
  profile: Profile;
  firstName: string;
  lastName: string;
  displayName: string;
  /** ISO date YYYY-MM-DD. */
  birthDate: string | null;
  email: string | null;
  /** The académie e-mail staff IdPs vouch for (matching key for staff). */
  academicEmail: string | null;
  status: AccountStatus;
  passwordHash: string | null;
  /** `<SOURCE>-<id>`, unique per tenant. */
  externalId: string | null;
  /** Where the account comes from: an import source id (`AC-LILLE`) or `local`. */
  source: string;
  createdAt: Date;
  updatedAt: Date;
  disappearedAt: Date | null;
  /** SHA-256 (or HMAC) of the pending activation code; null once activated. */
  activationCodeHash: string | null;
  /** When the activation code stops working; null: the tenant's default lifetime from `createdAt`. */
  activationExpiresAt: Date | null;
  /** The terms of use the user accepted at activation, and when. */
  termsVersion: string | null;
  termsAcceptedAt: Date | null;
  /** Sessions and refresh tokens older than this are no longer honoured. */
  passwordChangedAt: Date | null;
  /** Why a `disabled` account is disabled: an admin blocked it, or it was merged into another. */
  disabledReason: DisabledReason | null;
}

/** `blocked`: an admin's block (lifted by unblock); `merged`: the other half of a merged duplicate. */
export const DISABLED_REASONS = ['blocked', 'merged'] as const;
export type DisabledReason = (typeof DISABLED_REASONS)[number];

export type NewAccount = Pick<Account, 'login' | 'profile' | 'firstName' | 'lastName'> &
  Partial<Pick<Account, 'id' | 'displayName' | 'birthDate' | 'email' | 'academicEmail' | 'status' | 'passwordHash' | 'externalId' | 'source' | 'activationCodeHash' | 'activationExpiresAt'>>;

export type AccountPatch = Partial<
  Pick<Account, 'login' | 'profile' | 'firstName' | 'lastName' | 'displayName' | 'birthDate' | 'email' | 'academicEmail' | 'status' | 'passwordHash' | 'externalId' | 'disappearedAt'
    | 'activationCodeHash' | 'activationExpiresAt' | 'termsVersion' | 'termsAcceptedAt' | 'passwordChangedAt' | 'disabledReason'>
>;

export interface TotpEnrolment {
  /** Encrypted shared secret (the store never sees it in clear). */
  secret: string;
  createdAt: Date;
  /** Null while the enrolment waits for its first code. */
  confirmedAt: Date | null;
}

export interface Structure {
  id: string;
  tenantId: string;
  /** School id: 7 digits + a letter, unique per tenant. */
  uai: string;
  name: string;
  externalId: string | null;
}
export type NewStructure = Pick<Structure, 'uai' | 'name'> & Partial<Pick<Structure, 'id' | 'externalId'>>;

export interface Group {
  id: string;
  tenantId: string;
  structureId: string;
  kind: GroupKind;
  /** Code unique within (structure, kind), e.g. `3A`. */
  code: string;
  name: string;
  externalId: string | null;
}
export type NewGroup = Pick<Group, 'structureId' | 'kind' | 'code' | 'name'> & Partial<Pick<Group, 'id' | 'externalId'>>;
export type GroupWithStructure = Group & { structure: Structure };

export interface FederatedIdentity {
  id: string;
  tenantId: string;
  accountId: string;
  connectorId: string;
  /** The upstream's stable subject (FrEduCtId, sub…), unique per (tenant, connector). */
  subject: string;
  createdAt: Date;
}

/**
 * Where a client comes from. `config`: the configuration's `clients`, mirrored at every start
 * (and disabled once no longer declared); `cli`: `hub clients add` (or the admin API);
 * `development`: the demo client of the development hub (disabled in production); `hub`: the
 * hub's own clients (the admin console), rewritten at every start.
 */
export const CLIENT_ORIGINS = ['config', 'cli', 'development', 'hub'] as const;
export type ClientOrigin = (typeof CLIENT_ORIGINS)[number];

export interface OidcClientRecord {
  clientId: string;
  /** null: a platform client (ONE, NEO); else the tenant that registered it. */
  tenantId: string | null;
  name: string;
  /** First-party clients skip the consent page. */
  firstParty: boolean;
  /** SHA-256 hex of the secret; null for public clients. The secret itself is never stored. */
  secretHash: string | null;
  /** oidc-provider client metadata (redirect_uris, grant_types…), without client_secret. */
  metadata: Record<string, unknown>;
  origin: ClientOrigin;
  /**
   * Set when the client was disabled (its declaration disappeared). The record stays for the
   * audit trail and `hub clients list`, but the OIDC layer no longer finds it: no token at all.
   */
  disabledAt: Date | null;
  createdAt: Date;
}
/** A client's settings; its origin is given apart, by whoever writes it. */
export type NewOidcClient = Omit<OidcClientRecord, 'createdAt' | 'tenantId' | 'origin' | 'disabledAt'>;

export interface AuditEvent {
  id: string;
  tenantId: string | null;
  at: Date;
  /** e.g. `login.success`, `login.failure`, `client.created`. */
  type: string;
  accountId: string | null;
  clientId: string | null;
  ip: string | null;
  userAgent: string | null;
  details: Record<string, unknown>;
}
export type NewAuditEvent = Pick<AuditEvent, 'type'> &
  Partial<Pick<AuditEvent, 'accountId' | 'clientId' | 'ip' | 'userAgent' | 'details'>>;

export interface Page {
  limit?: number;
  offset?: number;
}

/**
 * An upstream identity connector registered at run time (`hub connectors add`), beside those of
 * the YAML files. The store keeps the document as written; the federation module validates it
 * with the same schema as the YAML when it is written and again when it is read.
 */
export interface StoredConnector {
  /** Unique platform-wide: the federation routes (`/federation/<id>/…`) are not per tenant. */
  id: string;
  /** null: a platform connector (ÉduConnect-like); else the tenant that owns it. */
  tenantId: string | null;
  /** `saml`, `oidc`… (the connector type of the registry). */
  type: string;
  /** `educonnect`, `academie`… */
  profile: string;
  displayName: string;
  enabled: boolean;
  /** The connector's configuration as in YAML; secrets only as `{ env }` / `{ file }` references. */
  config: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}
export type NewStoredConnector = Omit<StoredConnector, 'tenantId' | 'createdAt' | 'updatedAt'>;

/**
 * Where a service provider's metadata came from: a file, a URL, or an aggregate (a federation's
 * metadata listing many SPs, at `location`); the scheduled refresh reads it again from there.
 */
export type SpSourceKind = 'file' | 'url' | 'aggregate';
export interface SpSource {
  kind: SpSourceKind;
  /** The file path (absolute) or the URL. */
  location: string;
}

export interface SpEndpoint {
  /** A SAML binding URN (`urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST`…). */
  binding: string;
  location: string;
}

export interface SpAcsEndpoint extends SpEndpoint {
  index: number;
  isDefault: boolean;
}

/** What the SAML IdP needs of an SP's metadata, read from it once when it is added or refreshed. */
export interface SpMetadataValues {
  /** In document order. */
  assertionConsumerServices: SpAcsEndpoint[];
  singleLogoutServices: SpEndpoint[];
  /** Base64 DER, as in the metadata's KeyDescriptors (`use` signing, or none). */
  signingCertificates: string[];
  /** Base64 DER (`use` encryption, or none). */
  encryptionCertificates: string[];
  authnRequestsSigned: boolean;
  wantAssertionsSigned: boolean;
  nameIdFormats: string[];
}

/** What the IdP signs in its Responses to an SP: both (default), or the one the SP verifies (entcore signs only the GAR's assertion). */
export const SP_SIGNATURES = ['both', 'assertion', 'response'] as const;
export type SpSignatures = (typeof SP_SIGNATURES)[number];

/** A SAML service provider the hub's IdP serves (a partner resource: the GAR…). */
export interface ServiceProvider {
  /** Unique platform-wide: an AuthnRequest names only its issuer. */
  entityId: string;
  /** null: a platform SP (the GAR); else the tenant that owns it. */
  tenantId: string | null;
  displayName: string;
  /** The metadata document as received (an aggregate's: this SP's EntityDescriptor). */
  metadataXml: string;
  source: SpSource;
  metadata: SpMetadataValues;
  /** The metadata's own validUntil, if any: past it, the SP is no longer trusted. */
  validUntil: Date | null;
  /** When this copy of the metadata was read from its source. */
  fetchedAt: Date;
  enabled: boolean;
  /** The name of the attribute release policy applied to this SP (`generic` by default). */
  releasePolicy: string;
  /** What its Responses carry signed; `both` by default. */
  signatures: SpSignatures;
  /** Encrypt its assertions when its metadata has an encryption certificate; true by default. */
  encryptAssertions: boolean;
  createdAt: Date;
  updatedAt: Date;
}
/** `signatures` and `encryptAssertions` default to `both` and true. */
export type NewServiceProvider = Omit<ServiceProvider, 'tenantId' | 'createdAt' | 'updatedAt' | 'signatures' | 'encryptAssertions'>
  & Partial<Pick<ServiceProvider, 'signatures' | 'encryptAssertions'>>;
/** A new copy of an SP's metadata: what a refresh or `hub saml sp add` over an existing SP rewrites. */
export type ServiceProviderMetadataUpdate = Pick<ServiceProvider, 'metadataXml' | 'source' | 'metadata' | 'validUntil' | 'fetchedAt'>;
/** What an admin sets on an SP (its metadata aside): name, state, release policy, how the IdP sends to it. */
export type ServiceProviderSettings = Pick<ServiceProvider, 'displayName' | 'enabled' | 'releasePolicy' | 'signatures' | 'encryptAssertions'>;

/** One page of a list read in key order: at most `limit` items after the cursor `after` (opaque, from the previous page's `next`). */
export interface KeysetPage {
  limit: number;
  after?: string;
}

/** `next`: the cursor of the following page; null on the last one. */
export interface KeysetResult<T> {
  items: T[];
  next: string | null;
}

/**
 * How the helpdesk finds an account. `name`: a prefix of the last name then first name, or of the
 * first name then last name, compared without case or accents (`lefevre h` finds Hugo Lefèvre);
 * `login`: a prefix of the login; `externalId`: exact; `email`: exact, either address, without case;
 * `uai`: the accounts attached to that school; `class`: the members of that class of the school.
 */
export type AccountSearch =
  | { kind: 'name'; text: string }
  | { kind: 'login'; text: string }
  | { kind: 'externalId'; text: string }
  | { kind: 'email'; text: string }
  | { kind: 'uai'; uai: string }
  | { kind: 'class'; uai: string; classCode: string };
export const ACCOUNT_SEARCH_KINDS = ['name', 'login', 'externalId', 'email', 'uai', 'class'] as const;

/** Narrows a search; `structureIds`: only accounts attached to one of these structures (a structure admin's reach). */
export interface AccountFilters {
  profile?: Profile;
  status?: AccountStatus;
  structureIds?: readonly string[];
}
