import { expect } from 'chai';
import { SeenSet } from '../../src/provisioning/seen-set.js';

describe('SeenSet', () => {
  it('adds each external id once, across growths of its table', () => {
    const seen = new SeenSet();
    const ids = Array.from({ length: 50_000 }, (_, i) => `LILLE-${i}`);
    for (const id of ids) expect(seen.add(id)).to.equal(true);
    expect(seen.size).to.equal(ids.length);
    for (const id of ids.filter((_, i) => i % 97 === 0)) expect(seen.add(id)).to.equal(false);
    expect(seen.size).to.equal(ids.length);
  });

  it('knows what it holds and nothing else', () => {
    const seen = new SeenSet();
    for (let i = 0; i < 20_000; i += 2) seen.add(`AMIENS-${i}`);
    for (let i = 0; i < 20_000; i += 1) expect(seen.has(`AMIENS-${i}`), `AMIENS-${i}`).to.equal(i % 2 === 0);
    expect(seen.has('')).to.equal(false);
    expect(seen.has('LILLE-0')).to.equal(false);
  });
});
