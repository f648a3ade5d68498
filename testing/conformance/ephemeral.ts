/** Conformance of the ephemeral store (one-time tickets, claims, sliding windows): memory and Redis run it. */
import { expect } from 'chai';
import type { EphemeralStore } from '../../src/storage/ports/ephemeral.js';
import type { EphemeralPair } from '../harness/ephemeral.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `open` gives two handles on one store, standing for two hub processes. */
export function ephemeralStoreConformance(name: string, open: () => Promise<EphemeralPair>): void {
  describe(`EphemeralStore: ${name}`, () => {
    let a: EphemeralStore;
    let b: EphemeralStore;
    let close: () => Promise<void>;
    before(async () => ({ a, b, close } = await open()));
    after(() => close());

    it('claimOnce accepts a key once, from any process, until it expires', async () => {
      expect(await a.claimOnce('totp:1', 1)).to.equal(true);
      expect(await b.claimOnce('totp:1', 1)).to.equal(false);
      expect(await a.claimOnce('totp:2', 1)).to.equal(true);
      await sleep(1100);
      expect(await b.claimOnce('totp:1', 1)).to.equal(true);
    });

    it('take returns a ticket once, even to concurrent callers', async () => {
      await a.put('req:1', 'payload', 60);
      expect(await b.get('req:1')).to.equal('payload');
      const both = await Promise.all([a.take('req:1'), b.take('req:1')]);
      expect(both.filter((v) => v === 'payload')).to.have.length(1);
      expect(await a.take('req:1')).to.equal(null);
      expect(await a.take('never-put')).to.equal(null);
    });

    it('tickets expire and can be deleted', async () => {
      await a.put('short', 'x', 1);
      await a.put('deleted', 'y', 60);
      await b.delete('deleted');
      expect(await a.get('deleted')).to.equal(null);
      await sleep(1100);
      expect(await a.get('short')).to.equal(null);
    });

    it('hit counts events in a sliding window shared by processes', async () => {
      const counts = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).hit('ip:1', 1)));
      expect([...counts].sort((x, y) => x - y)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(await a.count('ip:1', 1)).to.equal(10);
      expect(await a.count('ip:other', 1)).to.equal(0);
      await sleep(1100);
      expect(await b.count('ip:1', 1)).to.equal(0);
      expect(await b.hit('ip:1', 1)).to.equal(1);
    });

    it('delete clears a window', async () => {
      await a.hit('acct:1', 60);
      await a.delete('acct:1');
      expect(await b.count('acct:1', 60)).to.equal(0);
    });
  });
}
