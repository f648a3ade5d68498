/**
 * One import run of a tenant's directory source: lock, read structures, groups, then people in
 * batches, reconcile, and record the run. Failures of the source before the run starts change
 * nothing; a run that fails or dies half-way leaves committed batches consistent and its
 * high-water mark unsaved, so the next run completes the work.
 */
import type { DirectorySourceConfig } from './source-config.js';
import { HubError, ServiceUnavailable } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { ImportCounters, ImportMode, ImportRun, ImportStore, TenantScope } from '../storage/ports/index.js';
import type { LockService } from '../storage/ports/locks.js';
import type { ImportedPerson, Quarantined } from './model.js';
import { LoginAllocator } from './logins.js';
import { contentHash, planBatch, referencedClasses, type BatchPlan, type DirectoryMaps, type QuarantinedPerson } from './people.js';
import { SeenSet } from './seen-set.js';
import type { DirectorySource, ReadItem } from './source/ldap.js';
import { createSdetMapper, type SdetMapperOptions } from './sdet/mapping.js';
import { defaultExternalIdPrefix, normalizeDn } from './sdet/parse.js';

export interface ImportRequest {
  tenant: { id: string };
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
  /** Told once the run is recorded (lock held, directory reached): a caller answering before the end learns its id. */
  onStarted?: (run: ImportRun) => void;
  now?: () => Date;
}

export class ImportRefused extends HubError {
  constructor(
    code: 'import_locked' | 'no_previous_run' | 'mass_removal' | 'bad_mapping' | 'too_many_quarantined',
    message: string,
    /** The run as recorded (failed), when the refusal came after it started. */
    readonly run?: ImportRun,
  ) {
    super(code, message, { status: 409, expose: true });
  }
}

/** A run that failed after it started (directory lost, database error): what it had committed stays. */
export class ImportFailed extends HubError {
  constructor(readonly run: ImportRun, cause: unknown) {
    const c = run.counters;
    const committed = c.created + c.updated + c.merged;
    super('import_failed', `the import failed after committing ${committed} account(s) (created ${c.created}, updated ${c.updated}, merged ${c.merged}), which stay; the next run completes the work: ${whyFailed(cause)}`, { status: 500, expose: true, cause });
  }
}

/** The cause in words; a backing service away adds its own ("the database system is shutting down"). */
function whyFailed(cause: unknown): string {
  const message = (cause as Error).message;
  return cause instanceof ServiceUnavailable && cause.cause instanceof Error ? `${message} (${cause.cause.message})` : message;
}

/**
 * Above this share of quarantined people a run fails before writing what remains, and marks
 * nothing disappeared: a directory that breaks one of the mapping's assumptions must not pass
 * for an import. (Above the source's `maxQuarantinedShare` it is "completed with errors".)
 */
const FAILING_QUARANTINED_SHARE = 0.9;

/** Quarantine reasons are kept per run in the store; the report keeps the first ones in memory. */
const REPORT_QUARANTINE_LIMIT = 1000;

/** Mapping warnings beyond this many are counted, not listed. */
const REPORT_WARNING_EXAMPLES = 5;

class Run {
  /** What the run has planned; `committed` holds what the store has of it. */
  readonly counters: ImportCounters = { read: 0, created: 0, updated: 0, unchanged: 0, merged: 0, disappeared: 0, quarantined: 0 };
  readonly committed = { created: 0, updated: 0, unchanged: 0, merged: 0 };
  readonly quarantined: Quarantined[] = [];
  readonly warnings: string[] = [];
  /** External ids of the people read, quarantined ones included: they have not disappeared. */
  readonly seen = new SeenSet();
  highWaterMark: string | null = null;
  people = 0;
  quarantinedPeople = 0;
  /** Quarantined structures (DN → reason) and how many people were quarantined for naming them. */
  readonly badStructures = new Map<string, { reason: string; people: number }>();
  private readonly mappingWarnings: string[] = [];
  private mappingWarningCount = 0;

  constructor(readonly record: ImportRun, private readonly store: ImportStore) {}

  read({ stamp }: ReadItem): void {
    this.counters.read += 1;
    if (stamp && (this.highWaterMark === null || stamp > this.highWaterMark)) this.highWaterMark = stamp;
  }

