/**
 * Conformance of the store of connectors the CLI records (tenants' and platform ones),
 * tenant isolation included: every backend of the port runs it.
 */
import { expect } from 'chai';
import { Conflict, NotFound } from '../../src/shared/errors.js';
import type { NewStoredConnector } from '../../src/storage/ports/index.js';
import { ids, rejection, unique, type StoreSuite, type StoreRef, type TenantFactory } from './kit.js';

export const connectorStoreConformance: StoreSuite = ({ store, newTenant }) => {
  describeConnectors(store, newTenant);
};

function describeConnectors(store: StoreRef, newTenant: TenantFactory): void {
  const connector = (id: string, extra: Partial<NewStoredConnector> = {}): NewStoredConnector => ({
    id,
    type: 'oidc',
    profile: 'academie',
    displayName: `Personnel ${id}`,
    enabled: true,
    config: { id, type: 'oidc', displayName: `Personnel ${id}`, enabled: true, oidc: { issuer: 'https://fim.example', clientId: 'hub', clientSecret: { env: 'FIM_SECRET' }, scopes: ['openid', 'email'] } },
    ...extra,
  });

  describe('connectors', () => {
    it('creates, gets, lists and removes a tenant connector, keeping its config document intact', async () => {
      const lille = await newTenant();
      const [first, second] = [unique('agents'), unique('agents')].sort() as [string, string];
      const created = await lille.connectors.create(connector(second));
      expect(created).to.deep.include({ ...connector(second), tenantId: lille.tenantId });
      expect(created.createdAt).to.be.instanceOf(Date);
      expect(created.updatedAt).to.be.instanceOf(Date);
      const disabled = await lille.connectors.create(connector(first, { enabled: false, type: 'saml' }));
      expect(disabled).to.include({ enabled: false, type: 'saml' });
      expect(await lille.connectors.get(second)).to.deep.equal(created);
      expect(await lille.connectors.get(unique('nothing'))).to.equal(null);
      expect(await lille.connectors.list()).to.deep.equal([disabled, created]);
      await lille.connectors.remove(second);
      expect(await lille.connectors.get(second)).to.equal(null);
      await rejection(lille.connectors.remove(second), NotFound);
      expect(await lille.connectors.list()).to.deep.equal([disabled]);
    });

    it('keeps platform connectors apart from tenant connectors', async () => {
      const lille = await newTenant();
      const [platformId, tenantId] = [unique('educonnect'), unique('agents')];
      const platform = await store().connectors.create(connector(platformId, { profile: 'educonnect', type: 'saml' }));
      expect(platform.tenantId).to.equal(null);
      await lille.connectors.create(connector(tenantId));
      expect(await store().connectors.get(platformId)).to.deep.equal(platform);
      expect(ids(await store().connectors.list())).to.include(platformId).and.not.include(tenantId);
      expect(await store().connectors.get(tenantId)).to.equal(null);
      expect(await lille.connectors.get(platformId)).to.equal(null);
      expect(ids(await lille.connectors.list())).to.deep.equal([tenantId]);
      await rejection(store().connectors.remove(tenantId), NotFound);
      await rejection(lille.connectors.remove(platformId), NotFound);
      await store().connectors.remove(platformId);
      expect(await store().connectors.get(platformId)).to.equal(null);
    });

    it('keeps connector ids unique across tenants and the platform', async () => {
      const [lille, amiens] = [await newTenant(), await newTenant()];
      const id = unique('agents');
      const original = await lille.connectors.create(connector(id));
      expect((await rejection(amiens.connectors.create(connector(id)), Conflict)).field).to.equal('connectorId');
      expect((await rejection(lille.connectors.create(connector(id)), Conflict)).field).to.equal('connectorId');
      expect((await rejection(store().connectors.create(connector(id)), Conflict)).field).to.equal('connectorId');
      expect(await lille.connectors.get(id)).to.deep.equal(original);
      expect(await amiens.connectors.list()).to.deep.equal([]);
      await rejection(store().forTenant(unique('atlantis')).connectors.create(connector(unique('agents'))), NotFound);
    });

    it('tenant isolation: cannot get, list or remove another tenant’s connectors', async () => {
      const [a, b] = [await newTenant(), await newTenant()];
      const theirs = await b.connectors.create(connector(unique('agents')));
      expect(await a.connectors.get(theirs.id)).to.equal(null);
      expect(await a.connectors.list()).to.deep.equal([]);
      await rejection(a.connectors.remove(theirs.id), NotFound);
      // Taking the id over is refused too, and B's row is unchanged.
      await rejection(a.connectors.create(connector(theirs.id, { displayName: 'Hijacked' })), Conflict);
      expect(await b.connectors.list()).to.deep.equal([theirs]);
    });
  });
}
