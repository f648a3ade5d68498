/**
 * One import run of a tenant's directory source: lock, read structures, groups, then people in
 * batches, reconcile, and record the run. Failures of the source before the run starts change
 * nothing; a run that fails or dies half-way leaves committed batches consistent and its
 * high-water mark unsaved, so the next run completes the work.
 */
import type { DirectorySourceConfig, TenantConfig } from '../config/tenant-schema.js';
import { HubError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { ImportCounters, ImportMode, ImportRun, ImportStore, TenantScope } from '../storage/ports/index.js';
import type { LockService } from '../storage/ports/locks.js';
import type { ImportedPerson, Quarantined } from './model.js';
import { LoginAllocator } from './logins.js';
import { contentHash, planBatch, type BatchPlan, type DirectoryMaps } from './people.js';
import { SeenSet } from './seen-set.js';
import type { DirectorySource, ReadItem } from './source/ldap.js';
import { createSdetMapper, type SdetMapperOptions } from './sdet/mapping.js';
import { defaultExternalIdPrefix } from './sdet/parse.js';

export interface ImportRequest {
  tenant: TenantConfig;
  source: DirectorySourceConfig;
  mode: ImportMode;
  dryRun: boolean;
  allowMassRemoval: boolean;
}

export interface ImportProgress {
  phase: 'structures' | 'groups' | 'people' | 'relations' | 'removals';
  read: number;
}

export interface ImportReport {
  run: ImportRun;
  counters: ImportCounters;
  quarantined: Quarantined[];
  warnings: string[];
  seconds: number;
}

export interface ImportDeps {
  scope: TenantScope;
  locks: LockService;
  /** Opens the directory, whose entries arrive mapped with these options. */
  openSource: (mapping: SdetMapperOptions) => Promise<DirectorySource>;
  log: Logger;
  onProgress?: (progress: ImportProgress) => void;
  /** Receives the activation codes of created accounts (in clear, once). */
  onCodes?: (codes: BatchPlan['codes']) => void;
  now?: () => Date;
}

const LOCK_TTL_MS = 60_000;

export class ImportRefused extends HubError {
  constructor(code: 'import_locked' | 'no_previous_run' | 'mass_removal' | 'bad_mapping', message: string) {
    super(code, message, { status: 409, expose: true });
  }
}

/** Quarantine reasons are kept per run in the store; the report keeps the first ones in memory. */
const REPORT_QUARANTINE_LIMIT = 1000;

class Run {
  readonly counters: ImportCounters = { read: 0, created: 0, updated: 0, unchanged: 0, disappeared: 0, quarantined: 0 };
  readonly quarantined: Quarantined[] = [];
  readonly warnings: string[] = [];
  /** External ids of the people read, quarantined ones included: they have not disappeared. */
  readonly seen = new SeenSet();
  highWaterMark: string | null = null;

  constructor(readonly record: ImportRun, private readonly store: ImportStore) {}

  read({ stamp }: ReadItem): void {
    this.counters.read += 1;
    if (stamp && (this.highWaterMark === null || stamp > this.highWaterMark)) this.highWaterMark = stamp;
  }

  async quarantine(items: Quarantined[]): Promise<void> {
    if (items.length === 0) return;
    this.counters.quarantined += items.length;
    this.quarantined.push(...items.slice(0, Math.max(0, REPORT_QUARANTINE_LIMIT - this.quarantined.length)));
    await this.store.addQuarantine(this.record.id, items);
  }
}

/** Where a delta run starts: after the last completed run's high-water mark. */
interface Since {
  stamp: string;
  /** Entries of that very second were all read by the last run: skip them. */
  strict: boolean;
}

/**
 * Strictly after the mark is `>=` minus `=`, rather than `!(<=)`: a negation gives the server
 * no candidates to start from, so it evaluated every entry of the base (seconds at a million
 * people), while `>=` is answered from the modifyTimestamp index.
 */
function withSince(filter: string, since: Since | null): string {
  if (!since) return filter;
  return since.strict
    ? `(&${filter}(modifyTimestamp>=${since.stamp})(!(modifyTimestamp=${since.stamp})))`
    : `(&${filter}(modifyTimestamp>=${since.stamp}))`;
}

/** LDAP generalized time `YYYYMMDDHHMMSSZ` → epoch ms. */
function generalizedTime(stamp: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})/.exec(stamp);
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) : Number.NaN;
}

/** The SDET mapping of a source, as its configuration adjusts it. */
function mappingOf(cfg: DirectorySourceConfig): SdetMapperOptions {
  return {
    source: cfg.id,
    externalIdPrefix: cfg.externalIdPrefix ?? defaultExternalIdPrefix(cfg.id),
    ...(cfg.academicDomains.length ? { academicDomains: cfg.academicDomains } : {}),
    overrides: cfg.mapping.overrides,
    ...(cfg.mapping.groupStructureAttribute ? { groupStructureAttribute: cfg.mapping.groupStructureAttribute } : {}),
    ...(cfg.mapping.maxValueLength ? { maxValueLength: cfg.mapping.maxValueLength } : {}),
  };
}

