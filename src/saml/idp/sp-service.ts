/**
 * SAML service provider operations done on someone's behalf (`hub saml sp …` today, the admin
 * API next): metadata is read and checked (sp-metadata.ts) before anything is written, and every
 * change is audited in the owner's log (a tenant's, or the platform's). A tenant's admin reaches
 * only that tenant's SPs; operators and platform admins reach every owner.
 */
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Actor } from '../../identity/actor.js';
import { HubError, NotFound } from '../../shared/errors.js';
import { AuditWriter } from '../../storage/ports/audit-writer.js';
import type { PlatformStore, ServiceProvider, ServiceProviderSettings, ServiceProviderStore, SpSignatures, SpSource } from '../../storage/ports/index.js';
import { releasePolicy } from './policies.js';
import { MAX_SP_METADATA_BYTES, parseSpMetadata, type ParsedSpMetadata } from './sp-metadata.js';

/** null: the platform (the GAR); else a tenant id. */
export type SpOwner = string | null;

/** Where `hub saml sp add` reads the metadata. */
export type SpOrigin = { file: string } | { url: string };

/** The release policy of an SP added without one: the policy that releases the least. */
export const DEFAULT_RELEASE_POLICY = 'generic';
/** A metadata URL that has not answered within this time is given up. */
export const DEFAULT_FETCH_TIMEOUT_MS = 10_000;
const MAX_DISPLAY_NAME_LENGTH = 200;

export interface SpServicePorts {
  store: PlatformStore;
  /** Production: metadata URLs and the SPs' endpoints must be https. */
  production: boolean;
  /** DEFAULT_FETCH_TIMEOUT_MS unless given. */
  fetchTimeoutMs?: number;
}

export interface NewSpRequest {
  owner: SpOwner;
  from: SpOrigin;
  /** The SP's own name from its metadata, else its entityID, unless given. */
  displayName?: string;
  /** DEFAULT_RELEASE_POLICY unless given. */
  releasePolicy?: string;
  /** What its Responses carry signed; `both` unless given. */
  signatures?: SpSignatures;
  /** Encrypt its assertions when its metadata has an encryption key; true unless given. */
  encryptAssertions?: boolean;
}

const invalidArgument = (message: string): HubError => new HubError('invalid_argument', message, { status: 400 });
const unavailable = (message: string): HubError => new HubError('sp_metadata_unavailable', message, { status: 502, expose: true });
const ownerName = (owner: SpOwner): string => owner ?? 'the platform';

/** The tenant of a tenant's admin; null for operators, platform admins and the system. */
const adminTenantOf = (actor: Actor): string | null => (actor.kind === 'admin' ? actor.tenantId : null);

/** A tenant's admin acts on that tenant only; anyone else on any owner. */
function mayReach(actor: Actor, owner: SpOwner): boolean {
  const tenant = adminTenantOf(actor);
  return tenant === null || tenant === owner;
}

/** The SPs of an owner the actor may manage; refused for an unknown tenant or another tenant's admin. */
async function serviceProvidersOf(store: PlatformStore, actor: Actor, owner: SpOwner): Promise<ServiceProviderStore> {
  if (!mayReach(actor, owner)) throw new HubError('forbidden', `an administrator of ${adminTenantOf(actor)!} cannot manage the service providers of ${ownerName(owner)}`, { status: 403 });
  if (owner === null) return store.serviceProviders;
  if (!(await store.tenants.get(owner))) throw invalidArgument(`unknown tenant "${owner}" (see hub tenants list)`);
  return store.forTenant(owner).serviceProviders;
}

/** Registers an SP from its metadata; Conflict if its entityID is registered anywhere. */
export async function addServiceProvider(ports: SpServicePorts, actor: Actor, request: NewSpRequest): Promise<ServiceProvider> {
  const releasePolicyName = request.releasePolicy ?? DEFAULT_RELEASE_POLICY;
  releasePolicy(releasePolicyName); // refuses a name no policy has, before anything is read
  const providers = await serviceProvidersOf(ports.store, actor, request.owner);
  const { source, xml } = await readOrigin(request.from, ports);
  const fetchedAt = new Date();
  // A single SP's metadata is the one the operator chose (file or URL); signed metadata comes
  // through aggregates, whose signing certificate is configured.
  const parsed = await parseSpMetadata(xml, { production: ports.production, trust: null, now: fetchedAt }, `SP metadata ${source.kind === 'file' ? 'file' : 'at'} ${source.location}`);
  return registerServiceProvider(ports.store, providers, actor, request.owner, {
    parsed, xml, source, fetchedAt, releasePolicy: releasePolicyName, displayName: displayNameOf(request.displayName ?? parsed.displayName ?? parsed.entityId),
    sending: { signatures: request.signatures ?? 'both', encryptAssertions: request.encryptAssertions ?? true },
  });
}

