/**
 * Opens the SQL store: SQLite (the embedded default, one file) or PostgreSQL (production),
 * behind the same Kysely code path.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql, type Dialect } from 'kysely';
import pg from 'pg';
import { ConfigError, ServiceUnavailable } from '../../shared/errors.js';
import type { PlatformStore, TenantScope } from '../ports/index.js';
import { platformAccounts } from './accounts.js';
import { registerFold } from './account-search.js';
import { auditStore } from './audit.js';
import { platformClients } from './clients.js';
import { connectorStore } from './connectors.js';
import { platformServiceProviders } from './service-providers.js';
import { roleGrantStore } from './role-grants.js';
import { signingKeyStore } from './signing-keys.js';
import type { SqlDialect } from './dialect.js';
import { preparedInserts, type RowInserter } from './imports/raw.js';
import { migrateToLatest } from './migrations/index.js';
import type { Database } from './schema.js';
import { tenantScope } from './scope.js';
import { tenantStore } from './tenants.js';
import { reportingUnavailable } from './unavailable.js';

export interface SqlStore extends PlatformStore {
  readonly db: Kysely<Database>;
  readonly dialect: SqlDialect;
  /** A tenant's stores; `linksPerTransaction` tunes its import store for one source (its `linkBatchSize`). */
  forTenant(tenantId: string, imports?: { linksPerTransaction?: number }): TenantScope;
}

export interface OpenSqlStoreOptions {
  /** Apply pending migrations before returning (default true; concurrent openers wait on a lock). */
  migrate?: boolean;
  /**
   * `postgres://…` URLs of streaming replicas of a PostgreSQL primary: the reads that tolerate
   * lag go there, one replica after the other (see `tenantScope`).
   */
  replicas?: readonly string[];
}

/** Fail fast when PostgreSQL does not answer, rather than hanging a request or the start. */
const PG_CONNECT_TIMEOUT_MS = 3_000;
const SQLITE_BUSY_TIMEOUT_MS = 5_000;

/**
 * `url`: `sqlite:<path>` (parent folder created), `sqlite::memory:`, or `postgres://…` /
 * `postgresql://…`. Throws ServiceUnavailable('database') when the database cannot be reached,
 * ConfigError for an unsupported URL.
 */
export async function openSqlStore(url: string, options: OpenSqlStoreOptions = {}): Promise<SqlStore> {
  const { dialect, driver, connection } = parseUrl(url);
  const db = new Kysely<Database>({ dialect: reportingUnavailable(driver, 'database') });
  const replicas: Array<Kysely<Database>> = [];
  try {
    await ping(db, describeDatabase(url));
    if (options.migrate ?? true) await migrateToLatest(db);
    for (const replica of options.replicas ?? []) replicas.push(await openReplica(replica, dialect));
  } catch (error) {
    await Promise.all([db, ...replicas].map((k) => k.destroy().catch(() => undefined)));
    throw error;
  }
  // Opened by the ping: Kysely's SQLite driver keeps this one connection for good.
  const sqlite = connection?.();
  return createStore(db, dialect, sqlite ? preparedInserts(sqlite) : undefined, replicas);
}

/** A read-only pool on a replica, checked at start: a typo in its URL stops the start, not a search later. */
async function openReplica(url: string, primary: SqlDialect): Promise<Kysely<Database>> {
  if (primary !== 'postgres' || !/^postgres(ql)?:\/\//.test(url)) {
    throw new ConfigError('database replicas', ['replicas are postgres://… URLs of a PostgreSQL primary\'s standbys']);
  }
  const replica = new Kysely<Database>({ dialect: reportingUnavailable(postgresDriver(url, { readOnly: true }), 'database replica') });
  try {
    await ping(replica, `replica ${describeDatabase(url)}`);
  } catch (error) {
    await replica.destroy().catch(() => undefined);
    throw error;
  }
  return replica;
}

interface Engine {
  dialect: SqlDialect;
  driver: Dialect;
  /** SQLite's connection, once Kysely has opened it. */
  connection?: () => BetterSqlite3.Database | undefined;
}

