/** Import runs and their quarantine. */
import type { Kysely, Selectable } from 'kysely';
import { HubError } from '../../../shared/errors.js';
import { newId } from '../../../shared/ids.js';
import type { ImportCounters, ImportMode, ImportRun, ImportRunFilter, ImportStatus } from '../../ports/imports.js';
import type { KeysetPage, KeysetResult } from '../../ports/model.js';
import { fromJson, nowTimestamp, toDate, toFlag } from '../rows.js';
import type { Database, ImportRunsTable } from '../schema.js';

export const ZERO_COUNTERS: ImportCounters = { read: 0, created: 0, updated: 0, unchanged: 0, merged: 0, disappeared: 0, quarantined: 0 };

function toRun(row: Selectable<ImportRunsTable>): ImportRun {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    sourceId: row.source_id,
    mode: row.mode as ImportMode,
    dryRun: row.dry_run === 1,
    status: row.status as ImportStatus,
    startedAt: toDate(row.started_at),
    finishedAt: row.finished_at === null ? null : toDate(row.finished_at),
    highWaterMark: row.high_water_mark,
    counters: { ...ZERO_COUNTERS, ...fromJson(row.counters) } as ImportCounters,
    error: row.error,
  };
}

/** A page's cursor: the last run's start and id, opaque to the caller. */
const cursorOf = (run: ImportRun): string => Buffer.from(JSON.stringify([run.startedAt.toISOString(), run.id])).toString('base64url');

function readCursor(after: string): { startedAt: string; id: string } {
  try {
    const [startedAt, id] = JSON.parse(Buffer.from(after, 'base64url').toString('utf8')) as unknown[];
    if (typeof startedAt === 'string' && typeof id === 'string' && !Number.isNaN(Date.parse(startedAt))) return { startedAt: new Date(startedAt).toISOString(), id };
  } catch {
    // reported below
  }
  throw new HubError('invalid_cursor', 'the cursor "after" is not one a page of this list gave', { status: 400 });
}

export function importRuns(db: Kysely<Database>, tenantId: string) {
  const runs = () => db.selectFrom('import_runs').selectAll().where('tenant_id', '=', tenantId);
  return {
    async startRun(run: { sourceId: string; mode: ImportMode; dryRun: boolean }): Promise<ImportRun> {
      const row = {
        id: newId(), tenant_id: tenantId, source_id: run.sourceId, mode: run.mode, dry_run: toFlag(run.dryRun),
        status: 'running', started_at: nowTimestamp(), finished_at: null, high_water_mark: null,
        counters: JSON.stringify(ZERO_COUNTERS), error: null,
      };
      await db.insertInto('import_runs').values(row).execute();
      return toRun({ ...row, counters: ZERO_COUNTERS });
    },

    async finishRun(runId: string, outcome: { status: Exclude<ImportStatus, 'running'>; counters?: ImportCounters; highWaterMark: string | null; error?: string }): Promise<Date> {
      const finishedAt = nowTimestamp();
      await db.updateTable('import_runs')
        .set({
          status: outcome.status, finished_at: finishedAt, high_water_mark: outcome.highWaterMark, error: outcome.error ?? null,
          ...(outcome.counters ? { counters: JSON.stringify(outcome.counters) } : {}),
        })
        .where('tenant_id', '=', tenantId).where('id', '=', runId)
        .execute();
      return toDate(finishedAt);
    },

    async leftoverRelationRuns(sourceId: string): Promise<string[]> {
      const rows = await runs().where('source_id', '=', sourceId).where('status', '<>', 'running')
        .where((eb) => eb.exists(eb.selectFrom('import_pending_relations as p').select('p.run_id').whereRef('p.run_id', '=', 'import_runs.id')))
        .select('id').execute();
      return rows.map((r) => r.id);
    },

    async abandonStaleRuns(sourceId: string): Promise<string[]> {
      const stale = await runs().where('source_id', '=', sourceId).where('status', '=', 'running').execute();
      for (const run of stale) {
        await db.updateTable('import_runs').set({ status: 'failed', finished_at: nowTimestamp(), error: 'interrupted (the process stopped before the end)' })
          .where('tenant_id', '=', tenantId).where('id', '=', run.id).execute();
      }
      return stale.map((r) => r.id);
    },

    async lastCompletedRun(sourceId: string, mode?: ImportMode): Promise<ImportRun | null> {
      let query = runs().where('source_id', '=', sourceId).where('status', 'in', ['completed', 'completed_with_errors']).where('dry_run', '=', 0);
      if (mode) query = query.where('mode', '=', mode);
      const row = await query.orderBy('started_at', 'desc').limit(1).executeTakeFirst();
      return row ? toRun(row) : null;
    },

    async listRuns(limit = 50): Promise<ImportRun[]> {
      return (await runs().orderBy('started_at', 'desc').limit(limit).execute()).map(toRun);
    },

    async pageRuns(filter: ImportRunFilter, page: KeysetPage): Promise<KeysetResult<ImportRun>> {
      let query = runs();
      if (filter.sourceId !== undefined) query = query.where('source_id', '=', filter.sourceId);
      if (filter.status !== undefined) query = query.where('status', '=', filter.status);
      if (page.after !== undefined) {
        const { startedAt, id } = readCursor(page.after);
        query = query.where((eb) => eb.or([eb('started_at', '<', startedAt), eb.and([eb('started_at', '=', startedAt), eb('id', '<', id)])]));
      }
      // One more than asked: whether a next page exists, without counting.
      const rows = (await query.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(page.limit + 1).execute()).map(toRun);
      const items = rows.slice(0, page.limit);
      return { items, next: rows.length > page.limit ? cursorOf(items[items.length - 1]!) : null };
    },

    async getRun(runId: string): Promise<ImportRun | null> {
      const row = await runs().where('id', '=', runId).executeTakeFirst();
      return row ? toRun(row) : null;
    },

    async addQuarantine(runId: string, items: Array<{ dn: string; reason: string }>): Promise<void> {
      if (items.length === 0) return;
      await db.insertInto('import_quarantine').values(items.map((i) => ({ run_id: runId, dn: i.dn, reason: i.reason }))).execute();
    },

    async listQuarantine(runId: string): Promise<Array<{ dn: string; reason: string }>> {
      // Joined on the run so a tenant never reads another tenant's quarantine.
      return db.selectFrom('import_quarantine as q').innerJoin('import_runs as r', 'r.id', 'q.run_id')
        .select(['q.dn', 'q.reason']).where('r.tenant_id', '=', tenantId).where('q.run_id', '=', runId).execute();
    },
  };
}
