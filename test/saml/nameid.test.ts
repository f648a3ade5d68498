import { expect } from 'chai';
import fc from 'fast-check';
import { currentPairwiseNameId, nameIdCandidates, pairwiseNameId, transientNameId } from '../../src/saml/idp/nameid.js';
import { InvariantBroken } from '../../src/shared/errors.js';

const salt = fc.string({ minLength: 32, maxLength: 64 });
const entityId = fc.webUrl();
const account = fc.uuid().map((id) => ({ id }));
const runs = { numRuns: 200, seed: 16 };

describe('saml/idp/nameid', () => {
  it('is stable for the same salt, SP and account, and is 43 characters of base64url', () => {
    fc.assert(fc.property(salt, entityId, account, (s, sp, a) => {
      const id = pairwiseNameId(s, sp, a);
      expect(id).to.match(/^[A-Za-z0-9_-]{43}$/);
      expect(pairwiseNameId(s, sp, { id: a.id })).to.equal(id);
    }), runs);
  });

  it('differs across SPs and across accounts', () => {
    fc.assert(fc.property(salt, entityId, entityId, account, account, (s, sp1, sp2, a1, a2) => {
      fc.pre(sp1 !== sp2 && a1.id !== a2.id);
      expect(pairwiseNameId(s, sp1, a1)).to.not.equal(pairwiseNameId(s, sp2, a1));
      expect(pairwiseNameId(s, sp1, a1)).to.not.equal(pairwiseNameId(s, sp1, a2));
    }), runs);
  });

  it('keeps (sector, id) pairs apart where a plain concatenation would not', () => {
    const s = 'x'.repeat(32);
    expect(pairwiseNameId(s, 'https://sp.example/a', { id: 'bc' })).to.not.equal(pairwiseNameId(s, 'https://sp.example/ab', { id: 'c' }));
  });

  it('gives unrelated values under different salts', () => {
    fc.assert(fc.property(salt, salt, entityId, account, (s1, s2, sp, a) => {
      fc.pre(s1 !== s2);
      const [v1, v2] = [pairwiseNameId(s1, sp, a), pairwiseNameId(s2, sp, a)];
      expect(v1).to.not.equal(v2);
      // Unrelated: no long common prefix, as a digest of related inputs might show.
      expect(v1.slice(0, 8)).to.not.equal(v2.slice(0, 8));
    }), runs);
  });

  it('does not reveal the account id, in clear, hex or base64url', () => {
    fc.assert(fc.property(salt, entityId, account, (s, sp, a) => {
      const id = pairwiseNameId(s, sp, a);
      const hex = Buffer.from(id, 'base64url').toString('hex');
      const bare = a.id.replaceAll('-', '');
      expect(id).to.not.include(a.id);
      expect(hex).to.not.include(bare.slice(0, 8));
      expect(id).to.not.include(Buffer.from(a.id).toString('base64url').slice(0, 8));
      expect(id).to.not.equal(pairwiseNameId('', sp, a)); // the salt is the key, not a decoration
    }), runs);
  });

  it('issues with the first salt and recognises the older ones during a rotation', () => {
    const [current, previous] = ['n'.repeat(32), 'o'.repeat(32)];
    const sp = 'https://sp.example/saml';
    const a = { id: '0190f2a4-0000-7000-8000-000000000001' };
    expect(currentPairwiseNameId([current, previous], sp, a)).to.equal(pairwiseNameId(current, sp, a));
    expect(nameIdCandidates([current, previous], sp, a)).to.deep.equal([pairwiseNameId(current, sp, a), pairwiseNameId(previous, sp, a)]);
    // Issued before the rotation, still matched after it; gone once the old salt is dropped.
    const issuedBefore = currentPairwiseNameId([previous], sp, a);
    expect(nameIdCandidates([current, previous], sp, a)).to.include(issuedBefore);
    expect(nameIdCandidates([current], sp, a)).to.not.include(issuedBefore);
  });

  it('refuses to issue without a salt or for an entityID holding a NUL', () => {
    expect(() => currentPairwiseNameId([], 'https://sp.example', { id: 'a' })).to.throw(InvariantBroken, /no pairwise NameID salt/);
    expect(() => pairwiseNameId('s'.repeat(32), 'https://sp.example\u0000x', { id: 'a' })).to.throw(InvariantBroken, /NUL/);
  });

  it('makes transient NameIDs that are random and one-time', () => {
    const ids = Array.from({ length: 1000 }, transientNameId);
    expect(new Set(ids).size).to.equal(1000);
    for (const id of ids) expect(id).to.match(/^[A-Za-z0-9_-]{27}$/);
  });
});
