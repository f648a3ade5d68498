export { openSqlStore, type OpenSqlStoreOptions, type SqlStore } from './database.js';
export { dialectOf, type SqlDialect } from './dialect.js';
export { migrateDownTo, migrateToLatest, migrationNames, MigrationError } from './migrations/index.js';
export type { Database } from './schema.js';
