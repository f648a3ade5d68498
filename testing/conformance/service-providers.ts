/**
 * Conformance of the store of SAML service providers (tenants' and platform ones), tenant
 * isolation included: every backend of the port runs it.
 */
import { expect } from 'chai';
import { Conflict, NotFound } from '../../src/shared/errors.js';
import type { NewServiceProvider, ServiceProvider, ServiceProviderMetadataUpdate } from '../../src/storage/ports/index.js';
import { describeTenantIsolation, rejection, unique, type StoreSuite, type StoreRef, type TenantFactory } from './kit.js';

export const serviceProviderStoreConformance: StoreSuite = ({ store, newTenant }) => {
  describeServiceProviders(store, newTenant);
};

const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

function serviceProvider(entityId: string, extra: Partial<NewServiceProvider> = {}): NewServiceProvider {
  return {
    entityId,
    displayName: `Ressource ${entityId}`,
    metadataXml: `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${entityId}">…</md:EntityDescriptor>`,
    source: { kind: 'url', location: `${entityId}/metadata` },
    metadata: {
      assertionConsumerServices: [
        { binding: POST, location: `${entityId}/acs`, index: 0, isDefault: true },
        { binding: REDIRECT, location: `${entityId}/acs-redirect`, index: 1, isDefault: false },
      ],
      singleLogoutServices: [{ binding: REDIRECT, location: `${entityId}/slo` }],
      signingCertificates: ['MIIBsigning'],
      encryptionCertificates: ['MIIBencryption'],
      authnRequestsSigned: true,
      wantAssertionsSigned: true,
      nameIdFormats: ['urn:oasis:names:tc:SAML:2.0:nameid-format:transient'],
    },
    validUntil: new Date('2031-01-01T00:00:00.000Z'),
    fetchedAt: new Date('2026-12-01T08:00:00.000Z'),
    enabled: true,
    releasePolicy: 'generic',
    ...extra,
  };
}

/** Random entityIDs are URLs, as the GAR's are. */
const newEntityId = (): string => `https://${unique('sp')}.example`;
const entityIds = (rows: ServiceProvider[]): string[] => rows.map((row) => row.entityId);

