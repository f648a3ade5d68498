/** Conformance of the lock service: files and Redis run it. */
import { expect } from 'chai';
import type { LockService } from '../../src/storage/ports/locks.js';
import { unique } from './kit.js';

export function lockServiceConformance(name: string, open: () => Promise<{ locks: LockService; close(): Promise<void> }>): void {
  describe(`lock service: ${name}`, () => {
    let locks: LockService;
    let close: () => Promise<void>;
    before(async () => ({ locks, close } = await open()));
    after(() => close());

    it('grants a name to one holder at a time, until released', async () => {
      const name = unique('import:lille');
      const lease = await locks.acquire(name, 10_000);
      expect(lease?.held()).to.equal(true);
      expect(await locks.acquire(name, 10_000)).to.equal(null);
      await lease!.release();
      expect(lease!.held()).to.equal(false);
      const next = await locks.acquire(name, 10_000);
      expect(next?.held()).to.equal(true);
      await next!.release();
    });

    it('keeps names apart', async () => {
      const [first, second] = [await locks.acquire(unique('import:lille'), 10_000), await locks.acquire(unique('import:lille'), 10_000)];
      expect([first?.held(), second?.held()]).to.deep.equal([true, true]);
      await Promise.all([first!.release(), second!.release()]);
    });
  });
}
