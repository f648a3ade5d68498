import type { Command } from 'commander';
import { openSqlStore } from '../storage/sql/database.js';
import { migrateToLatest } from '../storage/sql/migrations/index.js';
import { commandContext } from './context.js';

export function registerServeCommands(program: Command): void {
  program
    .command('serve')
    .description('start the hub (migrates the database first)')
    .action(async () => {
      const { config, log } = commandContext();
      // Loaded here: oidc-provider is only needed (and only warns about the runtime) when serving.
      const { buildHub } = await import('../app.js');
      const { listen, stopOnSignals } = await import('../http/server.js');
      const hub = await buildHub(config, log);
      const running = await listen(hub, config.http.host, config.http.port);
      stopOnSignals(running, config.http.shutdownGraceSeconds, log);
      log.info({ issuer: config.issuer, port: running.port, mode: config.mode }, 'hub listening');
    });

  program
    .command('migrate')
    .description('apply pending database migrations')
    .action(async () => {
      const { config } = commandContext();
      const store = await openSqlStore(config.database.url, { migrate: false });
      try {
        const applied = await migrateToLatest(store.db);
        process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
      } finally {
        await store.close();
      }
    });
}
