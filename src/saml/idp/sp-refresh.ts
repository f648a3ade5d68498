/**
 * One refresh pass over the SP registry's remote sources: every SP registered from a metadata
 * URL, and every configured aggregate (`samlIdp.aggregates`). Each source is fetched, checked
 * with the rules of `hub saml sp add`, and only then written: a source that cannot be fetched or
 * is refused changes nothing (a working SP is never dropped) and is reported as failed. An
 * aggregate's SPs are added, updated and removed to match the document; the last good copy of
 * each aggregate is kept on disk and read at start when its URL does not answer.
 *
 * `hub saml sp refresh` runs one pass; the scheduled form runs the same pass every
 * `nextRefreshSeconds` (the aggregate's refreshSeconds, or its cacheDuration when shorter).
 */
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Actor } from '../../identity/actor.js';
import { ConfigError, HubError } from '../../shared/errors.js';
import type { PlatformStore, ServiceProvider, SpSource } from '../../storage/ports/index.js';
import { certificateKey } from '../core/keys.js';
import type { SpAggregateConfig } from './config.js';
import { releasePolicy } from './policies.js';
import { MAX_AGGREGATE_BYTES, parseSpAggregate, parseSpMetadata, SpMetadataRefused, type ParsedAggregate } from './sp-metadata.js';
import { DEFAULT_FETCH_TIMEOUT_MS, displayNameOf, fetchSpMetadata, listServiceProviders, registerServiceProvider, removeServiceProvider, replaceMetadata, type SpOwner } from './sp-service.js';

/** The actor of the scheduled pass, as the audit log names it. */
export const REFRESH_JOB: Actor = { kind: 'system', job: 'saml-sp-refresh' };

/** An aggregate as the refresh uses it: its certificate read, its paths resolved. */
export interface AggregateSource {
  id: string;
  url: string;
  /** The key that must have signed the document. */
  trust: KeyObject;
  owner: SpOwner;
  releasePolicy: string;
  refreshSeconds: number;
  /** The last good copy. */
  cacheFile: string;
}

export interface RefreshPorts {
  store: PlatformStore;
  /** Production: https URLs and endpoints only. */
  production: boolean;
  aggregates: AggregateSource[];
  /** DEFAULT_FETCH_TIMEOUT_MS unless given. */
  fetchTimeoutMs?: number;
}

/** What a pass did with one source. */
export interface SourceReport {
  /** `url <location>` (an SP's own metadata URL) or `aggregate <id>`. */
  source: string;
  /** entityIDs. */
  added: string[];
  updated: string[];
  removed: string[];
  /** Entities left as they were, with why (refused, or registered from another source). */
  skipped: Array<{ entityId: string; why: string }>;
  /** Why nothing of this source changed; null when it was read. */
  failed: string | null;
  /** An aggregate read from its last good copy on disk, because its URL did not answer (at start only). */
  fromCache?: boolean;
  /** An aggregate's: when to fetch it again (its refreshSeconds, or its cacheDuration when shorter). */
  nextRefreshSeconds?: number;
}

/**
 * The configured aggregates, their certificates read now: `certFile` relative to `keysDir`,
 * `cacheDir` to the working directory (default `<dataDir>/saml-aggregates`).
 */
export function aggregateSources(aggregates: SpAggregateConfig[], paths: { keysDir: string; dataDir: string }): AggregateSource[] {
  return aggregates.map((a, i) => {
    releasePolicy(a.releasePolicy); // a policy the hub does not ship is refused now, not at the first new SP
    const certFile = resolve(paths.keysDir, a.certFile);
    let trust: KeyObject;
    try {
      trust = certificateKey(readFileSync(certFile, 'utf8'));
    } catch {
      throw new ConfigError('samlIdp', [`aggregates.${i}.certFile: ${certFile} cannot be read as a PEM certificate`]);
    }
    const cacheDir = a.cacheDir === undefined ? join(paths.dataDir, 'saml-aggregates') : resolve(a.cacheDir);
    return { id: a.id, url: a.url, trust, owner: a.owner === 'platform' ? null : a.owner, releasePolicy: a.releasePolicy, refreshSeconds: a.refreshSeconds, cacheFile: join(cacheDir, `${a.id}.xml`) };
  });
}

/**
 * Refreshes every SP registered from a URL, then every aggregate, one source at a time.
 * `fallBackToCache` (at start): an aggregate whose URL does not answer is read from its last
 * good copy. Store errors are not a source's failure: they end the pass.
 */
export async function refreshServiceProviders(ports: RefreshPorts, actor: Actor, options: { fallBackToCache?: boolean } = {}): Promise<SourceReport[]> {
  const fromUrls = (await listServiceProviders(ports.store, actor)).filter((sp) => sp.source.kind === 'url');
  const reports: SourceReport[] = [];
  for (const sp of fromUrls) reports.push(await refreshFromUrl(ports, actor, sp));
  for (const aggregate of ports.aggregates) reports.push(await refreshAggregate(ports, actor, aggregate, options.fallBackToCache ?? false));
  return reports;
}

const emptyReport = (source: string): SourceReport => ({ source, added: [], updated: [], removed: [], skipped: [], failed: null });
const timeoutOf = (ports: RefreshPorts): number => ports.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;

/** A refusal or an unreachable source, as a report line; anything else (the store) is thrown. */
function failure(err: unknown): string {
  if (err instanceof HubError && err.expose) return err.message;
  throw err;
}

