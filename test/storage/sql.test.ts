import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { sql, type Kysely } from 'kysely';
import { ConfigError, NotFound, ServiceUnavailable } from '../../src/shared/errors.js';
import { newId } from '../../src/shared/ids.js';
import { accountSearchConformance } from '../../testing/conformance/account-search.js';
import { accountStoreConformance } from '../../testing/conformance/accounts.js';
import { auditStoreConformance } from '../../testing/conformance/audit.js';
import { clientStoreConformance } from '../../testing/conformance/clients.js';
import { connectorStoreConformance } from '../../testing/conformance/connectors.js';
import { directoryStoreConformance } from '../../testing/conformance/directory.js';
import { duplicateStoreConformance } from '../../testing/conformance/duplicates.js';
import { garExportSourceConformance } from '../../testing/conformance/gar-export.js';
import { garSchoolSwitchConformance } from '../../testing/conformance/gar-schools.js';
import { importStoreConformance } from '../../testing/conformance/imports.js';
import { runStoreConformance } from '../../testing/conformance/kit.js';
import { serviceProviderStoreConformance } from '../../testing/conformance/service-providers.js';
import { signingKeyConformance } from '../../testing/conformance/signing-keys.js';
import { tenantStatsConformance } from '../../testing/conformance/tenant-stats.js';
import { migrateDownTo, migrateToLatest, migrationNames, openSqlStore, type SqlDialect, type SqlStore } from '../../src/storage/sql/index.js';
import { ZERO_COUNTERS } from '../../src/storage/sql/imports/runs.js';
import { createTestDatabase, freePort, type TestDatabase } from '../../testing/harness/postgres.js';
import { atInstant } from '../../testing/frozen-clock.js';

function sqliteDatabase(): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'hub-sqlite-'));
  // A missing parent folder, which openSqlStore must create.
  const url = `sqlite:${join(dir, 'nested', 'hub.db')}`;
  return Promise.resolve({ url, drop: async () => rmSync(dir, { recursive: true, force: true }) });
}

const databases: Record<SqlDialect, () => Promise<TestDatabase>> = {
  sqlite: sqliteDatabase,
  postgres: createTestDatabase,
};

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