  async quarantine(items: QuarantinedPerson[]): Promise<void> {
    if (items.length === 0) return;
    this.counters.quarantined += items.length;
    for (const item of items) {
      const structure = item.missingStructure === undefined ? undefined : this.badStructures.get(item.missingStructure);
      if (structure) structure.people += 1;
    }
    this.quarantined.push(...items.map(({ dn, reason }) => ({ dn, reason })).slice(0, Math.max(0, REPORT_QUARANTINE_LIMIT - this.quarantined.length)));
    await this.store.addQuarantine(this.record.id, items.map(({ dn, reason }) => ({ dn, reason })));
  }

  mappingWarning(warnings: readonly string[] | undefined): void {
    for (const warning of warnings ?? []) {
      this.mappingWarningCount += 1;
      if (this.mappingWarnings.length < REPORT_WARNING_EXAMPLES) this.mappingWarnings.push(warning);
    }
  }

  /** What the store holds of this run so far: kept on the run's row after every batch. */
  committedCounters(): ImportCounters {
    return { ...this.counters, ...this.committed };
  }

  /** The warnings the report ends with: mapping fixes, and what each quarantined structure took with it. */
  finalWarnings(): string[] {
    const out = [...this.mappingWarnings];
    if (this.mappingWarningCount > this.mappingWarnings.length) out.push(`… and ${this.mappingWarningCount - this.mappingWarnings.length} more value(s) kept with a warning like these`);
    for (const [dn, { reason, people }] of this.badStructures) {
      out.push(`structure ${dn} was quarantined (${reason}): ${people} person(s) attached to it were quarantined with it`);
    }
    return [...out, ...this.warnings];
  }

  /** The share of people quarantined, once enough are read to judge. */
  quarantinedShare(): number {
    return this.people === 0 ? 0 : this.quarantinedPeople / this.people;
  }
}

/** Optional warnings a mapper may attach to an entry it kept (a value it had to correct). */
function warningsOf(mapped: unknown): readonly string[] | undefined {
  const warnings = (mapped as { warnings?: unknown }).warnings;
  return Array.isArray(warnings) ? (warnings as string[]) : undefined;
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
    strictUai: cfg.mapping.strictUai,
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
  const { scope } = deps;
  const mapping = checkedMapping(request.source);
  const store = scope.imports;
  const started = Date.now();
  const lockName = `import:${scope.tenantId}:${request.source.id}`;
  const lease = await deps.locks.acquire(lockName, request.source.lockLeaseSeconds * 1000);
  if (!lease) throw new ImportRefused('import_locked', `an import of ${request.source.id} for ${scope.tenantId} is already running`);
  try {
    const abandoned = await store.abandonStaleRuns(request.source.id);
    const since = request.mode === 'delta' ? await deltaStart(store, request.source) : null;
    const source = await deps.openSource(mapping);
    try {
      for (const base of Object.values(request.source.baseDn)) await source.checkBase(base);
      const record = await store.startRun({ sourceId: request.source.id, mode: request.mode, dryRun: request.dryRun });
      const run = new Run(record, store);
      deps.onStarted?.(record);
      if (abandoned.length > 0) run.warnings.push(`${abandoned.length} earlier run(s) had stopped half-way (${abandoned.join(', ')}): this run completes their work`);
      return await completeRun(deps, request, source, run, since, started);
    } finally {
      await source.close();
    }
  } finally {
    await lease.release().catch(() => undefined);
  }
}

