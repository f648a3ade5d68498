/** Runs the hub's HTTP server and stops it gracefully on SIGTERM / SIGINT. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Hub } from '../app.js';
import type { Logger } from '../shared/logger.js';

export interface RunningServer {
  server: Server;
  port: number;
  stop(): Promise<void>;
}

export async function listen(hub: Hub, host: string, port: number): Promise<RunningServer> {
  const server = createServer({ requestTimeout: 30_000, headersTimeout: 15_000 }, hub.app.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
      await hub.close();
    })();
    return stopping;
  };
  return { server, port: (server.address() as AddressInfo).port, stop };
}

/** Stops accepting, lets open requests finish for `graceSeconds`, then closes stores and exits. */
export function stopOnSignals(running: RunningServer, graceSeconds: number, log: Logger): void {
  const onSignal = (signal: NodeJS.Signals) => {
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      log.warn('grace period over: closing remaining connections');
      running.server.closeAllConnections();
    }, graceSeconds * 1000).unref();
    running.stop().then(
      () => {
        clearTimeout(force);
        log.info('stopped');
        log.flush();
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
