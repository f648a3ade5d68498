/**
 * Reads sent to a PostgreSQL streaming replica: with the replica's replay paused, what is written
 * on the primary is seen by the reads that must see it (sign-in, reads after writes) and not yet
 * by those sent to the replica (admin search, dashboard figures, audit search), until it catches up.
 */
import { expect } from 'chai';
import { ServiceUnavailable } from '../../src/shared/errors.js';
import type { TenantScope } from '../../src/storage/ports/index.js';
import { openSqlStore, type SqlStore } from '../../src/storage/sql/index.js';
import { person, unique } from '../../testing/conformance/kit.js';
import { startReplicatedCluster, type ReplicatedCluster } from '../../testing/harness/pg-replica.js';
import { freePort } from '../../testing/harness/postgres.js';

describe('PostgreSQL replicas for the reads that tolerate lag', function () {
  this.timeout(60_000);
  let cluster: ReplicatedCluster;
  let store: SqlStore;

  before(async () => {
    cluster = await startReplicatedCluster();
    store = await openSqlStore(cluster.primaryUrl, { replicas: [cluster.replicaUrl] });
  });
  after(async () => {
    await store?.close();
    cluster?.stop();
  });

  const accountsCounted = async (scope: TenantScope): Promise<number> =>
    (await scope.stats.accountsByProfileAndStatus({})).reduce((sum, row) => sum + row.count, 0);
  const namesFound = async (scope: TenantScope, text: string): Promise<string[]> =>
    (await scope.accounts.search({ kind: 'name', text }, {}, { limit: 10 })).items.map((a) => a.login);

  it('reads the search, the figures and the audit on the replica, the sign-in and writes on the primary', async () => {
    const tenantId = unique('tenant');
    await store.tenants.upsert({ id: tenantId, name: `Académie ${tenantId}`, academyCode: '01' });
    const scope = store.forTenant(tenantId);
    await scope.accounts.create(person({ login: unique('lea.martin'), firstName: 'Léa', lastName: 'Martin' }));
    await cluster.caughtUp();

    await cluster.pauseReplay(true);
    try {
      // Written on the primary (the replica refuses writes), not yet replayed on the replica.
      const hugo = await scope.accounts.create(person({ login: unique('hugo.lefevre'), firstName: 'Hugo', lastName: 'Lefèvre' }));
      await scope.audit.record({ type: 'login.success', accountId: hugo.id });

      // The sign-in and the reads right after a write: the primary, which has them.
      expect((await store.accounts.findByLogin(hugo.login))?.id).to.equal(hugo.id);
      expect((await scope.accounts.get(hugo.id)).lastName).to.equal('Lefèvre');

      // The reads that tolerate lag: the replica, which has not replayed them yet.
      expect(await namesFound(scope, 'Lefèvre')).to.deep.equal([]);
      expect(await accountsCounted(scope)).to.equal(1);
      expect((await scope.audit.search({}, { limit: 10 })).items).to.deep.equal([]);
    } finally {
      await cluster.pauseReplay(false);
    }

    await cluster.caughtUp();
    expect(await namesFound(scope, 'Lefèvre')).to.have.length(1);
    expect(await accountsCounted(scope)).to.equal(2);
    expect((await scope.audit.search({}, { limit: 10 })).items.map((e) => e.type)).to.deep.equal(['login.success']);
  });

  it('does not open when a replica does not answer, and names it', async () => {
    const nowhere = `postgres://postgres@127.0.0.1:${await freePort()}/postgres`;
    const opening = openSqlStore(cluster.primaryUrl, { migrate: false, replicas: [nowhere] });
    const error = await opening.then(() => null, (e: unknown) => e);
    expect(error).to.be.instanceOf(ServiceUnavailable);
    expect((error as Error).message).to.match(/^replica database \(PostgreSQL 127\.0\.0\.1:\d+\/postgres\) is unavailable$/);
  });

  it('does not take replicas for an SQLite database', async () => {
    const error = await openSqlStore('sqlite::memory:', { replicas: [cluster.replicaUrl] }).then(() => null, (e: unknown) => e);
    expect((error as Error).message).to.include('replicas are postgres://');
  });
});