/** Reads and reconciles, then records the outcome; a failure is recorded with what was committed. */
async function completeRun(deps: ImportDeps, request: ImportRequest, source: DirectorySource, run: Run, since: Since | null, started: number): Promise<ImportReport> {
  const store = deps.scope.imports;
  const { record } = run;
  try {
    await readAndReconcile(deps, request, source, run, since);
    const status = run.quarantinedShare() > request.source.maxQuarantinedShare ? 'completed_with_errors' : 'completed';
    const highWaterMark = run.highWaterMark ?? since?.stamp ?? null;
    const finishedAt = await store.finishRun(record.id, { status, counters: run.counters, highWaterMark });
    // Only a run that got to the end has linked what it staged; a failed run's links wait for the next.
    await store.cleanupRun(record.id).catch(() => undefined);
    deps.log.info({ runId: record.id, status, counters: run.counters }, 'import finished');
    return {
      run: { ...record, status, finishedAt, highWaterMark, counters: run.counters },
      counters: run.counters, quarantined: run.quarantined, warnings: run.finalWarnings(), seconds: (Date.now() - started) / 1000,
    };
  } catch (err) {
    const error = (err as Error).message;
    // The row's counters are those its last committed batch wrote, in that batch's transaction.
    await store.finishRun(record.id, { status: 'failed', highWaterMark: null, error }).catch(() => undefined);
    const failed: ImportRun = (await store.getRun(record.id).catch(() => null)) ?? { ...record, status: 'failed', finishedAt: null, counters: run.committedCounters(), error };
    if (err instanceof ImportRefused) throw new ImportRefused(err.code as ConstructorParameters<typeof ImportRefused>[0], err.message, failed);
    throw new ImportFailed(failed, err);
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

/** The structure and group writes of a run: a dry run previews them (the same outcome, nothing written). */
function directoryWrites(store: ImportStore, dryRun: boolean): Pick<ImportStore, 'upsertStructures' | 'upsertGroups'> {
  return dryRun ? { upsertStructures: (items) => store.previewStructures(items), upsertGroups: (items) => store.previewGroups(items) } : store;
}

/** Structures, then groups: the maps people are resolved with. */
async function readDirectoryTree(deps: ImportDeps, request: ImportRequest, source: DirectorySource, run: Run, since: Since | null): Promise<DirectoryMaps> {
  const { source: cfg } = request;
  const store = deps.scope.imports;
  const writes = directoryWrites(store, request.dryRun);
  const structures = [];
  for await (const item of source.read(cfg.baseDn.structures, withSince(cfg.filters.structures, since), 'structure')) {
    run.read(item);
    const { mapped } = item;
    if (mapped.ok) {
      run.mappingWarning(warningsOf(mapped));
      structures.push({ ...mapped.value, contentHash: contentHash(mapped.value) });
    } else {
      // People name their structures by normalised DN.
      const dn = normalizeDn(mapped.quarantined.dn);
      run.badStructures.set(dn.ok ? dn.value : mapped.quarantined.dn, { reason: mapped.quarantined.reason, people: 0 });
      await run.quarantine([mapped.quarantined]);
    }
  }
  deps.onProgress?.({ phase: 'structures', read: run.counters.read });
  const structureOutcome = await writes.upsertStructures(structures);
  const maps: DirectoryMaps = { structureIdsByDn: new Map([...(await store.structureIdsByDn()), ...structureOutcome.idsByDn]), groupIdsByKey: new Map() };

  const groups = [];
  for await (const item of source.read(cfg.baseDn.groups, withSince(cfg.filters.groups, since), 'group')) {
    run.read(item);
    const { mapped } = item;
    const structureId = mapped.ok ? maps.structureIdsByDn.get(mapped.value.structureDn) : undefined;
    if (mapped.ok && structureId) {
      run.mappingWarning(warningsOf(mapped));
      groups.push({ ...mapped.value, structureId, contentHash: contentHash(mapped.value) });
    } else await run.quarantine([mapped.ok ? { dn: mapped.value.dn, reason: `dangling structure DN ${mapped.value.structureDn}` } : mapped.quarantined]);
  }
  deps.onProgress?.({ phase: 'groups', read: run.counters.read });
  const groupOutcome = await writes.upsertGroups(groups);
  maps.groupIdsByKey = await store.groupIdsByKey();
  for (const g of groups) maps.groupIdsByKey.set(`${g.structureId}|${g.kind}|${g.code}`, groupOutcome.idsByDn.get(g.dn)!);
  return maps;
}

/** Refuses to go on once most people are quarantined: the mapping does not fit this directory. */
function checkQuarantineShare(run: Run, atEnd: boolean): void {
  const share = run.quarantinedShare();
  const allQuarantined = atEnd && run.people > 0 && run.quarantinedPeople === run.people;
  if (share <= FAILING_QUARANTINED_SHARE && !allQuarantined) return;
  throw new ImportRefused('too_many_quarantined', `${run.quarantinedPeople} of ${run.people} people read (${(share * 100).toFixed(1)} %) were quarantined, more than ${FAILING_QUARANTINED_SHARE * 100} %: the import stopped${atEnd ? '' : ' before writing the rest'}, marked nothing disappeared and kept no delta mark; the quarantine reasons say what the directory breaks`);
}

async function readAndReconcile(deps: ImportDeps, request: ImportRequest, source: DirectorySource, run: Run, since: Since | null): Promise<void> {
  const { source: cfg } = request;
  const store = deps.scope.imports;
  const write = !request.dryRun;
  const maps = await readDirectoryTree(deps, request, source, run, since);
  // Links earlier runs staged but never made: linked at the end, unless this run states them anew.
  const leftover = write ? await store.leftoverRelationRuns(cfg.id) : [];

  let batch: ImportedPerson[] = [];
  let quarantinedIds: string[] = [];
  const logins = new LoginAllocator(store);
  // A batch's writes go on while the next batch is read and mapped (PostgreSQL works meanwhile
  // in its own process); they are committed before that batch is planned against the store.
  let writing: Promise<void> | null = null;
  const flush = async () => {
    if (writing) await writing;
    writing = null;
    const people = batch;
    const seenIds = quarantinedIds;
    batch = [];
    quarantinedIds = [];
    writing = (await applyBatch(deps, run, people, maps, request, { logins, leftover }))?.written ?? null;
    // Rejections surface at the next flush or after the loop; until then they are not unhandled.
    writing?.catch(() => undefined);
    for (const id of seenIds) run.seen.add(id);
    deps.onProgress?.({ phase: 'people', read: run.counters.read });
  };
  try {
    for await (const item of source.read(cfg.baseDn.people, withSince(cfg.filters.people, since), 'person')) {
      run.read(item);
      run.people += 1;
      const { mapped } = item;
      if (mapped.ok) {
        run.mappingWarning(warningsOf(mapped));
        batch.push(mapped.value);
      } else {
        run.quarantinedPeople += 1;
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
  checkQuarantineShare(run, true);

  if (write) {
    deps.onProgress?.({ phase: 'relations', read: run.counters.read });
    if (leftover.length > 0) await store.adoptPendingRelations(leftover, run.record.id);
    const { unresolved } = await store.resolveRelations(run.record.id);
    if (unresolved > 0) run.warnings.push(`${unresolved} parent–child link(s) name a person who was not imported (absent from the directory, or quarantined)`);
  }
  if (request.mode === 'full') await markDisappeared(deps, run, request);
}

/**
 * Plans a batch and starts its writes; returns them (null when there are none) without waiting.
 * Classes people name without an entry of their own are created first, from the reference.
 */
async function applyBatch(deps: ImportDeps, run: Run, people: ImportedPerson[], maps: DirectoryMaps, request: ImportRequest, context: { logins: LoginAllocator; leftover: string[] }): Promise<{ written: Promise<void> } | null> {
  if (people.length === 0) return null;
  const store = deps.scope.imports;
  const classes = referencedClasses(people, maps);
  if (classes.length > 0) {
    const outcome = await directoryWrites(store, request.dryRun).upsertGroups(classes);
    classes.forEach((g, i) => maps.groupIdsByKey.set(`${g.structureId}|${g.kind}|${g.code}`, outcome.ids[i]!));
  }
  const plan = await planBatch(people, maps, store, run.seen, request.source.id, context.logins);
  run.quarantinedPeople += plan.quarantined.length;
  await run.quarantine(plan.quarantined);
  const planned = { created: plan.creates.length, updated: plan.updates.length, unchanged: plan.unchanged, merged: plan.merges.length };
  for (const [key, value] of Object.entries(planned) as Array<[keyof typeof planned, number]>) run.counters[key] += value;
  if (run.people >= request.source.batchSize) checkQuarantineShare(run, false);
  if (request.dryRun) return null;
  const committed = { ...run.committed };
  for (const [key, value] of Object.entries(planned) as Array<[keyof typeof planned, number]>) committed[key] += value;
  const batch = { ...plan, supersededRuns: context.leftover, runCounters: { ...run.counters, ...committed } };
  // Wrapped: an async function returning the promise itself would wait for it.
  return {
    written: store.applyAccounts(run.record.id, batch).then(() => {
      Object.assign(run.committed, committed);
      deps.onCodes?.(plan.codes);
    }),
  };
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