/** A metadata copy read and checked, with where and when it was read. */
export interface MetadataCopy {
  parsed: ParsedSpMetadata;
  xml: string;
  source: SpSource;
  fetchedAt: Date;
}

/** Creates the SP (enabled) in `providers` and audits it in the owner's log. */
export async function registerServiceProvider(
  store: PlatformStore, providers: ServiceProviderStore, actor: Actor, owner: SpOwner,
  copy: MetadataCopy & { releasePolicy: string; displayName: string; sending?: Pick<ServiceProvider, 'signatures' | 'encryptAssertions'> },
): Promise<ServiceProvider> {
  const row = await providers.create({
    entityId: copy.parsed.entityId,
    displayName: copy.displayName,
    metadataXml: copy.xml,
    source: copy.source,
    metadata: copy.parsed.values,
    validUntil: copy.parsed.validUntil,
    fetchedAt: copy.fetchedAt,
    enabled: true,
    releasePolicy: copy.releasePolicy,
    ...copy.sending,
  });
  await new AuditWriter(store, actor, owner).write('saml_sp.added', {
    details: { entityId: row.entityId, source: copy.source.kind, location: copy.source.location, releasePolicy: copy.releasePolicy, signatures: row.signatures, encryptAssertions: row.encryptAssertions },
  });
  return row;
}

/** Replaces `sp`'s metadata with a new copy (name, state and policy kept), audited in its owner's log. */
export async function replaceMetadata(store: PlatformStore, actor: Actor, sp: ServiceProvider, copy: MetadataCopy): Promise<ServiceProvider> {
  const providers = sp.tenantId === null ? store.serviceProviders : store.forTenant(sp.tenantId).serviceProviders;
  const row = await providers.update(sp.entityId, { metadataXml: copy.xml, source: copy.source, metadata: copy.parsed.values, validUntil: copy.parsed.validUntil, fetchedAt: copy.fetchedAt });
  await new AuditWriter(store, actor, sp.tenantId).write('saml_sp.updated', { details: { entityId: sp.entityId, source: copy.source.kind, location: copy.source.location } });
  return row;
}

/** A display name as given (trimmed), or refused. */
export function displayNameOf(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '' || trimmed.length > MAX_DISPLAY_NAME_LENGTH) throw invalidArgument(`a display name is 1 to ${MAX_DISPLAY_NAME_LENGTH} characters`);
  return trimmed;
}

/** The SP with this entityID, whoever owns it, if the actor may see it. */
export async function showServiceProvider(store: PlatformStore, actor: Actor, entityId: string): Promise<ServiceProvider> {
  const sp = await store.serviceProviders.find(entityId);
  // Another tenant's SP is reported exactly like a missing one.
  if (!sp || !mayReach(actor, sp.tenantId)) throw new NotFound(`service provider "${entityId}"`);
  return sp;
}

/** The SPs of `owner`, or, with undefined, of every owner the actor reaches; by owner (the platform first), then entityID. */
export async function listServiceProviders(store: PlatformStore, actor: Actor, owner?: SpOwner): Promise<ServiceProvider[]> {
  if (owner !== undefined) return (await serviceProvidersOf(store, actor, owner)).list();
  const owners: SpOwner[] = [null, ...(await store.tenants.list()).map((t) => t.id)].filter((o) => mayReach(actor, o));
  const lists = await Promise.all(owners.map((o) => (o === null ? store.serviceProviders : store.forTenant(o).serviceProviders).list()));
  return lists.flat();
}

/** Removes the SP with this entityID from its owner; NotFound if the actor cannot see it. */
export async function removeServiceProvider(ports: Pick<SpServicePorts, 'store'>, actor: Actor, entityId: string): Promise<ServiceProvider> {
  const sp = await showServiceProvider(ports.store, actor, entityId);
  await (await serviceProvidersOf(ports.store, actor, sp.tenantId)).remove(entityId);
  await new AuditWriter(ports.store, actor, sp.tenantId).write('saml_sp.removed', { details: { entityId } });
  return sp;
}

