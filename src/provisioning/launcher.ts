/**
 * Import runs started on someone's behalf (the admin API) that go on after the answer: the
 * caller learns the run once it is recorded (lock held, directory reached), the run ends in the
 * background and its outcome is on its row. One run of a tenant's source at a time: this
 * process refuses a second start at once, and the import lock (`runImport`) one from another
 * process. Activation codes of the accounts a run creates are not kept: connection letters
 * issue new ones.
 */
import type { Actor } from '../identity/actor.js';
import { HubError, InvariantBroken } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { AuditWriter } from '../storage/ports/audit-writer.js';
import type { ImportMode, ImportRun, PlatformStore } from '../storage/ports/index.js';
import { ImportRefused, runImport, type ImportDeps } from './job.js';
import type { DirectorySourceConfig } from './source-config.js';

/** A tenant as the launcher needs it: its id and its directory sources (from its tenant file). */
export interface LaunchTenant {
  id: string;
  directorySources: readonly DirectorySourceConfig[];
}

export interface LaunchPorts {
  store: PlatformStore;
  /** What `runImport` needs for this source: the tenant's store tuned for it, the locks, the directory. */
  importDeps(tenantId: string, source: DirectorySourceConfig): Promise<Pick<ImportDeps, 'scope' | 'locks' | 'openSource'>>;
  log: Logger;
}

export interface LaunchRequest {
  tenant: LaunchTenant;
  sourceId: string;
  mode: ImportMode;
  dryRun: boolean;
}

/** How long `close()` waits for runs still going before it lets the hub stop under them. */
const CLOSE_WAIT_MS = 10_000;

/** The source named, if the tenant has it and it is enabled; the refusal names the known ones. */
export function launchableSource(tenant: LaunchTenant, sourceId: string): DirectorySourceConfig {
  const source = tenant.directorySources.find((s) => s.id === sourceId);
  if (!source) {
    const known = tenant.directorySources.map((s) => s.id);
    throw new HubError('unknown_source', known.length === 0
      ? `tenant ${tenant.id} has no directory source: its tenant file declares none`
      : `tenant ${tenant.id} has no directory source "${sourceId}"; its sources are: ${known.join(', ')}`, { status: 400 });
  }
  if (!source.enabled) throw new HubError('source_disabled', `directory source ${source.id} of tenant ${tenant.id} is disabled (enabled: false in its tenant file): enable it to import`, { status: 409 });
  return source;
}

export class ImportLauncher {
  /** The runs going on in this process, by tenant and source. */
  private readonly running = new Map<string, Promise<void>>();

  constructor(private readonly ports: LaunchPorts) {}

  /** Starts a run and answers once it is recorded; a refusal before that (locked, directory unreachable…) is thrown. */
  async start(actor: Actor, request: LaunchRequest): Promise<ImportRun> {
    const source = launchableSource(request.tenant, request.sourceId);
    const key = `${request.tenant.id}/${source.id}`;
    // Checked and taken before any await: of two starts at once, the second is refused here.
    if (this.running.has(key)) {
      throw new ImportRefused('import_locked', `an import of ${source.id} for ${request.tenant.id} is already running: wait for it to end (its run is in the list) before starting another`);
    }
    let recorded!: (run: ImportRun) => void;
    const started = new Promise<ImportRun>((resolve) => {
      recorded = resolve;
    });
    const finished = (async () => {
      const deps = await this.ports.importDeps(request.tenant.id, source);
      return runImport({ ...deps, log: this.ports.log, onStarted: recorded }, {
        tenant: request.tenant, source, mode: request.mode, dryRun: request.dryRun, allowMassRemoval: false,
      });
    })();
    const tracked = finished.then(() => undefined, (err: unknown) => {
      const run = (err as { run?: ImportRun }).run;
      this.ports.log.warn({ tenant: request.tenant.id, source: source.id, runId: run?.id, code: (err as { code?: unknown }).code, err: (err as Error).message }, 'import started from the admin side did not complete');
    }).finally(() => this.running.delete(key));
    this.running.set(key, tracked);
    // The run is recorded before it ends: `started` settles first whenever it settles at all.
    const run = await Promise.race([started, finished.then((): never => {
      throw new InvariantBroken('the import ended without recording its run');
    })]);
    await new AuditWriter(this.ports.store, actor, request.tenant.id).write('import.started', {
      details: { run: run.id, source: source.id, mode: request.mode, dryRun: request.dryRun },
    });
    return run;
  }

  /** Whether a run of this tenant's source is going on in this process. */
  isRunning(tenantId: string, sourceId: string): boolean {
    return this.running.has(`${tenantId}/${sourceId}`);
  }

  /**
   * Waits for the runs going on, at most `waitMs`. A run still going then fails when the store
   * closes under it; the next run of its source marks it interrupted and completes its work.
   */
  async close(waitMs = CLOSE_WAIT_MS): Promise<void> {
    if (this.running.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.running.values()),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, waitMs);
      }),
    ]);
    clearTimeout(timer);
  }
}
