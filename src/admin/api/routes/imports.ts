/** Import runs of a tenant: the list with counters, one run and its quarantine, its report, a new run. */
import { Readable } from 'node:stream';
import { z } from 'zod';
import type { Actor } from '../../../identity/actor.js';
import { importRunDetail, importRunReport, importRunsPage, reportFileName } from '../../../provisioning/runs.js';
import type { ImportMode, ImportRun, ImportStatus, PlatformStore } from '../../../storage/ports/index.js';
import { pageOf, pageQuery, route, tenantParams, type AdminRoute } from '../kit.js';

export interface ImportRouteDeps {
  store: PlatformStore;
  /** Starts a run of the tenant's source in the background; answers with the run once recorded. */
  startImport(tenantId: string, sourceId: string, dryRun: boolean, actor: Actor, mode?: ImportMode): Promise<ImportRun>;
  /** The tenant's directory sources, as its file declares them. */
  sourcesOf(tenantId: string): Array<{ id: string; enabled: boolean }>;
}

const IMPORT_STATUSES = ['running', 'completed', 'completed_with_errors', 'failed'] as const satisfies readonly ImportStatus[];
const IMPORT_MODES = ['full', 'delta'] as const satisfies readonly ImportMode[];

const count = z.number().int();
export const runView = z.object({
  id: z.string(),
  tenant: z.string(),
  source: z.string().describe('The directory source (its id in the tenant file).'),
  mode: z.enum(IMPORT_MODES).describe('`full` reads everything and marks missing accounts disappeared; `delta` reads what changed since the last run.'),
  dryRun: z.boolean().describe('A dry run computes the outcome and writes no account.'),
  status: z.enum(IMPORT_STATUSES).describe('`completed_with_errors`: complete, but more entries quarantined than the source allows.'),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  counters: z.object({ read: count, created: count, updated: count, unchanged: count, merged: count, disappeared: count, quarantined: count }),
  error: z.string().nullable().describe('Why a failed run stopped.'),
});

export const toRunView = (run: ImportRun): z.output<typeof runView> => ({
  id: run.id, tenant: run.tenantId, source: run.sourceId, mode: run.mode, dryRun: run.dryRun, status: run.status,
  startedAt: run.startedAt.toISOString(), finishedAt: run.finishedAt?.toISOString() ?? null, counters: { ...run.counters }, error: run.error,
});

const quarantinedEntry = z.object({ dn: z.string(), reason: z.string() });
const runParams = tenantParams.extend({ run: z.string().min(1).max(64) });

export function importRoutes(deps: ImportRouteDeps): AdminRoute[] {
  const base = '/tenants/:tenant/imports';
  return [
    route({
      operationId: 'listImportRuns', method: 'get', path: base, summary: 'The import runs, newest first, with their counters', tag: 'imports', level: 'tenant', permission: 'imports.read',
      params: tenantParams,
      query: pageQuery.extend({
        source: z.string().min(1).max(64).optional().describe('Only the runs of this directory source.'),
        status: z.enum(IMPORT_STATUSES).optional(),
      }),
      reply: { status: 200, description: 'A page of runs.', schema: pageOf(runView) },
      handle: async ({ params, query }) => {
        const filter = { ...(query.source ? { sourceId: query.source } : {}), ...(query.status ? { status: query.status } : {}) };
        const page = await importRunsPage(deps.store, params.tenant, filter, { limit: query.limit, ...(query.after ? { after: query.after } : {}) });
        return { json: { items: page.items.map(toRunView), next: page.next } };
      },
    }),
    route({
      operationId: 'getImportRun', method: 'get', path: `${base}/:run`, summary: 'A run: its counters and the entries it quarantined, with why', tag: 'imports', level: 'tenant', permission: 'imports.read',
      params: runParams,
      reply: {
        status: 200, description: 'The run, how many entries it quarantined and the first of them by DN (the report has them all).',
        schema: z.object({ run: runView, quarantinedTotal: count, quarantined: z.array(quarantinedEntry) }),
      },
      handle: async ({ params }) => {
        const detail = await importRunDetail(deps.store, params.tenant, params.run);
        return { json: { run: toRunView(detail.run), quarantinedTotal: detail.quarantinedTotal, quarantined: detail.quarantined } };
      },
    }),
    route({
      operationId: 'getImportReport', method: 'get', path: `${base}/:run/report`, summary: 'The run\'s report, a JSON file: the run and every quarantined entry', tag: 'imports', level: 'tenant', permission: 'imports.read',
      params: runParams,
      reply: { status: 200, description: 'The report, as a file to download.', contentType: 'application/json' },
      handle: async ({ params }) => {
        const { run, pieces } = await importRunReport(deps.store, params.tenant, params.run, toRunView);
        return { stream: Readable.from(pieces), contentType: 'application/json; charset=utf-8', filename: reportFileName(run) };
      },
    }),
    route({
      operationId: 'startImport', method: 'post', path: base, summary: 'Start a run of a directory source (a dry run writes no account); it goes on in the background', tag: 'imports', level: 'tenant', permission: 'imports.run',
      params: tenantParams,
      body: z.object({
        source: z.string().min(1).max(64).describe('The directory source, by its id in the tenant file (see `listImportSources`).'),
        dryRun: z.boolean().describe('true: compute the outcome and write no account.'),
        mode: z.enum(IMPORT_MODES).default('full').describe('`full` by default; `delta` needs a completed full run.'),
      }),
      reply: { status: 202, description: 'The run, recorded and going on; follow it with `getImportRun`. 409 while a run of the source is going on.', schema: runView },
      handle: async ({ params, body, actor }) => {
        return { status: 202, json: toRunView(await deps.startImport(params.tenant, body.source, body.dryRun, actor, body.mode)) };
      },
    }),
    route({
      operationId: 'listImportSources', method: 'get', path: '/tenants/:tenant/import-sources', summary: 'The tenant\'s directory sources', tag: 'imports', level: 'tenant', permission: 'imports.read',
      params: tenantParams,
      reply: { status: 200, description: 'The sources its tenant file declares; only enabled ones can be imported.', schema: z.object({ items: z.array(z.object({ id: z.string(), enabled: z.boolean() })) }) },
      handle: async ({ params }) => {
        return { json: { items: deps.sourcesOf(params.tenant) } };
      },
    }),
  ];
}
