/**
 * One scenario of `bench/import.ts`, in a process of its own so that its peak RSS is its own:
 *
 *   node --import tsx bench/import-child.ts            (spec: JSON in env BENCH_IMPORT_SPEC)
 *
 * - `raw`: an ldapts paged search of the whole directory (same page size as the import, every
 *   value converted to a string), counting entries: whole entries (`*` + modifyTimestamp), or
 *   only the attributes the import asks for (`attributes: 'import'`);
 * - `import`: one `runImport` (full or delta) into the SQL store at `databaseUrl`.
 *
 * Writes one JSON line (ChildResult) on stdout and exits; progress and warnings go to stderr.
 * Exits at once when its stdin closes (the parent holds a pipe: a parent that dies takes its
 * children along).
 */
import { writeSync } from 'node:fs';
import { Client } from 'ldapts';
import { pino } from 'pino';
import { tenantSchema } from '../src/config/tenant-schema.js';
import { runImport, type ImportProgress } from '../src/provisioning/job.js';
import { createSdetMapper } from '../src/provisioning/sdet/mapping.js';
import { openLdapSource, toEntry } from '../src/provisioning/source/ldap.js';
import { FileLockService } from '../src/storage/file/lock.js';
import type { ImportCounters } from '../src/storage/ports/index.js';
import { openSqlStore } from '../src/storage/sql/database.js';

export interface ChildSpec {
  kind: 'raw' | 'import';
  ldapUrl: string;
  bindDn: string;
  bindPassword: string;
  suffix: string;
  pageSize: number;
  /** raw only: whole entries (default), or the attributes the import's mapping asks for. */
  attributes?: 'all' | 'import';
  /** import only */
  batchSize?: number;
  mode?: 'full' | 'delta';
  databaseUrl?: string;
  lockDir?: string;
  /** Seconds between progress lines on stderr (0: none). */
  progressSeconds?: number;
  /** Exit when stdin closes (the parent holds a pipe). */
  watchStdin?: boolean;
}

export interface PhaseTimes {
  /** Seconds from the start of runImport to the end of each phase (null: not reached / not reported). */
  structures: number | null;
  groups: number | null;
  /** Last people batch written. */
  people: number | null;
  /** resolveRelations started (after the last people batch). */
  relationsStart: number | null;
  /** Highest RSS sampled (every 100 ms, MiB) while reading structures and groups, people, and after the last batch. */
  rssPeakMiB: { before: number; people: number; finish: number };
}

export interface ChildResult {
  kind: ChildSpec['kind'];
  mode: ChildSpec['mode'] | null;
  /** Entries read (raw: counted; import: counters.read). */
  read: number;
  /** The timed part: the paged search (raw) or runImport (import), seconds. */
  seconds: number;
  /** Opening the store (connect + migrations) before the run, seconds. */
  openSeconds: number;
  counters: ImportCounters | null;
  quarantinedReasons: Record<string, number>;
  warnings: string[];
  phases: PhaseTimes | null;
  /** The high-water mark the run saved (the newest modifyTimestamp it read). */
  highWaterMark: string | null;
  /** process.resourceUsage().maxRSS, KiB. */
  maxRssKiB: number;
  userCpuSeconds: number;
  systemCpuSeconds: number;
  heapUsedMiB: number;
  /** Raw: attribute values converted, a check that the conversion was not optimised away. */
  values?: number;
}


const note = (line: string): void => void process.stderr.write(`${line}\n`);

/** One search reads every kind of entry: it asks for what the import asks of any kind. */
function rawAttributes(spec: ChildSpec): string[] {
  if (spec.attributes !== 'import') return ['*', 'modifyTimestamp'];
  const mapper = createSdetMapper({ source: 'AC-LILLE' });
  return [...new Set((['structure', 'group', 'person'] as const).flatMap((kind) => mapper.attributes(kind)))];
}