/** A mapping the configuration got wrong is refused before anything is read or recorded. */
function checkedMapping(cfg: DirectorySourceConfig): SdetMapperOptions {
  const mapping = mappingOf(cfg);
  try {
    createSdetMapper(mapping);
  } catch (err) {
    throw new ImportRefused('bad_mapping', `the mapping of ${cfg.id} is wrong: ${(err as Error).message}`);
  }
  return mapping;
}

export async function runImport(deps: ImportDeps, request: ImportRequest): Promise<ImportReport> {
  const { scope, log } = deps;
  const mapping = checkedMapping(request.source);
  const store = scope.imports;
  const started = Date.now();
  const lockName = `import:${scope.tenantId}:${request.source.id}`;
  const lease = await deps.locks.acquire(lockName, LOCK_TTL_MS);
  if (!lease) throw new ImportRefused('import_locked', `an import of ${request.source.id} for ${scope.tenantId} is already running`);
  try {
    const abandoned = await store.abandonStaleRuns(request.source.id);
    for (const runId of abandoned) await store.cleanupRun(runId);
    if (abandoned.length > 0) log.warn({ abandoned }, 'earlier import runs had stopped half-way; this run completes their work');
    const since = request.mode === 'delta' ? await deltaStart(store, request.source) : null;
    const source = await deps.openSource(mapping);
    try {
      for (const base of Object.values(request.source.baseDn)) await source.checkBase(base);
      const record = await store.startRun({ sourceId: request.source.id, mode: request.mode, dryRun: request.dryRun });
      const run = new Run(record, store);
      try {
        await readAndReconcile(deps, request, source, run, since);
        const highWaterMark = run.highWaterMark ?? since?.stamp ?? null;
        await store.finishRun(record.id, { status: 'completed', counters: run.counters, highWaterMark });
        log.info({ runId: record.id, counters: run.counters }, 'import completed');
        return { run: { ...record, status: 'completed', highWaterMark }, counters: run.counters, quarantined: run.quarantined, warnings: run.warnings, seconds: (Date.now() - started) / 1000 };
      } catch (err) {
        await store.finishRun(record.id, { status: 'failed', counters: run.counters, highWaterMark: null, error: (err as Error).message }).catch(() => undefined);
        throw err;
      } finally {
        await store.cleanupRun(record.id).catch(() => undefined);
      }
    } finally {
      await source.close();
    }
  } finally {
    await lease.release().catch(() => undefined);
  }
}

/**
 * modifyTimestamp has a one-second resolution: an entry changed in the second of the mark,
 * after the last run read that second, has the same stamp. Such a change can only exist if the
 * second ended after that run began, so older marks are safe to pass strictly.
 */
async function deltaStart(store: ImportStore, source: DirectorySourceConfig): Promise<Since> {
  const last = await store.lastCompletedRun(source.id);
  if (!last?.highWaterMark) throw new ImportRefused('no_previous_run', `no completed import of ${source.id} yet: run a full import first`);
  const secondEnd = generalizedTime(last.highWaterMark) + 1000;
  return { stamp: last.highWaterMark, strict: secondEnd + source.clockSkewSeconds * 1000 <= last.startedAt.getTime() };
}

