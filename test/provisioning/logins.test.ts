/**
 * The per-run login allocator gives exactly what `pickLogins` gives with the store asked again
 * for every batch, while asking the store about each base once.
 */
import { expect } from 'chai';
import { pickLogins } from '../../src/identity/login-generator.js';
import { LoginAllocator } from '../../src/provisioning/logins.js';

/** The store's range query over an in-memory set of logins. */
function fakeStore(logins: Set<string>) {
  const asked: string[] = [];
  return {
    asked,
    async takenLogins(bases: string[]): Promise<Set<string>> {
      asked.push(...bases);
      return new Set([...logins].filter((l) => bases.some((b) => l >= b && l < `${b}:`)));
    },
  };
}

describe('LoginAllocator', () => {
  for (const kept of [100, 2]) it(`picks what pickLogins picks, batch after batch, bases that end in digits included (${kept} bases kept)`, async () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const names = ['lea.martin', 'lea.martin2', 'jean.dupont', 'jean.dupont1', 'jean.dupont12', 'ab', 'ab1', 'ab11', 'user', 'user2', 'x.y'];
    const pick = () => names[Math.floor(random() * names.length)]!;
    for (let trial = 0; trial < 100; trial++) {
      const logins = new Set<string>();
      for (let i = 0; i < 15; i++) {
        const n = Math.floor(random() * 5) + 1;
        logins.add(n === 1 ? pick() : `${pick()}${n}`);
        logins.add(`${pick()}.z`);
      }
      const store = fakeStore(logins);
      const allocator = new LoginAllocator(store, kept);
      for (let batch = 0; batch < 6; batch++) {
        const bases = Array.from({ length: 1 + Math.floor(random() * 8) }, pick);
        const expected = pickLogins(bases, await store.takenLogins(bases));
        const got = await allocator.pick(bases);
        expect(got, `trial ${trial}, batch ${batch}: ${bases.join(' ')}`).to.deep.equal(expected);
        for (const login of got) logins.add(login); // the batch is committed before the next one
      }
    }
  });

  it('asks the store about a base once per run while it is kept', async () => {
    const store = fakeStore(new Set(['lea.martin', 'lea.martin3']));
    const allocator = new LoginAllocator(store);
    expect(await allocator.pick(['lea.martin', 'paul.durand', 'lea.martin'])).to.deep.equal(['lea.martin2', 'paul.durand', 'lea.martin4']);
    expect(await allocator.pick(['lea.martin', 'paul.durand'])).to.deep.equal(['lea.martin5', 'paul.durand2']);
    expect(store.asked).to.deep.equal(['lea.martin', 'paul.durand']);
  });
});
