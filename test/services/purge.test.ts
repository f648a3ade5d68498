/** The purge of disappeared accounts (src/provisioning/purge.ts) against a real SQLite store, audited with its actor. */
import { expect } from 'chai';
import type { Actor } from '../../src/identity/actor.js';
import { purgeDisappeared } from '../../src/provisioning/purge.js';
import { openSqlStore, type SqlStore } from '../../src/storage/sql/index.js';

const NIGHTLY: Actor = { kind: 'system', job: 'purge' };

describe('services: purge of disappeared accounts', () => {
  let store: SqlStore;

  beforeEach(async () => {
    store = await openSqlStore('sqlite::memory:');
    await store.tenants.upsert({ id: 'lille', name: 'Lille', academyCode: '09' });
  });
  afterEach(() => store.close());

  it('deletes the accounts gone longer than the grace period, and records it in the tenant', async () => {
    const accounts = store.forTenant('lille').accounts;
    const gone = (days: number) => ({ status: 'disappeared' as const, disappearedAt: new Date(Date.now() - days * 86_400_000) });
    const old = await accounts.create({ login: 'gone.long', firstName: 'A', lastName: 'B', profile: 'Student' });
    const recent = await accounts.create({ login: 'gone.lately', firstName: 'C', lastName: 'D', profile: 'Student' });
    await accounts.update(old.id, gone(40));
    await accounts.update(recent.id, gone(2));
    const { deleted, before } = await purgeDisappeared(store, NIGHTLY, 'lille', 30);
    expect(deleted).to.equal(1);
    expect(await store.accounts.findById(old.id)).to.equal(null);
    expect(await store.accounts.findById(recent.id)).to.not.equal(null);
    const [event] = await store.forTenant('lille').audit.list();
    expect(event).to.include({ type: 'import.purge' });
    expect(event!.details).to.deep.equal({ by: 'system', job: 'purge', deleted: 1, before: before.toISOString() });
  });
});