function describeServiceProviders(store: StoreRef, newTenant: TenantFactory): void {
  describe('service providers', () => {
    it('creates, gets, lists and removes a tenant SP, keeping its metadata and parsed values intact', async () => {
      const lille = await newTenant();
      const [first, second] = [newEntityId(), newEntityId()].sort() as [string, string];
      const created = await lille.serviceProviders.create(serviceProvider(second));
      expect(created).to.deep.include({ ...serviceProvider(second), tenantId: lille.tenantId });
      expect(created.createdAt).to.be.instanceOf(Date);
      expect(created.updatedAt).to.be.instanceOf(Date);
      const other = await lille.serviceProviders.create(serviceProvider(first, { enabled: false, validUntil: null, releasePolicy: 'gar', source: { kind: 'file', location: '/etc/hub/sp.xml' } }));
      expect(other).to.deep.include({ enabled: false, validUntil: null, releasePolicy: 'gar', source: { kind: 'file', location: '/etc/hub/sp.xml' } });
      expect(await lille.serviceProviders.get(second)).to.deep.equal(created);
      expect(await lille.serviceProviders.get(newEntityId())).to.equal(null);
      expect(await lille.serviceProviders.list()).to.deep.equal([other, created]);
      await lille.serviceProviders.remove(second);
      expect(await lille.serviceProviders.get(second)).to.equal(null);
      await rejection(lille.serviceProviders.remove(second), NotFound);
      expect(await lille.serviceProviders.list()).to.deep.equal([other]);
    });

    it('keeps how the IdP sends to the SP: both signatures and encryption by default, or what it was created with', async () => {
      const lille = await newTenant();
      const byDefault = await lille.serviceProviders.create(serviceProvider(newEntityId()));
      expect(byDefault).to.deep.include({ signatures: 'both', encryptAssertions: true });
      const chosen = await lille.serviceProviders.create(serviceProvider(newEntityId(), { signatures: 'assertion', encryptAssertions: false }));
      expect(chosen).to.deep.include({ signatures: 'assertion', encryptAssertions: false });
      expect(await lille.serviceProviders.get(chosen.entityId)).to.deep.equal(chosen);
    });

    it('updates the metadata copy and keeps the name, owner, state and policy', async () => {
      const lille = await newTenant();
      const entityId = newEntityId();
      const created = await lille.serviceProviders.create(serviceProvider(entityId, { enabled: false, releasePolicy: 'gar' }));
      const fresh = serviceProvider(entityId, {
        metadataXml: '<md:EntityDescriptor entityID="new"/>',
        source: { kind: 'aggregate', location: 'https://federation.example/aggregate.xml' },
        validUntil: null,
        fetchedAt: new Date('2026-12-02T08:00:00.000Z'),
      });
      fresh.metadata = { ...fresh.metadata, assertionConsumerServices: [{ binding: POST, location: `${entityId}/acs2`, index: 3, isDefault: false }], encryptionCertificates: [] };
      const update: ServiceProviderMetadataUpdate = { metadataXml: fresh.metadataXml, source: fresh.source, metadata: fresh.metadata, validUntil: fresh.validUntil, fetchedAt: fresh.fetchedAt };
      const updated = await lille.serviceProviders.update(entityId, update);
      expect(updated).to.deep.include({ ...update, entityId, tenantId: lille.tenantId, displayName: created.displayName, enabled: false, releasePolicy: 'gar', createdAt: created.createdAt });
      expect(updated.updatedAt.getTime()).to.be.at.least(created.updatedAt.getTime());
      expect(await lille.serviceProviders.get(entityId)).to.deep.equal(updated);
      await rejection(lille.serviceProviders.update(newEntityId(), update), NotFound);
    });

    it('changes the settings given and keeps the others and the metadata', async () => {
      const lille = await newTenant();
      const entityId = newEntityId();
      const created = await lille.serviceProviders.create(serviceProvider(entityId));
      const changed = await lille.serviceProviders.changeSettings(entityId, { enabled: false, releasePolicy: 'gar', signatures: 'response' });
      expect(changed).to.deep.include({ ...serviceProvider(entityId), enabled: false, releasePolicy: 'gar', signatures: 'response', encryptAssertions: true, displayName: created.displayName, createdAt: created.createdAt });
      expect(changed.updatedAt.getTime()).to.be.at.least(created.updatedAt.getTime());
      const again = await lille.serviceProviders.changeSettings(entityId, { displayName: 'Manuels', encryptAssertions: false });
      expect(again).to.deep.include({ displayName: 'Manuels', encryptAssertions: false, enabled: false, releasePolicy: 'gar', signatures: 'response', metadataXml: created.metadataXml });
      expect(await lille.serviceProviders.get(entityId)).to.deep.equal(again);
      await rejection(lille.serviceProviders.changeSettings(newEntityId(), { enabled: true }), NotFound);
      const platform = await store().serviceProviders.create(serviceProvider(newEntityId()));
      await rejection(lille.serviceProviders.changeSettings(platform.entityId, { enabled: false }), NotFound);
      await rejection(store().serviceProviders.changeSettings(entityId, { enabled: true }), NotFound);
      expect(await store().serviceProviders.changeSettings(platform.entityId, { enabled: false })).to.deep.include({ enabled: false, tenantId: null });
      await store().serviceProviders.remove(platform.entityId);
    });

    it('keeps platform SPs apart from tenant SPs, and finds either by entityID platform-wide', async () => {
      const lille = await newTenant();
      const [gar, local] = [newEntityId(), newEntityId()];
      const platform = await store().serviceProviders.create(serviceProvider(gar, { releasePolicy: 'gar' }));
      expect(platform.tenantId).to.equal(null);
      const tenants = await lille.serviceProviders.create(serviceProvider(local));
      expect(await store().serviceProviders.get(gar)).to.deep.equal(platform);
      expect(entityIds(await store().serviceProviders.list())).to.include(gar).and.not.include(local);
      expect(await store().serviceProviders.get(local)).to.equal(null);
      expect(await lille.serviceProviders.get(gar)).to.equal(null);
      expect(entityIds(await lille.serviceProviders.list())).to.deep.equal([local]);
      expect(await store().serviceProviders.find(gar)).to.deep.equal(platform);
      expect(await store().serviceProviders.find(local)).to.deep.equal(tenants);
      expect(await store().serviceProviders.find(newEntityId())).to.equal(null);
      await rejection(store().serviceProviders.remove(local), NotFound);
      await rejection(lille.serviceProviders.remove(gar), NotFound);
      await rejection(store().serviceProviders.update(local, serviceProvider(local)), NotFound);
      await store().serviceProviders.remove(gar);
      expect(await store().serviceProviders.find(gar)).to.equal(null);
    });

    it('keeps entityIDs unique across tenants and the platform', async () => {
      const [lille, amiens] = [await newTenant(), await newTenant()];
      const entityId = newEntityId();
      const original = await lille.serviceProviders.create(serviceProvider(entityId));
      for (const owner of [amiens.serviceProviders, lille.serviceProviders, store().serviceProviders]) {
        expect((await rejection(owner.create(serviceProvider(entityId)), Conflict)).field).to.equal('entityId');
      }
      expect(await lille.serviceProviders.get(entityId)).to.deep.equal(original);
      expect(await amiens.serviceProviders.list()).to.deep.equal([]);
      await rejection(store().forTenant(unique('atlantis')).serviceProviders.create(serviceProvider(newEntityId())), NotFound);
    });

    describeTenantIsolation(newTenant, (t) => {
      it('cannot get, list, update or remove another tenant’s SPs, nor take their entityID', async () => {
        const theirs = await t.b.serviceProviders.create(serviceProvider(newEntityId()));
        expect(await t.a.serviceProviders.get(theirs.entityId)).to.equal(null);
        expect(await t.a.serviceProviders.list()).to.deep.equal([]);
        await rejection(t.a.serviceProviders.update(theirs.entityId, serviceProvider(theirs.entityId, { metadataXml: '<hijacked/>' })), NotFound);
        await rejection(t.a.serviceProviders.remove(theirs.entityId), NotFound);
        await rejection(t.a.serviceProviders.changeSettings(theirs.entityId, { enabled: false, displayName: 'Hijacked' }), NotFound);
        await rejection(t.a.serviceProviders.create(serviceProvider(theirs.entityId, { displayName: 'Hijacked' })), Conflict);
        expect(await t.b.serviceProviders.list()).to.deep.equal([theirs]);
        await t.expectTheirsIntact();
      });
    });
  });
}
