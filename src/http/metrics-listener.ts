/**
 * The admin listener: `/metrics` for Prometheus, on an address of its own (loopback by default),
 * never on the public port. Anything else is a 404; a failed scrape a 500 with one line logged.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { MetricsExposition } from '../shared/metrics.js';
import { formatAddress, type Servable } from './server.js';

export interface MetricsListener {
  port: number;
  /** `host:port`. */
  address: string;
  close(): Promise<void>;
}

function answer(res: ServerResponse, status: number, contentType: string, text: string): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
  res.end(text);
}

async function handle(metrics: MetricsExposition, log: Logger, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '').split('?')[0];
  if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) return answer(res, 404, 'text/plain; charset=utf-8', 'not found\n');
  try {
    const { contentType, text } = await metrics.scrape();
    answer(res, 200, contentType, text);
  } catch (err) {
    log.error({ err: (err as Error).message }, 'metrics scrape failed');
    answer(res, 500, 'text/plain; charset=utf-8', 'metrics unavailable\n');
  }
}

/** Listens on `host:port` (0: a free port); a port taken or an address not here is said in one sentence. */
export async function listenMetrics(metrics: MetricsExposition, host: string, port: number, log: Logger): Promise<MetricsListener> {
  const server = createServer({ requestTimeout: 30_000, headersTimeout: 15_000 }, (req, res) => void handle(metrics, log, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new ConfigError('the metrics listener', [`metrics: cannot listen on ${host}:${port} (${err.code ?? err.message}): set metrics.host / metrics.port (HUB_METRICS_HOST, HUB_METRICS_PORT)`])));
    server.listen(port, host, () => resolve());
  });
  const info = server.address() as AddressInfo;
  return {
    port: info.port,
    address: formatAddress(info),
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/**
 * Starts the hub's admin listener when it has metrics, before its public port: what the server
 * then runs closes the listener with the hub. A listener that cannot start closes the hub.
 */
export async function withMetricsListener(
  hub: Servable & { metrics: MetricsExposition | null },
  settings: { host: string; port: number },
  log: Logger,
): Promise<{ servable: Servable; listener: MetricsListener | null }> {
  if (!hub.metrics) return { servable: hub, listener: null };
  let listener: MetricsListener;
  try {
    listener = await listenMetrics(hub.metrics, settings.host, settings.port, log);
  } catch (err) {
    await hub.close();
    throw err;
  }
  const close = async () => {
    await listener.close();
    await hub.close();
  };
  return { servable: { app: hub.app, close }, listener };
}