async function readAndReconcile(deps: ImportDeps, request: ImportRequest, source: DirectorySource, run: Run, since: Since | null): Promise<void> {
  const { source: cfg } = request;
  const store = deps.scope.imports;
  const write = !request.dryRun;
  const progress = (phase: ImportProgress['phase']) => deps.onProgress?.({ phase, read: run.counters.read });

  const structures = [];
  for await (const item of source.read(cfg.baseDn.structures, withSince(cfg.filters.structures, since), 'structure')) {
    run.read(item);
    const { mapped } = item;
    if (mapped.ok) structures.push({ ...mapped.value, contentHash: contentHash(mapped.value) });
    else await run.quarantine([mapped.quarantined]);
  }
  progress('structures');
  const structureOutcome = await store.upsertStructures(structures, write);
  const maps: DirectoryMaps = { structureIdsByDn: new Map([...(await store.structureIdsByDn()), ...structureOutcome.idsByDn]), groupIdsByKey: new Map() };

  const groups = [];
  for await (const item of source.read(cfg.baseDn.groups, withSince(cfg.filters.groups, since), 'group')) {
    run.read(item);
    const { mapped } = item;
    const structureId = mapped.ok ? maps.structureIdsByDn.get(mapped.value.structureDn) : undefined;
    if (mapped.ok && structureId) groups.push({ ...mapped.value, structureId, contentHash: contentHash(mapped.value) });
    else await run.quarantine([mapped.ok ? { dn: mapped.value.dn, reason: `dangling structure DN ${mapped.value.structureDn}` } : mapped.quarantined]);
  }
  progress('groups');
  const groupOutcome = await store.upsertGroups(groups, write);
  maps.groupIdsByKey = await store.groupIdsByKey();
  for (const g of groups) maps.groupIdsByKey.set(`${g.structureId}|${g.kind}|${g.code}`, groupOutcome.idsByDn.get(g.dn)!);

  let batch: ImportedPerson[] = [];
  let quarantinedIds: string[] = [];
  const logins = new LoginAllocator(store);
  // A batch's writes go on while the next batch is read and mapped (PostgreSQL works meanwhile
  // in its own process); they are committed before that batch is planned against the store.
  let writing: Promise<void> | null = null;
  let statisticsAt = cfg.batchSize;
  const flush = async () => {
    if (writing) await writing;
    writing = null;
    if (write && run.counters.created >= statisticsAt) {
      statisticsAt = run.counters.created * 10;
      await store.refreshStatistics();
    }
    const people = batch;
    const seenIds = quarantinedIds;
    batch = [];
    quarantinedIds = [];
    writing = (await applyBatch(deps, run, people, maps, request, logins))?.written ?? null;
    // Rejections surface at the next flush or after the loop; until then they are not unhandled.
    writing?.catch(() => undefined);
    for (const id of seenIds) run.seen.add(id);
    progress('people');
  };
  try {
    for await (const item of source.read(cfg.baseDn.people, withSince(cfg.filters.people, since), 'person')) {
      run.read(item);
      const { mapped } = item;
      if (mapped.ok) batch.push(mapped.value);
      else {
        await run.quarantine([mapped.quarantined]);
        if (item.externalId) quarantinedIds.push(item.externalId);
      }
      if (batch.length >= cfg.batchSize) await flush();
    }
    await flush();
    if (writing) await writing;
  } finally {
    // A failed read must not leave a transaction running while the run is recorded and cleaned up.
    if (writing) await (writing as Promise<void>).catch(() => undefined);
  }

  if (write) {
    progress('relations');
    const { unresolved } = await store.resolveRelations(run.record.id, cfg.linkBatchSize);
    if (unresolved > 0) run.warnings.push(`${unresolved} parent–child link(s) name a person the directory does not have`);
  }
  if (request.mode === 'full') await markDisappeared(deps, run, request);
}

/** Plans a batch and starts its writes; returns them (null when there are none) without waiting. */
async function applyBatch(deps: ImportDeps, run: Run, people: ImportedPerson[], maps: DirectoryMaps, request: ImportRequest, logins: LoginAllocator): Promise<{ written: Promise<void> } | null> {
  if (people.length === 0) return null;
  const store = deps.scope.imports;
  const plan = await planBatch(people, maps, store, run.seen, request.source.id, logins);
  await run.quarantine(plan.quarantined);
  run.counters.created += plan.creates.length;
  run.counters.updated += plan.updates.length;
  run.counters.unchanged += plan.unchanged;
  if (request.dryRun) return null;
  // Wrapped: an async function returning the promise itself would wait for it.
  return { written: store.applyAccounts(run.record.id, plan).then(() => deps.onCodes?.(plan.codes)) };
}

/** The source's live accounts the run did not see, a batch (`batchSize`) at a time. */
async function* unseenAccounts(store: ImportStore, source: DirectorySourceConfig, seen: SeenSet): AsyncGenerator<{ unseen: string[]; live: number }> {
  for (let after: string | null = null; ;) {
    const page = await store.liveAccountsOfSource(source.id, after, source.batchSize);
    if (page.length === 0) return;
    after = page[page.length - 1]!.id;
    yield { unseen: page.filter((a) => a.externalId === null || !seen.has(a.externalId)).map((a) => a.id), live: page.length };
  }
}

/** Only after a complete read, and never more than the configured share unless allowed. */
async function markDisappeared(deps: ImportDeps, run: Run, request: ImportRequest): Promise<void> {
  const store = deps.scope.imports;
  const { source } = request;
  let unseen = 0;
  let total = 0;
  for await (const page of unseenAccounts(store, source, run.seen)) {
    unseen += page.unseen.length;
    total += page.live;
  }
  if (unseen === 0) return;
  const share = total === 0 ? 0 : unseen / total;
  if (share > source.maxDisappearedShare && !request.allowMassRemoval) {
    throw new ImportRefused('mass_removal', `${unseen} of ${total} accounts (${(share * 100).toFixed(1)} %) are missing from the directory, more than the ${(source.maxDisappearedShare * 100).toFixed(1)} % allowed: nothing was marked disappeared; check the directory, then run again with --allow-mass-removal if it is right`);
  }
  if (request.dryRun) {
    run.counters.disappeared = unseen;
    return;
  }
  // Counted, then marked: the lock keeps other runs out in between.
  const at = (deps.now ?? (() => new Date()))();
  for await (const page of unseenAccounts(store, source, run.seen)) run.counters.disappeared += await store.markDisappeared(page.unseen, at);
}