for (const [dialect, createDatabase] of Object.entries(databases) as [SqlDialect, () => Promise<TestDatabase>][]) {
  runStoreConformance(dialect, async () => {
    const database = await createDatabase();
    const store = await openSqlStore(database.url);
    return {
      store,
      cleanup: async () => {
        await store.close();
        await database.drop();
      },
    };
  }, [accountStoreConformance, accountSearchConformance, directoryStoreConformance, clientStoreConformance, connectorStoreConformance, serviceProviderStoreConformance, auditStoreConformance, importStoreConformance, garExportSourceConformance, tenantStatsConformance, duplicateStoreConformance, garSchoolSwitchConformance, signingKeyConformance]);

  describe(`sql store: ${dialect}`, () => {
    let database: TestDatabase;
    let store: SqlStore;

    before(async () => {
      database = await createDatabase();
      store = await openSqlStore(database.url);
    });
    after(async () => {
      await store?.close();
      await database?.drop();
    });

    async function newTenant() {
      const id = `t-${newId()}`;
      await store.tenants.upsert({ id, name: id, academyCode: '00' });
      return store.forTenant(id);
    }

    it('reports its dialect and answers ping', async () => {
      expect(store.dialect).to.equal(dialect);
      await store.ping();
    });

    it('migrates idempotently', async () => {
      expect(await migrateToLatest(store.db)).to.deep.equal([]);
      const again = await openSqlStore(database.url);
      await again.close();
      const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(store.db);
      expect(applied.rows.map((row) => row.name)).to.deep.equal([...migrationNames]);
    });

    it('undoes every migration, newest first, and applies them again', async () => {
      const scratch = await createDatabase();
      const fresh = await openSqlStore(scratch.url);
      try {
        const tables = async () => (await fresh.db.introspection.getTables()).map((t) => t.name).filter((n) => !n.startsWith('kysely_')).sort();
        const latest = await tables();
        expect(latest).to.include('import_pending_relations').and.include('service_providers').and.not.include('import_seen');
        // Back to before 0006: the staging table of seen people is there again.
        expect(await migrateDownTo(fresh.db, '0005_import_indexes')).to.deep.equal(migrationNames.filter((name) => name > '0005_import_indexes').reverse());
        expect(await tables()).to.include('import_seen').and.not.include('service_providers');
        expect(await migrateDownTo(fresh.db, null)).to.deep.equal(migrationNames.slice(0, migrationNames.indexOf('0005_import_indexes') + 1).reverse());
        expect(await tables()).to.deep.equal([]);
        expect(await migrateToLatest(fresh.db)).to.deep.equal([...migrationNames]);
        expect(await tables()).to.deep.equal(latest);
        const unknown = await migrateDownTo(fresh.db, '0099_nothing').catch((e: unknown) => e);
        expect(unknown).to.be.instanceOf(Error).and.have.property('message').that.matches(/0099_nothing failed: no such migration/);
      } finally {
        await fresh.close();
        await scratch.drop();
      }
    });

    it('gives existing clients an origin when 0007 adds it: the CLI\'s (audited client.created), the configuration\'s, the demo\'s', async () => {
      const scratch = await createDatabase();
      const old = await openSqlStore(scratch.url);
      try {
        await migrateDownTo(old.db, '0006_import_staging');
        await old.tenants.upsert({ id: 'lille', name: 'Lille', academyCode: '09' });
        const row = (clientId: string, tenantId: string | null) => ({
          client_id: clientId, tenant_id: tenantId, name: clientId, first_party: 0, secret_hash: null, metadata: '{}', created_at: new Date().toISOString(),
        });
        // Untyped: the table as it was before 0007.
        const db = old.db as unknown as Kysely<any>;
        await db.insertInto('oidc_clients').values([row('neo', null), row('demo', null), row('partner-x', null), row('lille-app', 'lille')]).execute();
        await old.audit.record({ type: 'client.created', clientId: 'partner-x', details: { by: 'cli' } });
        await old.forTenant('lille').audit.record({ type: 'client.created', clientId: 'lille-app', details: { by: 'cli' } });
        expect(await migrateToLatest(old.db)).to.deep.equal(migrationNames.filter((name) => name > '0006_import_staging'));
        const origins = Object.fromEntries(await Promise.all(['neo', 'demo', 'partner-x', 'lille-app'].map(async (id) => [id, (await old.clients.get(id))?.origin])));
        expect(origins).to.deep.equal({ neo: 'config', demo: 'development', 'partner-x': 'cli', 'lille-app': 'cli' });
        expect((await old.clients.list()).every((c) => c.disabledAt === null)).to.equal(true);
      } finally {
        await old.close();
        await scratch.drop();
      }
    });

    it('refuses, in the schema itself, a link row joining two tenants', async () => {
      const [a, b] = [await newTenant(), await newTenant()];
      const account = await a.accounts.create({ login: `l-${newId()}`, profile: 'Student', firstName: 'A', lastName: 'A' });
      const school = await b.structures.upsert({ uai: '0590001A', name: 'B' });
      const insert = store.db.insertInto('account_structures')
        .values({ tenant_id: a.tenantId, account_id: account.id, structure_id: school.id })
        .execute();
      const error = await rejection(insert);
      expect((error as { code?: string }).code).to.be.oneOf(['SQLITE_CONSTRAINT_FOREIGNKEY', '23503']);
    });

    it('deletes an account all or nothing', async () => {
      const lille = await newTenant();
      const child = await lille.accounts.create({ login: `c-${newId()}`, profile: 'Student', firstName: 'C', lastName: 'C' });
      const parent = await lille.accounts.create({ login: `p-${newId()}`, profile: 'Relative', firstName: 'P', lastName: 'P' });
      const school = await lille.structures.upsert({ uai: '0590001A', name: 'Collège' });
      await lille.memberships.attachToStructure(child.id, school.id);
      await lille.relations.link(parent.id, child.id);
      await lille.identities.link(child.id, 'educonnect', 'sub');

      await blockIdentityDeletes(store);
      try {
        await rejection(lille.accounts.delete(child.id));
      } finally {
        await unblockIdentityDeletes(store);
      }

      expect(await lille.accounts.get(child.id)).to.deep.equal(child);
      expect(await lille.memberships.structuresOf(child.id)).to.deep.equal([school]);
      expect((await lille.relations.childrenOf(parent.id)).map((a) => a.id)).to.deep.equal([child.id]);
      expect(await lille.identities.find('educonnect', 'sub')).to.not.equal(null);
      await lille.accounts.delete(child.id);
      await rejection(lille.accounts.get(child.id)).then((error) => expect(error).to.be.instanceOf(NotFound));
    });

    it('writes an import batch all or nothing, rows inserted one by one on SQLite included', async () => {
      const lille = await newTenant();
      const school = await lille.structures.upsert({ uai: '0590002B', name: 'École' });
      const run = await lille.imports.startRun({ sourceId: 'AC-LILLE', mode: 'full', dryRun: false });
      const person = (n: number, structureIds: string[]) => ({
        id: newId(), dn: `uid=${n},ou=people`, externalId: `LILLE-${n}`, source: 'AC-LILLE', profile: 'Student' as const,
        firstName: 'Éloïse', lastName: `N${n}`, birthDate: null, email: null, academicEmail: null, ine: null, garId: null,
        contentHash: `h${n}`, structureIds, groupIds: [], login: `eloise.n${n}-${newId()}`, activationCodeHash: 'x'.repeat(64),
      });
      // The second person's structure does not exist: its membership row fails, after both
      // accounts, the first membership and nothing else are in.
      const creates = [person(1, [school.id]), person(2, [newId()])];
      const relations = [{ accountId: creates[0]!.id, side: 'child' as const, other: { externalId: 'LILLE-9' } }];
      const error = await rejection(lille.imports.applyAccounts(run.id, { creates, updates: [], relations, replaceParentsOf: [], restated: [], merges: [], supersededRuns: [], runCounters: ZERO_COUNTERS }));
      expect((error as { code?: string }).code).to.be.oneOf(['SQLITE_CONSTRAINT_FOREIGNKEY', '23503']);
      expect(await lille.imports.findAccounts({ externalIds: ['LILLE-1', 'LILLE-2'], ines: [] })).to.deep.equal([]);
      const left = async (table: 'account_structures' | 'import_pending_relations', column: 'tenant_id' | 'run_id', value: string) =>
        Number((await store.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).where(column, '=', value).executeTakeFirstOrThrow()).n);
      expect(await left('account_structures', 'tenant_id', lille.tenantId)).to.equal(0);
      expect(await left('import_pending_relations', 'run_id', run.id)).to.equal(0);

      // The same batch with the structure fixed is written whole.
      creates[1]!.structureIds = [school.id];
      await lille.imports.applyAccounts(run.id, { creates, updates: [], relations, replaceParentsOf: [], restated: [], merges: [], supersededRuns: [], runCounters: ZERO_COUNTERS });
      expect((await lille.imports.findAccounts({ externalIds: ['LILLE-1', 'LILLE-2'], ines: [] })).map((a) => a.externalId).sort()).to.deep.equal(['LILLE-1', 'LILLE-2']);
      expect(await left('account_structures', 'tenant_id', lille.tenantId)).to.equal(2);
      expect(await left('import_pending_relations', 'run_id', run.id)).to.equal(1);
    });

    it('counts sign-ins per UTC day whatever the time zone of the database session', async () => {
      // PostgreSQL: new sessions of this database start east of UTC (+14), where 23:30 UTC is the next day.
      const zone = dialect === 'postgres' ? 'Pacific/Kiritimati' : null;
      const name = zone ? (await sql<{ name: string }>`select current_database() as name`.execute(store.db)).rows[0]!.name : '';
      if (zone) await sql.raw(`alter database ${name} set timezone to '${zone}'`).execute(store.db);
      const east = await openSqlStore(database.url);
      try {
        if (zone) expect((await sql<{ TimeZone: string }>`show timezone`.execute(east.db)).rows[0]!.TimeZone).to.equal(zone);
        const id = `t-${newId()}`;
        await east.tenants.upsert({ id, name: id, academyCode: '00' });
        const scope = east.forTenant(id);
        await atInstant('2031-03-10T23:30:00.000Z', () => scope.audit.record({ type: 'login.success' }));
        expect(await scope.stats.signInsPerDay(2, new Date('2031-03-11T12:00:00.000Z'))).to.deep.equal([
          { day: '2031-03-10', count: 1 }, { day: '2031-03-11', count: 0 },
        ]);
      } finally {
        await east.close();
        if (zone) await sql.raw(`alter database ${name} reset timezone`).execute(store.db);
      }
    });

    it('answers ping with ServiceUnavailable once closed', async () => {
      const closing = await openSqlStore(database.url);
      await closing.close();
      expect(await rejection(closing.ping())).to.be.instanceOf(ServiceUnavailable);
    });
  });
}

