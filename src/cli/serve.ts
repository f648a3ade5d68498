import type { Command } from 'commander';
import { migrateDatabase } from '../wiring/stores.js';
import { commandContext } from './context.js';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * An issuer on this machine (localhost) but on another port than the hub's: redirects and the
 * demo would go nowhere. Said at start; a reverse proxy on the same machine is the exception.
 */
export function loopbackIssuerMismatch(issuer: string, port: number): string | undefined {
  const url = new URL(issuer);
  const issuerPort = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  if (!LOOPBACK.has(url.hostname) || issuerPort === port) return undefined;
  return `the issuer ${issuer} is on this machine but the hub listens on port ${port}: unless a proxy forwards it, set HUB_ISSUER to the URL this hub is reached at (e.g. http://localhost:${port})`;
}

export function registerServeCommands(program: Command): void {
  program
    .command('serve')
    .description('start the hub (migrates the database first)')
    .action(async () => {
      const { config, log } = commandContext();
      // Loaded here: oidc-provider is only needed (and only warns about the runtime) when serving.
      const { buildHub } = await import('../wiring/hub.js');
      const { listen, listeningMessage, stopOnSignals } = await import('../http/server.js');
      const { withMetricsListener } = await import('../http/metrics-listener.js');
      const hub = await buildHub(config, log);
      const { servable, listener } = await withMetricsListener(hub, config.metrics, log);
      if (listener) log.info({ address: listener.address }, `metrics on http://${listener.address}/metrics`);
      const running = await listen(servable, config.http.host, config.http.port);
      stopOnSignals(running, config.http.shutdownGraceSeconds, log);
      log.info({ url: config.issuer, address: running.address, mode: config.mode }, listeningMessage(config.issuer, running.address));
      const mismatch = loopbackIssuerMismatch(config.issuer, running.port);
      if (mismatch && config.mode === 'development') log.warn({ issuer: config.issuer, port: running.port }, mismatch);
      log.flush();
    });

  program
    .command('migrate')
    .description('apply pending database migrations')
    .action(async () => {
      const { config } = commandContext();
      const applied = await migrateDatabase(config);
      process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
    });
}
