/**
 * What the import runs of a tenant recorded, as the admin API shows them: a page of runs, one
 * run with its quarantined entries, and the run's report as a JSON document written as it is
 * read. Reads only: a run is started by `launcher.ts`.
 */
import { NotFound } from '../shared/errors.js';
import type { ImportRun, ImportRunFilter, KeysetPage, KeysetResult, PlatformStore } from '../storage/ports/index.js';

/** Quarantined entries a run's detail shows; the report has them all. */
export const DETAIL_QUARANTINE_LIMIT = 100;

export interface QuarantinedEntry {
  dn: string;
  reason: string;
}

export interface ImportRunDetail {
  run: ImportRun;
  /** How many entries the run quarantined (structures, groups and people). */
  quarantinedTotal: number;
  /** The first of them, by DN. */
  quarantined: QuarantinedEntry[];
}

export function importRunsPage(store: PlatformStore, tenantId: string, filter: ImportRunFilter, page: KeysetPage): Promise<KeysetResult<ImportRun>> {
  return store.forTenant(tenantId).imports.pageRuns(filter, page);
}

/** The run of this tenant; NotFound for another tenant's, as for a missing one. */
export async function importRunOf(store: PlatformStore, tenantId: string, runId: string): Promise<ImportRun> {
  const run = await store.forTenant(tenantId).imports.getRun(runId);
  if (!run) throw new NotFound(`import run "${runId}"`);
  return run;
}

const byDn = (a: QuarantinedEntry, b: QuarantinedEntry): number => (a.dn < b.dn ? -1 : a.dn > b.dn ? 1 : 0);

async function quarantineOf(store: PlatformStore, tenantId: string, runId: string): Promise<QuarantinedEntry[]> {
  return (await store.forTenant(tenantId).imports.listQuarantine(runId)).sort(byDn);
}

export async function importRunDetail(store: PlatformStore, tenantId: string, runId: string, limit = DETAIL_QUARANTINE_LIMIT): Promise<ImportRunDetail> {
  const run = await importRunOf(store, tenantId, runId);
  const quarantined = await quarantineOf(store, tenantId, runId);
  return { run, quarantinedTotal: quarantined.length, quarantined: quarantined.slice(0, limit) };
}

/** The report's name when downloaded: tenant, source, start (UTC) and run id. */
export function reportFileName(run: ImportRun): string {
  const at = run.startedAt.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
  return `import-${run.tenantId}-${run.sourceId}-${at}-${run.id}.json`;
}

/**
 * The run's report as JSON text, in pieces: the run (`view` gives its JSON form), then every
 * quarantined entry by DN, one line each. NotFound is thrown here, before any piece is written.
 */
export async function importRunReport<V>(store: PlatformStore, tenantId: string, runId: string, view: (run: ImportRun) => V): Promise<{ run: ImportRun; pieces: AsyncGenerator<string> }> {
  const run = await importRunOf(store, tenantId, runId);
  const quarantined = await quarantineOf(store, tenantId, runId);
  async function* pieces(): AsyncGenerator<string> {
    yield `{\n"run": ${JSON.stringify(view(run))},\n"quarantinedTotal": ${quarantined.length},\n"quarantined": [`;
    for (const [i, entry] of quarantined.entries()) yield `${i === 0 ? '' : ','}\n  ${JSON.stringify(entry)}`;
    yield `${quarantined.length ? '\n' : ''}]\n}\n`;
  }
  return { run, pieces: pieces() };
}