async function rawRead(spec: ChildSpec): Promise<Pick<ChildResult, 'read' | 'seconds' | 'values'>> {
  const client = new Client({ url: spec.ldapUrl, connectTimeout: 10_000, timeout: 3_600_000 });
  await client.bind(spec.bindDn, spec.bindPassword);
  try {
    const started = performance.now();
    let read = 0;
    let values = 0;
    let lastNote = started;
    const pages = client.searchPaginated(spec.suffix, {
      scope: 'sub', filter: '(objectClass=*)', attributes: rawAttributes(spec), timeLimit: 0,
      paged: { pageSize: spec.pageSize },
    });
    for await (const page of pages) {
      for (const raw of page.searchEntries) {
        const entry = toEntry(raw);
        read += 1;
        for (const list of Object.values(entry.attributes)) values += list.length;
      }
      if (spec.progressSeconds && performance.now() - lastNote > spec.progressSeconds * 1000) {
        lastNote = performance.now();
        note(`read ${read} entries in ${((lastNote - started) / 1000).toFixed(0)} s`);
      }
    }
    return { read, values, seconds: (performance.now() - started) / 1000 };
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

async function importRun(spec: ChildSpec): Promise<Pick<ChildResult, 'read' | 'seconds' | 'openSeconds' | 'counters' | 'quarantinedReasons' | 'warnings' | 'phases' | 'highWaterMark'>> {
  if (!spec.databaseUrl || !spec.lockDir || !spec.mode) throw new Error('import spec needs databaseUrl, lockDir and mode');
  const tenant = tenantSchema.parse({
    id: 'lille', name: 'Lille', academyCode: '09',
    directorySources: [{
      id: 'AC-LILLE', type: 'ldap', url: spec.ldapUrl, enabled: true, bindDn: spec.bindDn, bindPassword: { env: 'UNUSED' },
      baseDn: { people: `ou=people,${spec.suffix}`, structures: `ou=structures,${spec.suffix}`, groups: `ou=groups,${spec.suffix}` },
      pageSize: spec.pageSize, ...(spec.batchSize ? { batchSize: spec.batchSize } : {}),
    }],
  });
  const source = tenant.directorySources[0]!;
  const opening = performance.now();
  const store = await openSqlStore(spec.databaseUrl);
  try {
    await store.tenants.upsert({ id: tenant.id, name: tenant.name, academyCode: tenant.academyCode });
    const openSeconds = (performance.now() - opening) / 1000;
    // The hub's logger writes on stdout, which carries the result here: warnings go to stderr.
    const log = pino({ level: 'warn', base: { service: 'bench-import' } }, pino.destination({ fd: 2, sync: true }));
    const phases: PhaseTimes = { structures: null, groups: null, people: null, relationsStart: null, rssPeakMiB: { before: 0, people: 0, finish: 0 } };
    let current: keyof PhaseTimes['rssPeakMiB'] = 'before';
    const sample = () => {
      const rss = process.memoryUsage.rss() / 2 ** 20;
      if (rss > phases.rssPeakMiB[current]) phases.rssPeakMiB[current] = rss;
    };
    const sampler = setInterval(sample, 100).unref();
    const started = performance.now();
    const at = () => (performance.now() - started) / 1000;
    let lastNote = started;
    const onProgress = (p: ImportProgress) => {
      sample();
      if (p.phase === 'structures' || p.phase === 'groups' || p.phase === 'people') phases[p.phase] = at();
      else if (p.phase === 'relations') phases.relationsStart = at();
      // The last people batch is not known as such: 'people' until relations start or the run ends.
      current = p.phase === 'groups' || p.phase === 'people' ? 'people' : p.phase === 'structures' ? 'before' : 'finish';
      if (spec.progressSeconds && performance.now() - lastNote > spec.progressSeconds * 1000) {
        lastNote = performance.now();
        const m = process.memoryUsage();
        const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
        note(`${p.phase}: read ${p.read} in ${at().toFixed(0)} s, rss ${mib(m.rss)} MiB (V8 heap ${mib(m.heapUsed)} of ${mib(m.heapTotal)}, external ${mib(m.external)})`);
      }
    };
    const report = await runImport(
      {
        scope: store.forTenant(tenant.id),
        locks: new FileLockService(spec.lockDir),
        openSource: (mapping) => openLdapSource({
          url: source.url, bindDn: source.bindDn, bindPassword: spec.bindPassword, rejectUnauthorized: true, pageSize: source.pageSize,
          timeLimitSeconds: source.timeLimitSeconds, connectTimeoutSeconds: source.connectTimeoutSeconds, maxRetries: source.maxRetries,
        }, mapping),
        log,
        onProgress,
      },
      { tenant, source, mode: spec.mode, dryRun: false, allowMassRemoval: false },
    );
    const seconds = at();
    clearInterval(sampler);
    sample();
    const quarantinedReasons: Record<string, number> = {};
    for (const q of report.quarantined) {
      const reason = q.reason.replace(/\d+/g, '#').replace(/uid=[^,\s]+/g, 'uid=…').slice(0, 80);
      quarantinedReasons[reason] = (quarantinedReasons[reason] ?? 0) + 1;
    }
    return { read: report.counters.read, seconds, openSeconds, counters: report.counters, quarantinedReasons, warnings: report.warnings, phases, highWaterMark: report.run.highWaterMark };
  } finally {
    await store.close();
  }
}

async function main(): Promise<void> {
  const raw = process.env.BENCH_IMPORT_SPEC ?? process.argv[2];
  if (!raw) throw new Error('missing BENCH_IMPORT_SPEC (JSON scenario spec)');
  const spec = JSON.parse(raw) as ChildSpec;
  if (spec.watchStdin) process.stdin.on('end', () => process.exit(130)).on('error', () => undefined).resume();
  const base = spec.kind === 'raw'
    ? { ...(await rawRead(spec)), openSeconds: 0, counters: null, quarantinedReasons: {}, warnings: [], phases: null, highWaterMark: null }
    : await importRun(spec);
  const usage = process.resourceUsage();
  const result: ChildResult = {
    kind: spec.kind,
    mode: spec.mode ?? null,
    ...base,
    maxRssKiB: usage.maxRSS,
    userCpuSeconds: usage.userCPUTime / 1e6,
    systemCpuSeconds: usage.systemCPUTime / 1e6,
    heapUsedMiB: process.memoryUsage().heapUsed / 2 ** 20,
  };
  writeSync(1, `${JSON.stringify(result)}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    note(`scenario failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
