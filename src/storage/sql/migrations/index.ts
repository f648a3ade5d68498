/**
 * Versioned schema migrations, kept in code (no file scanning, so they work from a bundle too).
 * To change the schema, add `000N_what.ts` exporting `up(db, types)` and register it below:
 * Kysely applies pending migrations in name order and refuses to run if an applied one is missing.
 */
import { Migrator, NO_MIGRATIONS, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { HubError } from '../../../shared/errors.js';
import { columnTypes, dialectOf, type ColumnTypes } from '../dialect.js';
import * as initial from './0001_initial.js';
import * as imports from './0002_import.js';
import * as localAccounts from './0003_local_accounts.js';
import * as connectors from './0004_connectors.js';
import * as importIndexes from './0005_import_indexes.js';
import * as importStaging from './0006_import_staging.js';
import * as clientOrigin from './0007_client_origin.js';
import * as serviceProviders from './0008_service_providers.js';
import * as spSending from './0009_sp_sending.js';
import * as admin from './0010_admin.js';
import * as accountSearch from './0011_account_search.js';
import * as duplicates from './0012_duplicates.js';
import * as auditQueries from './0013_audit_queries.js';
import * as garSchools from './0014_gar_schools.js';
import * as signingKeys from './0015_signing_keys.js';

interface SqlMigration {
  // Migrations see an untyped database: they describe past schemas, not the current one.
  up(db: Kysely<any>, types: ColumnTypes): Promise<void>;
  down?(db: Kysely<any>, types: ColumnTypes): Promise<void>;
}

const MIGRATIONS: Record<string, SqlMigration> = {
  '0001_initial': initial,
  '0002_import': imports,
  '0003_local_accounts': localAccounts,
  '0004_connectors': connectors,
  '0005_import_indexes': importIndexes,
  '0006_import_staging': importStaging,
  '0007_client_origin': clientOrigin,
  '0008_service_providers': serviceProviders,
  '0009_sp_sending': spSending,
  '0010_admin': admin,
  '0011_account_search': accountSearch,
  '0012_duplicates': duplicates,
  '0013_audit_queries': auditQueries,
  '0014_gar_schools': garSchools,
  '0015_signing_keys': signingKeys,
};

export const migrationNames: readonly string[] = Object.keys(MIGRATIONS).sort();

/**
 * Kysely wraps the whole run in a transaction on PostgreSQL only (its SQLite adapter claims no
 * transactional DDL, which SQLite does have): on SQLite each migration gets its own, so a
 * failure leaves no half-created schema behind.
 */
function atomic(types: ColumnTypes, step: (db: Kysely<any>) => Promise<void>): (db: Kysely<any>) => Promise<void> {
  return types.dialect === 'sqlite' ? (db) => db.transaction().execute(step) : step;
}

function provider(types: ColumnTypes): MigrationProvider {
  const bound = Object.entries(MIGRATIONS).map(([name, m]): [string, Migration] => [name, {
    up: atomic(types, (db) => m.up(db, types)),
    down: m.down && atomic(types, (db) => m.down!(db, types)),
  }]);
  return { getMigrations: async () => Object.fromEntries(bound) };
}

/** A migration that failed (rolled back) or does not exist; its message names it for the operator. */
export class MigrationError extends HubError {
  constructor(migration: string | undefined, cause: unknown) {
    const what = migration ? `migration ${migration}` : 'migrations';
    super('migration_failed', `${what} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { status: 500, expose: false, cause });
  }
}

type MigrationRun = Awaited<ReturnType<Migrator['migrateToLatest']>>;

/** The names a run applied (or undid); MigrationError naming the one that failed, rolled back. */
function outcome({ error, results = [] }: MigrationRun): string[] {
  if (error !== undefined) {
    const failed = results.find((r) => r.status === 'Error')?.migrationName;
    throw new MigrationError(failed, error);
  }
  return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

function migrator(db: Kysely<any>): Migrator {
  return new Migrator({ db, provider: provider(columnTypes(dialectOf(db))) });
}

/**
 * Applies pending migrations; returns the names applied now (empty when already up to date).
 * Throws MigrationError naming the failed migration, whose changes are rolled back. On
 * PostgreSQL, Kysely holds an advisory lock meanwhile, so replicas starting together are safe.
 */
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  return outcome(await migrator(db).migrateToLatest());
}

/**
 * Undoes the migrations after `target` (a name of `migrationNames`, or null for all of them),
 * newest first, with their `down`; returns the names undone. For rolling back a release.
 */
export async function migrateDownTo(db: Kysely<any>, target: string | null): Promise<string[]> {
  if (target !== null && !migrationNames.includes(target)) throw new MigrationError(target, 'no such migration');
  return outcome(await migrator(db).migrateTo(target ?? NO_MIGRATIONS));
}