/** The SP with this entityID if `owner` owns it and the actor may see it; NotFound otherwise (another owner's too). */
export async function ownedServiceProvider(store: PlatformStore, actor: Actor, owner: SpOwner, entityId: string): Promise<ServiceProvider> {
  const sp = await showServiceProvider(store, actor, entityId);
  if (sp.tenantId !== owner) throw new NotFound(`service provider "${entityId}"`);
  return sp;
}

const SETTING_NAMES = ['displayName', 'enabled', 'releasePolicy', 'signatures', 'encryptAssertions'] as const satisfies ReadonlyArray<keyof ServiceProviderSettings>;

/**
 * Changes some settings of `owner`'s SP: its name, whether it is served, its release policy and
 * what the IdP signs and encrypts for it. Audited with the fields that changed, before and
 * after; a change to nothing writes nothing.
 */
export async function updateServiceProviderSettings(
  ports: Pick<SpServicePorts, 'store'>, actor: Actor, owner: SpOwner, entityId: string, changes: Partial<ServiceProviderSettings>,
): Promise<{ sp: ServiceProvider; changed: string[] }> {
  if (changes.releasePolicy !== undefined) releasePolicy(changes.releasePolicy); // refuses a name no policy has
  const wanted = { ...changes, ...(changes.displayName !== undefined ? { displayName: displayNameOf(changes.displayName) } : {}) };
  const sp = await ownedServiceProvider(ports.store, actor, owner, entityId);
  const changed = SETTING_NAMES.filter((name) => wanted[name] !== undefined && wanted[name] !== sp[name]);
  if (changed.length === 0) return { sp, changed };
  const set = Object.fromEntries(changed.map((name) => [name, wanted[name]])) as Partial<ServiceProviderSettings>;
  const row = await (await serviceProvidersOf(ports.store, actor, owner)).changeSettings(entityId, set);
  await new AuditWriter(ports.store, actor, owner).write('saml_sp.settings_changed', {
    details: { entityId, before: Object.fromEntries(changed.map((name) => [name, sp[name]])), after: set },
  });
  return { sp: row, changed };
}

async function readOrigin(from: SpOrigin, ports: SpServicePorts): Promise<{ source: SpSource; xml: string }> {
  if ('file' in from) {
    const location = resolve(from.file);
    return { source: { kind: 'file', location }, xml: await readMetadataFile(location) };
  }
  return { source: { kind: 'url', location: from.url }, xml: await fetchSpMetadata(from.url, ports.production, ports.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS) };
}

async function readMetadataFile(path: string): Promise<string> {
  try {
    if ((await stat(path)).size > MAX_SP_METADATA_BYTES) throw invalidArgument(`SP metadata file ${path} is larger than ${MAX_SP_METADATA_BYTES / 1024} KiB`);
    return await readFile(path, 'utf8');
  } catch (err) {
    if (err instanceof HubError) throw err;
    throw invalidArgument(`SP metadata file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/**
 * The metadata at `url`: https only in production; no redirect followed (it could lead to a
 * plain http copy); given up after `timeoutMs`; refused past `maxBytes` (an SP's by default; an
 * aggregate is allowed more), while reading.
 */
export async function fetchSpMetadata(url: string, production: boolean, timeoutMs: number, maxBytes = MAX_SP_METADATA_BYTES): Promise<string> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidArgument(`SP metadata URL ${url.slice(0, 200)} is not a URL`);
  }
  const allowed = production ? ['https:'] : ['https:', 'http:'];
  if (!allowed.includes(parsed.protocol)) throw invalidArgument(`SP metadata URL ${url} must be https${production ? ' in production' : ' or http'}`);
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
  } catch (err) {
    // undici says only "fetch failed"; its cause says why (ECONNREFUSED, a refused redirect…).
    const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
    const detail = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : (err as Error).message;
    const why = (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : detail;
    throw unavailable(`SP metadata at ${url} cannot be fetched (${why})`);
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw unavailable(`SP metadata at ${url}: HTTP ${res.status}`);
  }
  return readLimited(res, url, timeoutMs, maxBytes);
}

async function readLimited(res: Response, url: string, timeoutMs: number, maxBytes: number): Promise<string> {
  const tooLarge = () => unavailable(`SP metadata at ${url} is larger than ${maxBytes / 1024} KiB`);
  if (Number(res.headers.get('content-length') ?? 0) > maxBytes) {
    await res.body?.cancel();
    throw tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body ?? []) {
      size += chunk.byteLength;
      if (size > maxBytes) throw tooLarge();
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof HubError) throw err;
    throw unavailable(`SP metadata at ${url} cannot be fetched (${(err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : (err as Error).message})`);
  }
  return Buffer.concat(chunks).toString('utf8');
}
