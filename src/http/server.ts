/** Runs the hub's HTTP server and stops it gracefully on SIGTERM / SIGINT. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';
import type { Logger } from '../shared/logger.js';

/** What the server runs: an app, and what to close once it stopped answering. */
export interface Servable {
  app: Koa;
  close(): Promise<void>;
}

export interface RunningServer {
  server: Server;
  port: number;
  /** The bound address as `host:port` (`[::]:3000` for IPv6). */
  address: string;
  stop(): Promise<void>;
}

/** `host:port` of a listening server, IPv6 addresses in brackets. */
export function formatAddress(info: AddressInfo): string {
  return info.family === 'IPv6' || info.address.includes(':') ? `[${info.address}]:${info.port}` : `${info.address}:${info.port}`;
}

/** The one line saying where the hub is: its public URL (the issuer) and the bound address. */
export function listeningMessage(issuer: string, address: string): string {
  return `listening on ${issuer} (bound to ${address})`;
}

export async function listen(hub: Servable, host: string, port: number): Promise<RunningServer> {
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
  const info = server.address() as AddressInfo;
  return { server, port: info.port, address: formatAddress(info), stop };
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
        log.flush();
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
