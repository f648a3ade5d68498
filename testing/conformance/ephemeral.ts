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

    const inSeconds = (s: number) => new Date(Date.now() + s * 1000);
    const members = async (store: EphemeralStore, key: string, limit = 100) => (await store.membersOf(key, limit)).map((m) => m.member);

    it('an expiring set lists its current members, latest to end first, to every process', async () => {
      const ends = { early: inSeconds(60), late: inSeconds(600), middle: inSeconds(300) };
      for (const [member, end] of Object.entries(ends)) await (member === 'late' ? b : a).addToSet('locked:1', member, end);
      expect(await b.membersOf('locked:1', 100)).to.deep.equal([
        { member: 'late', expiresAt: ends.late }, { member: 'middle', expiresAt: ends.middle }, { member: 'early', expiresAt: ends.early },
      ]);
      expect(await members(a, 'locked:1', 2)).to.deep.equal(['late', 'middle']);
      expect(await members(a, 'locked:other')).to.deep.equal([]);
    });

    it('an expiring set moves a member added again, and removes one on demand', async () => {
      await a.addToSet('locked:2', 'x', inSeconds(60));
      await a.addToSet('locked:2', 'y', inSeconds(120));
      await b.addToSet('locked:2', 'x', inSeconds(180));
      expect(await members(a, 'locked:2')).to.deep.equal(['x', 'y']);
      await b.removeFromSet('locked:2', 'x');
      await b.removeFromSet('locked:2', 'never-added');
      expect(await members(a, 'locked:2')).to.deep.equal(['y']);
      // A ticket or window of the same name is another thing: delete leaves the set alone.
      await a.delete('locked:2');
      expect(await members(b, 'locked:2')).to.deep.equal(['y']);
    });

    it('members leave an expiring set when their end comes, an end in the past at once', async () => {
      await a.addToSet('locked:3', 'short', inSeconds(1));
      await a.addToSet('locked:3', 'long', inSeconds(60));
      await a.addToSet('locked:3', 'past', inSeconds(-1));
      expect(await members(b, 'locked:3')).to.deep.equal(['long', 'short']);
      // Moving a member's end into the past takes it out.
      await b.addToSet('locked:3', 'long', inSeconds(-1));
      expect(await members(a, 'locked:3')).to.deep.equal(['short']);
      await sleep(1100);
      expect(await members(a, 'locked:3')).to.deep.equal([]);
    });
  });
}
