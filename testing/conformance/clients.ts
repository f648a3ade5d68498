/**
 * Conformance of the OIDC client store (tenants' and platform clients), tenant isolation
 * included: every backend of the port runs it.
 */
import { expect } from 'chai';
import { Conflict, NotFound } from '../../src/shared/errors.js';
import { describeTenantIsolation, rejection, unique, type StoreSuite, type StoreRef, type TenantFactory } from './kit.js';

export const clientStoreConformance: StoreSuite = ({ store, newTenant }) => {
  describeClients(store, newTenant);
  describeClientIsolation(newTenant);
};

function describeClients(store: StoreRef, newTenant: TenantFactory): void {
  const client = (clientId: string, extra: { firstParty?: boolean; secretHash?: string | null } = {}) => ({
    clientId,
    name: `Client ${clientId}`,
    firstParty: extra.firstParty ?? false,
    secretHash: extra.secretHash === undefined ? 'ab'.repeat(32) : extra.secretHash,
    metadata: { redirect_uris: ['https://rp.example/cb'], grant_types: ['authorization_code'], nested: { a: 1 } },
  });

  describe('oidc clients', () => {
    it('creates and lists a tenant client, found platform-wide', async () => {
      const lille = await newTenant();
      const id = unique('manuel');
      const created = await lille.clients.create(client(id), 'cli');
      expect(created).to.deep.include({ ...client(id), tenantId: lille.tenantId, origin: 'cli', disabledAt: null });
      expect(created.createdAt).to.be.instanceOf(Date);
      expect(await lille.clients.list()).to.deep.equal([created]);
      expect(await store().clients.find(id)).to.deep.equal(created);
      expect(await store().clients.find(unique('nothing'))).to.equal(null);
      expect((await store().clients.list()).map((c) => c.clientId)).to.not.include(id);
    });

    it('upserts platform clients', async () => {
      const id = unique('neo');
      const created = await store().clients.upsert(client(id, { firstParty: true, secretHash: null }), 'cli');
      expect(created).to.include({ tenantId: null, firstParty: true, secretHash: null, origin: 'cli', disabledAt: null });
      // Declared in the configuration later: the configuration owns it from then on.
      const replaced = await store().clients.upsert({ ...client(id, { firstParty: false }), metadata: { redirect_uris: [] } }, 'config');
      expect(replaced).to.deep.include({ clientId: id, firstParty: false, secretHash: 'ab'.repeat(32), metadata: { redirect_uris: [] }, origin: 'config' });
      expect(await store().clients.find(id)).to.deep.equal(replaced);
      expect((await store().clients.list()).filter((c) => c.clientId === id)).to.deep.equal([replaced]);
    });

    it('updates a tenant client in its own tenant only', async () => {
      const [lille, amiens] = [await newTenant(), await newTenant()];
      const id = unique('editor');
      const original = await lille.clients.create(client(id), 'cli');
      const changed = { ...client(id, { firstParty: true, secretHash: null }), name: 'Renamed', metadata: { redirect_uris: ['https://rp.example/other'] } };
      const updated = await lille.clients.update(changed);
      expect(updated).to.deep.include({ ...changed, tenantId: lille.tenantId, createdAt: original.createdAt });
      expect(await store().clients.find(id)).to.deep.equal(updated);
      // Another tenant cannot change it, nor a platform client through a tenant.
      await rejection(amiens.clients.update(client(id)), NotFound);
      expect(await store().clients.find(id)).to.deep.equal(updated);
      const platformId = unique('one');
      const platform = await store().clients.upsert(client(platformId), 'cli');
      await rejection(lille.clients.update({ ...client(platformId), name: 'Taken over' }), NotFound);
      expect(await store().clients.find(platformId)).to.deep.equal(platform);
    });

    it('keeps client ids unique across tenants and the platform', async () => {
      const [lille, amiens] = [await newTenant(), await newTenant()];
      const id = unique('partner');
      const original = await lille.clients.create(client(id), 'cli');
      expect((await rejection(amiens.clients.create(client(id), 'cli'), Conflict)).field).to.equal('clientId');
      expect((await rejection(lille.clients.create(client(id), 'cli'), Conflict)).field).to.equal('clientId');
      // The platform mirror must not take over a tenant's client.
      expect((await rejection(store().clients.upsert(client(id, { firstParty: true }), 'config'), Conflict)).field).to.equal('clientId');
      expect(await store().clients.find(id)).to.deep.equal(original);

      const platformId = unique('one');
      await store().clients.upsert(client(platformId), 'cli');
      expect((await rejection(lille.clients.create(client(platformId), 'cli'), Conflict)).field).to.equal('clientId');
      expect(await amiens.clients.list()).to.deep.equal([]);
    });

    it('disables the platform clients of an origin no longer declared: not found, still listed, enabled again by upsert', async () => {
      const lille = await newTenant();
      const [kept, dropped, cli, tenantOwned] = [unique('one'), unique('neo'), unique('partner'), unique('lille-app')];
      await store().clients.upsert(client(kept), 'config');
      const before = await store().clients.upsert(client(dropped), 'config');
      await store().clients.upsert(client(cli), 'cli');
      await lille.clients.create(client(tenantOwned), 'config');
      // The suite shares one store: other tests' config clients may be disabled here too.
      const disabled = await store().clients.disableUndeclared('config', [kept]);
      const mine = disabled.filter((c) => [kept, dropped, cli, tenantOwned].includes(c.clientId));
      expect(mine.map((c) => c.clientId)).to.deep.equal([dropped]);
      expect(mine[0]).to.deep.include({ origin: 'config', createdAt: before.createdAt });
      expect(mine[0]!.disabledAt).to.be.instanceOf(Date);

      expect(await store().clients.find(dropped), 'oidc-provider no longer finds it').to.equal(null);
      expect(await store().clients.get(dropped)).to.deep.equal(mine[0]);
      expect((await store().clients.list()).find((c) => c.clientId === dropped)).to.deep.equal(mine[0]);
      for (const id of [kept, cli, tenantOwned]) expect((await store().clients.find(id))?.disabledAt, id).to.equal(null);
      expect(await store().clients.disableUndeclared('config', [kept]), 'already disabled: nothing more').to.deep.equal([]);
      // A tenant's client keeps its id even from a disabled platform client.
      expect((await rejection(lille.clients.create(client(dropped), 'cli'), Conflict)).field).to.equal('clientId');

      const again = await store().clients.upsert(client(dropped), 'config');
      expect(again).to.deep.include({ origin: 'config', disabledAt: null, createdAt: before.createdAt });
      expect(await store().clients.find(dropped)).to.deep.equal(again);
    });

    it('disables every client of an origin when none is declared, and only that origin', async () => {
      const [demo, cli] = [unique('demo'), unique('partner')];
      await store().clients.upsert(client(demo), 'development');
      await store().clients.upsert(client(cli), 'cli');
      const disabled = await store().clients.disableUndeclared('development', []);
      expect(disabled.map((c) => c.clientId)).to.include(demo).and.not.include(cli);
      expect(disabled.every((c) => c.origin === 'development' && c.tenantId === null)).to.equal(true);
      expect(await store().clients.find(demo)).to.equal(null);
      expect(await store().clients.find(cli)).to.not.equal(null);
    });

    it('keeps a tenant client\'s origin and state through an update', async () => {
      const lille = await newTenant();
      const id = unique('editor');
      const created = await lille.clients.create(client(id), 'cli');
      const updated = await lille.clients.update({ ...client(id), name: 'Renamed' });
      expect(updated).to.deep.include({ origin: 'cli', disabledAt: null, createdAt: created.createdAt, name: 'Renamed' });
    });
  });
}

function describeClientIsolation(newTenant: TenantFactory): void {
  describeTenantIsolation(newTenant, (t) => {
    it('clients: lists show only the tenant’s own', async () => {
      expect(await t.a.clients.list()).to.deep.equal([]);
      await t.expectTheirsIntact();
    });
  });
}