/** Makes every delete of an identity fail, to interrupt the cascade of an account delete. */
async function blockIdentityDeletes(store: SqlStore): Promise<void> {
  if (store.dialect === 'sqlite') {
    await sql`create trigger block_identity_delete before delete on federated_identities
      begin select raise(abort, 'blocked by test'); end`.execute(store.db);
    return;
  }
  await sql`create function block_identity_delete() returns trigger language plpgsql
    as $$ begin raise exception 'blocked by test'; end $$`.execute(store.db);
  await sql`create trigger block_identity_delete before delete on federated_identities
    for each row execute function block_identity_delete()`.execute(store.db);
}

async function unblockIdentityDeletes(store: SqlStore): Promise<void> {
  if (store.dialect === 'sqlite') {
    await sql`drop trigger block_identity_delete`.execute(store.db);
    return;
  }
  await sql`drop trigger block_identity_delete on federated_identities`.execute(store.db);
  await sql`drop function block_identity_delete()`.execute(store.db);
}

describe('openSqlStore', () => {
  it('opens a SQLite file in a new folder, with WAL and foreign keys on', async () => {
    const database = await sqliteDatabase();
    const store = await openSqlStore(database.url);
    try {
      expect(statSync(database.url.slice('sqlite:'.length)).isFile()).to.equal(true);
      const pragma = async (name: string): Promise<unknown> => {
        const { rows } = await sql.raw<Record<string, unknown>>(`pragma ${name}`).execute(store.db);
        // The column is not always named after the pragma (busy_timeout → timeout).
        return Object.values(rows[0] ?? {})[0];
      };
      expect(await pragma('journal_mode')).to.equal('wal');
      expect(await pragma('foreign_keys')).to.equal(1);
      expect(await pragma('busy_timeout')).to.be.above(0);
    } finally {
      await store.close();
      await database.drop();
    }
  });

  it('opens an in-memory SQLite database', async () => {
    const store = await openSqlStore('sqlite::memory:');
    await store.tenants.upsert({ id: 'lille', name: 'Lille', academyCode: '09' });
    expect(await store.tenants.list()).to.have.length(1);
    await store.close();
  });

  it('leaves the schema alone with migrate: false', async () => {
    const store = await openSqlStore('sqlite::memory:', { migrate: false });
    expect(await store.db.introspection.getTables()).to.deep.equal([]);
    await store.close();
  });

  it('refuses an unsupported URL without echoing it', async () => {
    const error = await rejection(openSqlStore('mysql://root:s3cret@db/hub'));
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as Error).message).to.contain('mysql:').and.not.contain('s3cret');
  });

  it('fails fast with ServiceUnavailable when PostgreSQL is unreachable', async () => {
    const started = Date.now();
    const error = await rejection(openSqlStore(`postgres://postgres@127.0.0.1:${await freePort()}/hub`));
    expect(error).to.be.instanceOf(ServiceUnavailable);
    expect((error as ServiceUnavailable).status).to.equal(503);
    expect(Date.now() - started).to.be.below(4_000);
  });
});
