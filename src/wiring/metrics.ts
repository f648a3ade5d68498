/**
 * The hub's Prometheus metrics: one registry per hub (several hubs run in one test process, so
 * never prom-client's global one), the HubMetrics the modules write to, and the gauges read at
 * scrape time (readiness, the latest import runs, which CLI processes write too).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ReadinessCheck } from '../http/health.js';
import type { HubMetrics, MetricsExposition, SignInResult } from '../shared/metrics.js';
import type { ImportRun, PlatformStore } from '../storage/ports/index.js';

export interface MetricsSources {
  readiness: ReadinessCheck[];
  store: PlatformStore;
  /** The tenants whose import runs are reported. */
  tenantIds(): string[];
}

/** Seconds: a login page is milliseconds, an argon2 check ~50 ms, an upstream's answer may take seconds. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const SIGN_IN_METHODS = new Set(['password', 'totp', 'recovery_code', 'totp_enrolment', 'activation', 'federation']);
const HTTP_METHODS = new Set(['GET', 'POST', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'DELETE']);
const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'];
/** How many recent runs of a tenant are read to find each source's latest. */
const RECENT_RUNS = 50;

const statusClass = (status: number): string => STATUS_CLASSES[Math.floor(status / 100) - 1] ?? 'other';

export class PrometheusMetrics implements HubMetrics, MetricsExposition {
  private readonly registry = new Registry();
  private readonly signIns = new Counter({
    name: 'hub_sign_ins_total', help: 'Sign-in factors checked and upstream sign-ins, by method, connector and result',
    labelNames: ['method', 'connector', 'result'] as const, registers: [this.registry],
  });
  private readonly federationFailures = new Counter({
    name: 'hub_federation_failures_total', help: 'Federated logins refused, by connector and reason',
    labelNames: ['connector', 'reason'] as const, registers: [this.registry],
  });
  private readonly samlResponses = new Counter({
    name: 'hub_saml_responses_total', help: 'SAML Responses sent by the IdP, by service provider and status',
    labelNames: ['sp', 'status'] as const, registers: [this.registry],
  });
  private readonly tokenRequests = new Counter({
    name: 'hub_oidc_token_requests_total', help: 'Token endpoint requests, by grant type and result',
    labelNames: ['grant_type', 'result'] as const, registers: [this.registry],
  });
  private readonly tokensIssued = new Counter({
    name: 'hub_oidc_tokens_issued_total', help: 'Tokens and codes issued by the OIDC provider, by kind',
    labelNames: ['kind'] as const, registers: [this.registry],
  });
  private readonly requests = new Histogram({
    name: 'hub_http_request_duration_seconds', help: 'HTTP requests of the public listener, by route template, method and status class',
    labelNames: ['route', 'method', 'status'] as const, buckets: HTTP_BUCKETS, registers: [this.registry],
  });

  constructor(sources: MetricsSources) {
    collectDefaultMetrics({ register: this.registry });
    readinessGauge(this.registry, sources.readiness);
    importGauges(this.registry, sources);
  }

  signIn(method: string, result: SignInResult, connector = ''): void {
    this.signIns.inc({ method: SIGN_IN_METHODS.has(method) ? method : 'other', connector, result });
  }

  federationFailure(connector: string, reason: string): void {
    this.federationFailures.inc({ connector, reason });
  }

  samlResponse(sp: string, status: string): void {
    this.samlResponses.inc({ sp, status });
  }

  tokenRequest(grantType: string, result: 'success' | 'error'): void {
    this.tokenRequests.inc({ grant_type: grantType, result });
  }

  tokenIssued(kind: string): void {
    this.tokensIssued.inc({ kind });
  }

  httpRequest(route: string, method: string, status: number, seconds: number): void {
    this.requests.observe({ route, method: HTTP_METHODS.has(method) ? method : 'other', status: statusClass(status) }, seconds);
  }

