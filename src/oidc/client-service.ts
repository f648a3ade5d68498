/**
 * OIDC client operations done on someone's behalf (`hub clients …` today, the admin API next).
 * A client is validated with the config files' own schema, plus the scopes the hub knows, before
 * anything is written. Clients the configuration declares are mirrored from it at every start:
 * they are edited there, not here. The secret is drawn here and only its hash is stored.
 */
import { z } from 'zod';
import type { Actor } from '../identity/actor.js';
import { Conflict, HubError, NotFound } from '../shared/errors.js';
import { newSecret, sha256Hex } from '../shared/ids.js';
import { formatIssues } from '../shared/zod-issues.js';
import { AuditWriter } from '../storage/ports/audit-writer.js';
import type { NewOidcClient, OidcClientRecord, PlatformStore } from '../storage/ports/index.js';
import { clientConfigFromRecord, clientRecordFromConfig } from './clients.js';
import { BASE_SCOPES, clientSchema, type ClientConfig, type OidcConfig } from './config.js';

export interface ClientPorts {
  store: PlatformStore;
  /** The scopes the hub knows, the clients it declares, and whether it runs in development. */
  config: { clients: ClientConfig[]; mode: 'development' | 'production'; oidc: Pick<OidcConfig, 'resources'> };
  /**
   * Told of each client changed, so the serving hub drops its cached copy (other nodes read it
   * again within the client cache's delay); the CLI, which serves nothing, has none.
   */
  changed?(clientId: string): void;
}

/** The client the development hub registers for its /demo page, rewritten at every start. */
const DEMO_CLIENT_ID = 'demo';

/** A client's settings, named as in the config files; on update, only those that change. */
export interface ClientSettings {
  name?: string;
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  backchannelLogoutUri?: string;
  idTokenSignedResponseAlg?: string;
  scopes?: string[];
  grantTypes?: string[];
  firstParty?: boolean;
  servedTenants?: string[];
  webOrigins?: string[];
}

const invalid = (message: string) => new HubError('invalid_argument', message, { status: 400 });

/** Served tenants must exist: a typo would shut every account out of the client. */
async function checkServedTenants(store: PlatformStore, settings: ClientSettings): Promise<void> {
  for (const tenant of settings.servedTenants ?? []) {
    if (!(await store.tenants.get(tenant))) throw invalid(`unknown tenant "${tenant}" in --served-tenant (see hub tenants list)`);
  }
}

