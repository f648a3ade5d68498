/**
 * The SP metadata refresh of a running hub: a pass at start (an aggregate whose URL does not
 * answer is read from its last good copy), then a pass each time one is due (each aggregate's
 * `refreshSeconds`, or its `cacheDuration` when shorter). With several hub nodes, one pass runs
 * at a time (a lock in the shared lock service); a node that finds it held skips its turn. A
 * failed source keeps its SPs as they are (sp-refresh.ts); a failed pass is logged and tried
 * again later, never stopping the hub.
 */
import type { Logger } from '../../shared/logger.js';
import type { LockService } from '../../storage/ports/locks.js';
import { DEFAULT_AGGREGATE_REFRESH_SECONDS } from './config.js';
import { refreshServiceProviders, REFRESH_JOB, type RefreshPorts, type SourceReport } from './sp-refresh.js';

const LOCK = 'saml-sp-refresh';
/** Longer than a pass can take (every source has a fetch timeout). */
const LOCK_TTL_MS = 10 * 60 * 1000;
/** After a pass that failed as a whole (the store), or one skipped for the lock. */
const RETRY_SECONDS = 300;

/** When the next pass is due: the soonest aggregate, else the default period. */
export function nextPassSeconds(ports: Pick<RefreshPorts, 'aggregates'>, reports: SourceReport[]): number {
  const due = [
    ...reports.flatMap((r) => (r.nextRefreshSeconds === undefined ? [] : [r.nextRefreshSeconds])),
    ...ports.aggregates.map((a) => a.refreshSeconds),
  ];
  return Math.min(DEFAULT_AGGREGATE_REFRESH_SECONDS, ...due);
}

export class SpRefreshSchedule {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly ports: RefreshPorts, private readonly locks: LockService, private readonly log: Logger) {}

  /** The first pass now (in the background), the next ones when due. */
  start(): void {
    this.run(true);
  }

  /** Stops the schedule; waits for a pass under way. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private run(first: boolean): void {
    this.running = this.pass(first).then((seconds) => this.schedule(seconds));
  }

  private schedule(seconds: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => this.run(false), seconds * 1000);
    this.timer.unref();
  }

  /** One pass under the lock; the seconds until the next. */
  private async pass(first: boolean): Promise<number> {
    try {
      const lease = await this.locks.acquire(LOCK, LOCK_TTL_MS);
      if (!lease) return RETRY_SECONDS;
      try {
        const reports = await refreshServiceProviders(this.ports, REFRESH_JOB, { fallBackToCache: first });
        for (const report of reports) this.logReport(report);
        return nextPassSeconds(this.ports, reports);
      } finally {
        await lease.release();
      }
    } catch (err) {
      this.log.error({ err }, 'SAML SP metadata refresh failed; the SPs are kept as they are');
      return RETRY_SECONDS;
    }
  }

  private logReport(report: SourceReport): void {
    const { source, added, updated, removed, skipped, failed } = report;
    if (failed !== null) this.log.warn({ source, failed }, 'SAML SP metadata source failed; its SPs are kept as they are');
    else if (added.length + updated.length + removed.length + skipped.length > 0 || report.fromCache) {
      this.log.info({ source, added, updated, removed, skipped: skipped.length, fromCache: report.fromCache ?? false }, 'SAML SP metadata refreshed');
    }
  }
}