function parseUrl(url: string): Engine {
  if (url === 'sqlite::memory:') return sqliteEngine(':memory:');
  // `sqlite:///abs/path` is accepted as well as `sqlite:/abs/path`.
  if (url.startsWith('sqlite:')) return sqliteEngine(url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, ''));
  if (/^postgres(ql)?:\/\//.test(url)) return { dialect: 'postgres', driver: postgresDriver(url) };
  // The URL itself may carry a password: only its scheme goes into the message.
  const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0] ?? '(none)';
  throw new ConfigError('database URL', [`unsupported scheme ${scheme} (expected sqlite:<path>, sqlite::memory: or postgres://…)`]);
}

function sqliteEngine(path: string): Engine {
  if (path === '') throw new ConfigError('database URL', ['sqlite: needs a file path, e.g. sqlite:data/hub.db']);
  let opened: BetterSqlite3.Database | undefined;
  // Opened lazily by Kysely, so a bad path surfaces in the first ping as ServiceUnavailable.
  const database = async () => {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const handle = new BetterSqlite3(path);
    // WAL lets readers (other processes, backups) work while the hub writes.
    handle.pragma('journal_mode = WAL');
    // With WAL, NORMAL never corrupts the database; a power cut may lose the last commits only.
    // FULL syncs at every commit, which made import batches wait on the disk.
    handle.pragma('synchronous = NORMAL');
    // 64 MiB of page cache instead of 2: imports insert into large indexes.
    handle.pragma('cache_size = -65536');
    // Checkpoint every ~256 MiB of WAL instead of 4: an import rewrites the same index pages
    // batch after batch, and each checkpoint copied them back to the database file again. At
    // a million people a batch dirties ~30 MiB of index pages: with 40 MiB, nearly every
    // commit paid for a checkpoint (the people phase took 186 s, now 153 s).
    handle.pragma('wal_autocheckpoint = 65536');
    // Sorts and DISTINCTs of the import's finishing statements stay off the disk.
    handle.pragma('temp_store = MEMORY');
    // SQLite ignores foreign keys (and their cascades) unless asked, per connection.
    handle.pragma('foreign_keys = ON');
    handle.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    // The account search's indexes call it (0011): on every connection, before the migrations.
    registerFold(handle);
    return (opened = handle);
  };
  return { dialect: 'sqlite', driver: new SqliteDialect({ database }), connection: () => opened };
}

function postgresDriver(url: string, { readOnly = false } = {}): Dialect {
  // On a replica every transaction is read-only anyway; saying so makes a write sent there by
  // mistake fail the same way on a primary listed as a replica.
  const options = readOnly ? '-c default_transaction_read_only=on' : undefined;
  const pool = new pg.Pool({ connectionString: url, connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS, ...(options ? { options } : {}) });
  // An idle connection dropped by the server (restart, failover) is reported here; without a
  // listener it would crash the process. The pool discards it and the next query reconnects.
  pool.on('error', () => undefined);
  // A connection checked out when the server goes (a transaction, an import batch) has no pool
  // listener: its 'error' would crash the process too. Its query fails and Kysely releases it.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return new PostgresDialect({ pool });
}

/** Where the database is, for messages: host and name, never the credentials. */
function describeDatabase(url: string): string {
  if (url.startsWith('sqlite:')) return `database (SQLite ${url.slice('sqlite:'.length)})`;
  const parsed = new URL(url);
  return `database (PostgreSQL ${parsed.host}${parsed.pathname})`;
}

async function ping(db: Kysely<Database>, what = 'database'): Promise<void> {
  try {
    await sql`select 1`.execute(db);
  } catch (error) {
    throw new ServiceUnavailable(what, error);
  }
}

function createStore(db: Kysely<Database>, dialect: SqlDialect, sqliteRows: RowInserter | undefined, replicas: Array<Kysely<Database>>): SqlStore {
  let closing: Promise<void> | undefined;
  let turn = 0;
  // One replica after the other, scope by scope; the primary when there is none.
  const reads = (): Kysely<Database> => replicas[turn++ % replicas.length] ?? db;
  return {
    db,
    dialect,
    tenants: tenantStore(db),
    forTenant: (tenantId, imports) => tenantScope(db, tenantId, { ...imports, sqliteRows }, reads()),
    accounts: platformAccounts(db),
    clients: platformClients(db),
    connectors: connectorStore(db, null),
    serviceProviders: platformServiceProviders(db),
    audit: auditStore(db, null, reads()),
    roleGrants: roleGrantStore(db),
    signingKeys: signingKeyStore(db),
    ping: () => ping(db),
    close: () => (closing ??= Promise.all([db, ...replicas].map((k) => k.destroy())).then(() => undefined)),
  };
}