  async scrape(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}

/** 1 when the dependency answered its readiness check at scrape time, else 0. */
function readinessGauge(registry: Registry, checks: ReadinessCheck[]): void {
  new Gauge({
    name: 'hub_dependency_up', help: 'Whether a dependency (database, redis) answers its readiness check',
    labelNames: ['dependency'] as const, registers: [registry],
    async collect() {
      await Promise.all(checks.map(async ({ name, check }) => {
        this.set({ dependency: name }, await check().then(() => 1, () => 0));
      }));
    },
  });
}

/** The latest run of each source of each tenant (dry runs left out), read from the store at scrape time. */
async function latestRuns(sources: MetricsSources): Promise<ImportRun[]> {
  const latest: ImportRun[] = [];
  for (const tenantId of sources.tenantIds()) {
    const seen = new Set<string>();
    for (const run of await sources.store.forTenant(tenantId).imports.listRuns(RECENT_RUNS)) {
      if (run.dryRun || seen.has(run.sourceId)) continue;
      seen.add(run.sourceId);
      latest.push(run);
    }
  }
  return latest;
}

/** One read of the runs per scrape: prom-client collects every metric at once, each gauge awaits this one. */
function sharedRead<T>(read: () => Promise<T>): () => Promise<T | null> {
  let pending: Promise<T | null> | undefined;
  return () => (pending ??= read().catch(() => null).finally(() => (pending = undefined)));
}

type RunGauge = { labelNames: readonly string[]; name: string; help: string; values(run: ImportRun): Array<[Record<string, string>, number]> };

const STATUSES = ['running', 'completed', 'completed_with_errors', 'failed'] as const;
const seconds = (date: Date) => date.getTime() / 1000;

/** What each gauge says of a source's latest run (labels beyond tenant and source, value). */
const RUN_GAUGES: RunGauge[] = [
  { name: 'hub_import_last_run_start_seconds', help: 'Start of the latest import run (Unix time)', labelNames: [], values: (run) => [[{}, seconds(run.startedAt)]] },
  {
    name: 'hub_import_last_run_duration_seconds', help: 'Duration of the latest import run (so far, while it runs)', labelNames: [],
    values: (run) => [[{}, seconds(run.finishedAt ?? new Date()) - seconds(run.startedAt)]],
  },
  {
    name: 'hub_import_last_run_status', help: 'Status of the latest import run: 1 for its status, 0 for the others', labelNames: ['status'],
    values: (run) => STATUSES.map((status) => [{ status }, run.status === status ? 1 : 0]),
  },
  {
    name: 'hub_import_last_run_accounts', help: 'Accounts of the latest import run: created, updated, disabled (gone from the directory), quarantined', labelNames: ['change'],
    values: ({ counters: c }) => [[{ change: 'created' }, c.created], [{ change: 'updated' }, c.updated], [{ change: 'disabled' }, c.disappeared], [{ change: 'quarantined' }, c.quarantined]],
  },
];

/**
 * Imports run in CLI processes as often as in the hub: their figures come from the store's runs,
 * not from counters of this process. Gauges of each source's latest run, reset at each scrape so
 * a source gone from the store leaves no series behind.
 */
function importGauges(registry: Registry, sources: MetricsSources): void {
  const runs = sharedRead(() => latestRuns(sources));
  for (const { name, help, labelNames, values } of RUN_GAUGES) {
    new Gauge({
      name, help, labelNames: ['tenant', 'source', ...labelNames], registers: [registry],
      async collect() {
        const latest = await runs();
        this.reset();
        for (const run of latest ?? []) {
          for (const [labels, value] of values(run)) this.set({ tenant: run.tenantId, source: run.sourceId, ...labels }, value);
        }
      },
    });
  }
  new Gauge({
    name: 'hub_import_runs_unreadable', help: 'Whether the import runs could not be read at this scrape (1) or could (0)', registers: [registry],
    async collect() {
      this.set((await runs()) === null ? 1 : 0);
    },
  });
}
