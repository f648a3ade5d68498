/**
 * OIDC clients: config entries become store records (mirrored at start), store records become
 * oidc-provider metadata. The secret is never stored: `client_secret` carries its SHA-256 and
 * `installHashedSecretCheck` makes oidc-provider compare hashes (HS* algorithms are disabled,
 * so the secret is never needed as a MAC key).
 */
import type Provider from 'oidc-provider';
import type { ClientConfig } from './config.js';
import { sha256Matches } from '../shared/ids.js';
import type { NewOidcClient, OidcClientRecord, PlatformStore } from '../storage/ports/index.js';
import type { AdapterPayload, OidcModelAdapter } from '../storage/ports/oidc-adapter.js';
import { CLIENT_TENANT, SERVED_TENANTS } from './account-access.js';
import { WEB_ORIGINS } from './cors.js';

/** Metadata key marking first-party clients (declared as extra client metadata). */
export const FIRST_PARTY = 'first_party';

export function clientRecordFromConfig(c: ClientConfig): NewOidcClient {
  return {
    clientId: c.clientId,
    name: c.name,
    firstParty: c.firstParty,
    secretHash: c.secretSha256 ?? null,
    metadata: {
      redirect_uris: c.redirectUris,
      post_logout_redirect_uris: c.postLogoutRedirectUris,
      grant_types: c.grantTypes,
      response_types: c.grantTypes.includes('authorization_code') ? ['code'] : [],
      scope: c.scopes.join(' '),
      id_token_signed_response_alg: c.idTokenSignedResponseAlg,
      ...(c.servedTenants ? { [SERVED_TENANTS]: c.servedTenants } : {}),
      ...(c.webOrigins.length ? { [WEB_ORIGINS]: c.webOrigins } : {}),
      ...(c.backchannelLogoutUri ? { backchannel_logout_uri: c.backchannelLogoutUri, backchannel_logout_session_required: true } : {}),
    },
  };
}

const strings = (value: unknown): string[] | undefined =>
  Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : undefined;

/**
 * The config-file form of a stored client (the inverse of `clientRecordFromConfig`), so that
 * `hub clients update` can change some fields and validate the whole with the config schema.
 * Fields a record lacks are left out and take the schema's defaults.
 */
export function clientConfigFromRecord(record: OidcClientRecord): Record<string, unknown> {
  const m = record.metadata;
  const scope = typeof m.scope === 'string' ? m.scope.split(' ').filter(Boolean) : undefined;
  return {
    clientId: record.clientId,
    name: record.name,
    firstParty: record.firstParty,
    ...(record.secretHash ? { secretSha256: record.secretHash } : {}),
    ...(strings(m.redirect_uris) ? { redirectUris: m.redirect_uris } : {}),
    ...(strings(m.post_logout_redirect_uris) ? { postLogoutRedirectUris: m.post_logout_redirect_uris } : {}),
    ...(strings(m.grant_types) ? { grantTypes: m.grant_types } : {}),
    ...(scope ? { scopes: scope } : {}),
    ...(typeof m.backchannel_logout_uri === 'string' ? { backchannelLogoutUri: m.backchannel_logout_uri } : {}),
    ...(strings(m[SERVED_TENANTS]) ? { servedTenants: m[SERVED_TENANTS] } : {}),
    ...(strings(m[WEB_ORIGINS]) ? { webOrigins: m[WEB_ORIGINS] } : {}),
    ...(typeof m.id_token_signed_response_alg === 'string' ? { idTokenSignedResponseAlg: m.id_token_signed_response_alg } : {}),
  };
}

export function providerMetadata(record: OidcClientRecord): AdapterPayload {
  const auth = record.secretHash
    ? { client_secret: record.secretHash, token_endpoint_auth_method: 'client_secret_basic' }
    : { token_endpoint_auth_method: 'none' };
  return { ...auth, ...record.metadata, client_id: record.clientId, client_name: record.name, [FIRST_PARTY]: record.firstParty, [CLIENT_TENANT]: record.tenantId };
}

export function installHashedSecretCheck(provider: Provider): void {
  // The stored digest's bytes, decoded once per built client (clients are reused: reuseBuiltClients).
  const digests = new WeakMap<object, { hex: string; bytes: Buffer }>();
  provider.Client.prototype.compareClientSecret = function compareHashed(this: { clientSecret?: string }, actual: string) {
    const hex = this.clientSecret;
    if (typeof hex !== 'string' || hex === '') return Promise.resolve(false);
    let digest = digests.get(this);
    if (digest?.hex !== hex) digests.set(this, (digest = { hex, bytes: Buffer.from(hex, 'hex') }));
    return Promise.resolve(sha256Matches(digest.bytes, actual));
  };
}

/**
 * oidc-provider builds a Client from the adapter's metadata and, to reuse it, hashes the JSON of
 * that metadata at every find (twice per token request: ~20 µs). The adapter below hands out the
 * same object for as long as it caches a record, so the Client built from that object is kept
 * beside it: a new object (a changed or forgotten client, an expired entry) is built anew by
 * oidc-provider's own find, exactly as before.
 */
export function reuseBuiltClients(provider: Provider, adapter: StoreClientAdapter): void {
  type Found = Awaited<ReturnType<Provider['Client']['find']>>;
  const built = new WeakMap<AdapterPayload, NonNullable<Found>>();
  const find = provider.Client.find.bind(provider.Client);
  const findAndKeep = async (id: string): Promise<Found> => {
    const before = typeof id === 'string' && id ? await adapter.find(id) : undefined;
    const known = before && built.get(before);
    if (known) return known;
    const client = await find(id);
    // Kept only if the record did not change while oidc-provider read it.
    if (before && client && (await adapter.find(id)) === before) built.set(before, client);
    return client;
  };
  // A client already built from a fresh cache entry is handed out without waiting on anything.
  provider.Client.find = (id: string): Promise<Found> => {
    const cached = typeof id === 'string' ? adapter.cached(id) : undefined;
    const known = cached && built.get(cached);
    return known ? Promise.resolve(known) : findAndKeep(id);
  };
}

/**
 * The Client model read from the store. Clients are looked up on every token request, so a
 * record is kept for `cacheMs` (`oidc.clientCacheSeconds`); a changed client takes effect within that delay.
 */
export class StoreClientAdapter implements Pick<OidcModelAdapter, 'find'> {
  private readonly cache = new Map<string, { at: number; value: AdapterPayload | undefined }>();

  constructor(private readonly store: PlatformStore, private readonly cacheMs: number) {}

  /** The record as cached, if the cache holds a fresh one. */
  cached(id: string): AdapterPayload | undefined {
    const hit = this.cache.get(id);
    return hit && Date.now() - hit.at < this.cacheMs ? hit.value : undefined;
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const hit = this.cache.get(id);
    if (hit && Date.now() - hit.at < this.cacheMs) return hit.value;
    const record = await this.store.clients.find(id);
    const value = record ? providerMetadata(record) : undefined;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(id, { at: Date.now(), value });
    return value;
  }

  /** Drops this node's copy of a client changed here: the change takes effect at once on this node. */
  forget(id: string): void {
    this.cache.delete(id);
  }

  // Clients are managed through the store, never through oidc-provider.
  async upsert(): Promise<void> {}
  async destroy(): Promise<void> {}
}
