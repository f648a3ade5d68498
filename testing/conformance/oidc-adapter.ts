/** Conformance of the oidc-provider model adapters: Redis (real server) and memory run it. */
import { expect } from 'chai';
import type { OidcModelAdapter } from '../../src/storage/ports/oidc-adapter.js';

export type OidcAdapterFactory = (model: string) => OidcModelAdapter;

export function oidcAdapterConformance(name: string, setup: () => Promise<{ factory: OidcAdapterFactory; close(): Promise<void> }>): void {
  describe(`oidc model adapter: ${name}`, () => {
    let factory: OidcAdapterFactory;
    let close: () => Promise<void>;
    before(async () => ({ factory, close } = await setup()));
    after(() => close());

    it('stores, finds and destroys a record', async () => {
      const sessions = factory('Session');
      await sessions.upsert('s1', { accountId: 'a1', uid: 'u1' }, 60);
      expect(await sessions.find('s1')).to.deep.equal({ accountId: 'a1', uid: 'u1' });
      expect(await sessions.findByUid('u1')).to.deep.equal({ accountId: 'a1', uid: 'u1' });
      await sessions.destroy('s1');
      expect(await sessions.find('s1')).to.equal(undefined);
    });

    it('keeps models apart', async () => {
      await factory('AccessToken').upsert('same', { kind: 'AccessToken' }, 60);
      expect(await factory('RefreshToken').find('same')).to.equal(undefined);
    });

    it('expires records after their TTL', async () => {
      await factory('Interaction').upsert('short', { x: 1 }, 1);
      expect(await factory('Interaction').find('short')).to.deep.equal({ x: 1 });
      await new Promise((r) => setTimeout(r, 1200));
      expect(await factory('Interaction').find('short')).to.equal(undefined);
    });

    it('marks a record consumed without losing it', async () => {
      const codes = factory('AuthorizationCode');
      await codes.upsert('c1', { grantId: 'g0', accountId: 'a' }, 60);
      await codes.consume('c1');
      const found = await codes.find('c1');
      expect(found).to.include({ accountId: 'a' });
      expect(found?.consumed).to.be.a('number');
    });

    it('revokes every token of a grant, and only those', async () => {
      await factory('AccessToken').upsert('at1', { grantId: 'g1' }, 60);
      await factory('RefreshToken').upsert('rt1', { grantId: 'g1' }, 60);
      await factory('AccessToken').upsert('at2', { grantId: 'g2' }, 60);
      await factory('AccessToken').revokeByGrantId('g1');
      expect(await factory('AccessToken').find('at1')).to.equal(undefined);
      expect(await factory('RefreshToken').find('rt1')).to.equal(undefined);
      expect(await factory('AccessToken').find('at2')).to.deep.equal({ grantId: 'g2' });
    });

    it('finds device codes by user code', async () => {
      await factory('DeviceCode').upsert('d1', { userCode: 'ABCD-EFGH' }, 60);
      expect(await factory('DeviceCode').findByUserCode('ABCD-EFGH')).to.deep.equal({ userCode: 'ABCD-EFGH' });
      expect(await factory('DeviceCode').findByUserCode('NOPE')).to.equal(undefined);
    });
  });
}