async function refreshFromUrl(ports: RefreshPorts, actor: Actor, sp: ServiceProvider): Promise<SourceReport> {
  const report = emptyReport(`url ${sp.source.location}`);
  const fetchedAt = new Date();
  try {
    const xml = await fetchSpMetadata(sp.source.location, ports.production, timeoutOf(ports));
    const parsed = await parseSpMetadata(xml, { production: ports.production, trust: null, now: fetchedAt }, `SP metadata at ${sp.source.location}`);
    if (parsed.entityId !== sp.entityId) throw new SpMetadataRefused(`SP metadata at ${sp.source.location}`, `it now describes ${parsed.entityId.slice(0, 200)}, not ${sp.entityId}`);
    if (isSameCopy(sp, xml, parsed.validUntil)) return report;
    await replaceMetadata(ports.store, actor, sp, { parsed, xml, source: sp.source, fetchedAt });
    report.updated.push(sp.entityId);
  } catch (err) {
    report.failed = failure(err);
  }
  return report;
}

const isSameCopy = (sp: ServiceProvider, xml: string, validUntil: Date | null): boolean =>
  sp.metadataXml === xml && sp.validUntil?.getTime() === validUntil?.getTime();

async function refreshAggregate(ports: RefreshPorts, actor: Actor, aggregate: AggregateSource, fallBackToCache: boolean): Promise<SourceReport> {
  const report = emptyReport(`aggregate ${aggregate.id}`);
  const fetchedAt = new Date();
  let parsed: ParsedAggregate;
  try {
    if (aggregate.owner !== null && !(await ports.store.tenants.get(aggregate.owner))) {
      throw new HubError('invalid_argument', `aggregate ${aggregate.id}: unknown tenant "${aggregate.owner}" (samlIdp.aggregates owner)`, { status: 400, expose: true });
    }
    const { xml, fromCache } = await readAggregate(ports, aggregate, fallBackToCache);
    parsed = await parseSpAggregate(xml, { production: ports.production, trust: aggregate.trust, now: fetchedAt }, `aggregate ${aggregate.id}`);
    if (fromCache) report.fromCache = true;
    else await keepCopy(aggregate.cacheFile, xml);
  } catch (err) {
    report.failed = failure(err);
    return report;
  }
  await applyAggregate(ports.store, actor, aggregate, parsed, fetchedAt, report);
  const cacheSeconds = parsed.cacheDurationMs === null ? Infinity : Math.max(60, Math.ceil(parsed.cacheDurationMs / 1000));
  report.nextRefreshSeconds = Math.min(aggregate.refreshSeconds, cacheSeconds);
  return report;
}

/** The aggregate from its URL; from the last good copy when the URL fails and `fallBackToCache`. */
async function readAggregate(ports: RefreshPorts, aggregate: AggregateSource, fallBackToCache: boolean): Promise<{ xml: string; fromCache: boolean }> {
  try {
    return { xml: await fetchSpMetadata(aggregate.url, ports.production, timeoutOf(ports), MAX_AGGREGATE_BYTES), fromCache: false };
  } catch (err) {
    if (!fallBackToCache || !(err instanceof HubError)) throw err;
    const copy = await readFile(aggregate.cacheFile, 'utf8').catch(() => null);
    if (copy === null) throw err;
    return { xml: copy, fromCache: true };
  }
}

/** Written beside, then renamed: a crash never leaves half a copy. */
async function keepCopy(file: string, xml: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(`${file}.tmp`, xml, { mode: 0o644 });
  await rename(`${file}.tmp`, file);
}

/**
 * Adds the aggregate's new SPs to its owner, updates those whose copy changed, removes those it
 * no longer lists. An entity refused in this copy keeps its previous one (it is listed, so not
 * removed); an entityID registered from another source is left to that source.
 */
async function applyAggregate(store: PlatformStore, actor: Actor, aggregate: AggregateSource, parsed: ParsedAggregate, fetchedAt: Date, report: SourceReport): Promise<void> {
  const source: SpSource = { kind: 'aggregate', location: aggregate.id };
  const isOurs = (sp: ServiceProvider) => sp.source.kind === 'aggregate' && sp.source.location === aggregate.id;
  report.skipped.push(...parsed.skipped);
  for (const entity of parsed.entities) {
    const existing = await store.serviceProviders.find(entity.entityId);
    const copy = { parsed: entity, xml: entity.xml, source, fetchedAt };
    if (existing === null) {
      const providers = aggregate.owner === null ? store.serviceProviders : store.forTenant(aggregate.owner).serviceProviders;
      const displayName = displayNameOf(entity.displayName ?? entity.entityId);
      await registerServiceProvider(store, providers, actor, aggregate.owner, { ...copy, releasePolicy: aggregate.releasePolicy, displayName });
      report.added.push(entity.entityId);
    } else if (!isOurs(existing)) {
      report.skipped.push({ entityId: entity.entityId, why: `already registered from ${existing.source.kind} ${existing.source.location}; left as it is` });
    } else if (!isSameCopy(existing, entity.xml, entity.validUntil)) {
      await replaceMetadata(store, actor, existing, copy);
      report.updated.push(entity.entityId);
    }
  }
  const listed = new Set([...parsed.entities.map((e) => e.entityId), ...parsed.skipped.map((s) => s.entityId)]);
  for (const sp of (await listServiceProviders(store, actor)).filter((row) => isOurs(row) && !listed.has(row.entityId))) {
    await removeServiceProvider({ store }, actor, sp.entityId);
    report.removed.push(sp.entityId);
  }
}
