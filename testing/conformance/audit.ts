/**
 * Conformance of the audit store (tenants' and platform events), tenant isolation included:
 * every backend of the port runs it.
 */
import { expect } from 'chai';
import { newId } from '../../src/shared/ids.js';
import { describeTenantIsolation, ids, type StoreSuite, type StoreRef, type TenantFactory } from './kit.js';

export const auditStoreConformance: StoreSuite = ({ store, newTenant }) => {
  describeAudit(store, newTenant);
  describeAuditIsolation(store, newTenant);
};

function describeAudit(store: StoreRef, newTenant: TenantFactory): void {
  describe('audit', () => {
    it('records events and lists them newest first', async () => {
      const lille = await newTenant();
      const first = await lille.audit.record({ type: 'login.failure', ip: '10.0.0.1', userAgent: 'UA', details: { reason: 'bad password' } });
      const second = await lille.audit.record({ type: 'login.success', accountId: newId(), clientId: 'neo' });
      const third = await lille.audit.record({ type: 'logout' });
      expect(first).to.include({ tenantId: lille.tenantId, type: 'login.failure', ip: '10.0.0.1', accountId: null });
      expect(third.details).to.deep.equal({});
      expect(await lille.audit.list()).to.deep.equal([third, second, first]);
      expect(await lille.audit.list({ limit: 1, offset: 1 })).to.deep.equal([second]);
    });

    it('keeps the recording order of events of the same millisecond', async () => {
      const lille = await newTenant();
      const recorded = [];
      for (let i = 0; i < 30; i += 1) recorded.push(await lille.audit.record({ type: `burst.${i}` }));
      expect(ids(await lille.audit.list())).to.deep.equal(ids(recorded).reverse());
    });

    it('keeps platform events apart from tenant events', async () => {
      const lille = await newTenant();
      const platformEvent = await store().audit.record({ type: 'keys.rotated', details: { kid: 'k1' } });
      const tenantEvent = await lille.audit.record({ type: 'import.done' });
      expect(platformEvent.tenantId).to.equal(null);
      const platform = await store().audit.list();
      expect(ids(platform)).to.include(platformEvent.id).and.not.include(tenantEvent.id);
      expect(platform.find((e) => e.id === platformEvent.id)).to.deep.equal(platformEvent);
      expect(ids(await lille.audit.list())).to.deep.equal([tenantEvent.id]);
    });
  });
}

function describeAuditIsolation(store: StoreRef, newTenant: TenantFactory): void {
  describeTenantIsolation(newTenant, (t) => {
    it('audit: lists show only the tenant’s own', async () => {
      expect(await t.a.audit.list()).to.deep.equal([]);
      await t.a.audit.record({ type: 'login.failure', accountId: t.theirs.child.id });
      expect(await t.a.audit.list()).to.have.length(1);
      expect(ids(await store().audit.list())).to.not.include(t.theirs.event.id);
      await t.expectTheirsIntact();
    });
  });
}