/** Validates a client as a config file entry would be, including the scopes the hub knows. */
function parseClient(candidate: Record<string, unknown>, config: ClientPorts['config']): NewOidcClient {
  const parsed = z.array(clientSchema).safeParse([candidate]);
  const issues = parsed.success ? [] : formatIssues(parsed.error).map((i) => i.replace(/^0\./, ''));
  if (parsed.success) {
    const known = new Set([...BASE_SCOPES, ...config.oidc.resources.flatMap((r) => r.scopes)]);
    const unknown = parsed.data[0]!.scopes.filter((s) => !known.has(s));
    if (unknown.length) issues.push(`scopes: unknown scope(s) ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
  }
  if (issues.length > 0 || !parsed.success) throw invalid(`invalid client:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
  return clientRecordFromConfig(parsed.data[0]!);
}

/** The metadata fields that changed, for the audit log (never the secret hash). */
function changedFields(before: OidcClientRecord, after: NewOidcClient): string[] {
  const changed = Object.keys({ ...before.metadata, ...after.metadata }).filter((k) => JSON.stringify(before.metadata[k]) !== JSON.stringify(after.metadata[k]));
  if (before.name !== after.name) changed.push('name');
  if (before.firstParty !== after.firstParty) changed.push('first_party');
  return changed.sort();
}

/** Only the configuration (or development mode) brings back a client it disabled. */
function disabledReason(c: OidcClientRecord): string {
  if (c.origin === 'hub') return `client "${c.clientId}" is the hub's own: it cannot be changed`;
  return c.origin === 'development'
    ? `client "${c.clientId}" is disabled: it is the demo client of development mode`
    : `client "${c.clientId}" is disabled: the hub configuration no longer declares it (clients); declare it there again to use it`;
}

export interface NewClient {
  clientId: string;
  /** null: a platform client. */
  tenantId: string | null;
  /** A public client (PKCE) has no secret. */
  public: boolean;
  settings: ClientSettings;
}

/** Registers a client; its secret (null for a public client) is returned to be shown once. */
export async function addClient(ports: ClientPorts, actor: Actor, client: NewClient): Promise<{ secret: string | null }> {
  const { store, config } = ports;
  if (client.settings.firstParty && client.tenantId) throw invalid('--first-party is reserved to platform clients');
  const secret = client.public ? null : newSecret();
  const record = parseClient({ clientId: client.clientId, ...client.settings, ...(secret ? { secretSha256: sha256Hex(secret) } : {}) }, config);
  await checkServedTenants(store, client.settings);
  // A disabled client keeps its id: its audit trail must not be mistaken for a new client's.
  if (await store.clients.get(record.clientId)) throw new Conflict('clientId', `client id "${record.clientId}" is already taken`);
  // Origin `cli` means registered at run time rather than declared in the configuration.
  if (client.tenantId) {
    if (!(await store.tenants.get(client.tenantId))) throw invalid(`unknown tenant "${client.tenantId}" (see hub tenants list)`);
    await store.forTenant(client.tenantId).clients.create(record, 'cli');
  } else {
    await store.clients.upsert(record, 'cli');
  }
  await new AuditWriter(store, actor, client.tenantId).write('client.created', { clientId: record.clientId, details: { public: !secret } });
  return { secret };
}

/** What an update changes: settings to replace, and optional ones to remove. */
export interface ClientChange {
  settings: ClientSettings;
  removeBackchannelLogoutUri: boolean;
  /** Back to the default served tenants. */
  removeServedTenants: boolean;
}

/**
 * Changes some settings of a stored client (its tenant, secret and type are kept) and validates
 * the whole as `addClient` does; returns the fields that changed (none: nothing was written).
 */
export async function updateClient(ports: ClientPorts, actor: Actor, clientId: string, change: ClientChange): Promise<{ changed: string[] }> {
  const { store, config } = ports;
  if (config.clients.some((c) => c.clientId === clientId)) throw invalid(`client "${clientId}" is declared in the hub configuration (clients): edit that file, the hub mirrors it at start`);
  if (clientId === DEMO_CLIENT_ID && config.mode === 'development') throw invalid(`client "${clientId}" is the demo's, rewritten by the hub at every start in development`);
  const current = await store.clients.get(clientId);
  if (!current) throw new NotFound(`client "${clientId}" (see hub clients list)`);
  if (current.disabledAt || current.origin === 'hub') throw invalid(disabledReason(current));
  if (current.tenantId !== null && change.settings.firstParty) throw invalid('--first-party is reserved to platform clients');
  const base = clientConfigFromRecord(current);
  if (change.removeBackchannelLogoutUri) delete base.backchannelLogoutUri;
  if (change.removeServedTenants) delete base.servedTenants;
  await checkServedTenants(store, change.settings);
  const record = parseClient({ ...base, ...change.settings }, config);
  const changed = changedFields(current, record);
  if (changed.length === 0) return { changed };
  if (current.tenantId === null) await store.clients.upsert(record, current.origin);
  else await store.forTenant(current.tenantId).clients.update(record);
  ports.changed?.(record.clientId);
  await new AuditWriter(store, actor, current.tenantId).write('client.updated', { clientId: record.clientId, details: { changed } });
  return { changed };
}

/** The client if its owner is `owner` (a tenant id, or null for the platform); NotFound otherwise, as if it did not exist. */
export async function ownedClient(store: PlatformStore, owner: string | null, clientId: string): Promise<OidcClientRecord> {
  const client = await store.clients.get(clientId);
  if (!client || client.tenantId !== owner) throw new NotFound(`client "${clientId}"`);
  return client;
}

/** The clients of an owner (a tenant, or the platform), disabled ones included. */
export async function clientsOf(store: PlatformStore, owner: string | null): Promise<OidcClientRecord[]> {
  return owner === null ? store.clients.list() : store.forTenant(owner).clients.list();
}

/** A new secret for a confidential client: the old one stops working at once; the new one is returned to be shown once. */
export async function rotateClientSecret(ports: ClientPorts, actor: Actor, owner: string | null, clientId: string): Promise<{ secret: string }> {
  const { store, config } = ports;
  const current = await ownedClient(store, owner, clientId);
  if (config.clients.some((c) => c.clientId === clientId)) throw invalid(`client "${clientId}" is declared in the hub configuration (clients): its secret is set there`);
  if (current.disabledAt || current.origin === 'hub') throw invalid(disabledReason(current));
  if (current.secretHash === null) throw invalid(`client "${clientId}" is public (PKCE): it has no secret`);
  const secret = newSecret();
  const record: NewOidcClient = { clientId: current.clientId, name: current.name, firstParty: current.firstParty, secretHash: sha256Hex(secret), metadata: current.metadata };
  if (current.tenantId === null) await store.clients.upsert(record, current.origin);
  else await store.forTenant(current.tenantId).clients.update(record);
  ports.changed?.(clientId);
  await new AuditWriter(store, actor, current.tenantId).write('client.secret_rotated', { clientId, details: {} });
  return { secret };
}
