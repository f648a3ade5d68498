/** What the commands share: the validated config, a logger and a store opened for one command. */
import { loadConfig } from '../config/load.js';
import type { HubConfig } from '../config/schema.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { openSqlStore, type SqlStore } from '../storage/sql/database.js';
import { mirrorDeclarations } from '../declarations.js';

export function commandContext(): { config: HubConfig; log: Logger } {
  const config = loadConfig();
  return { config, log: createLogger(config.log.level) };
}

/** Opens the store (migrated, tenants and config clients mirrored), runs `fn`, and always closes it. */
export async function withStore<T>(fn: (store: SqlStore, config: HubConfig) => Promise<T>): Promise<T> {
  const { config } = commandContext();
  const store = await openSqlStore(config.database.url, { migrate: true });
  try {
    await mirrorDeclarations(config, store);
    return await fn(store, config);
  } finally {
    await store.close();
  }
}

export function printJsonOr(json: boolean, value: unknown, text: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);
}
