import { expect } from 'chai';
import fc from 'fast-check';
import { garProjectIdOf, tenantGarSchema } from '../../src/identity/gar.js';
import { garPersonIdentifier } from '../../src/identity/gar-identifier.js';
import { ConfigError } from '../../src/shared/errors.js';

const key = 'k'.repeat(32);

describe('identity/gar-identifier', () => {
  it('is stable, at most 64 characters, different per account and per key, and hides the account id', () => {
    fc.assert(fc.property(fc.uuid(), fc.uuid(), fc.string({ minLength: 32, maxLength: 48 }), (id1, id2, otherKey) => {
      fc.pre(id1 !== id2 && otherKey !== key);
      const value = garPersonIdentifier(key, { id: id1 });
      expect(value).to.match(/^[A-Za-z0-9_-]{43}$/);
      expect(value.length).to.be.at.most(64);
      expect(garPersonIdentifier(key, { id: id1 })).to.equal(value);
      expect(garPersonIdentifier(key, { id: id2 })).to.not.equal(value);
      expect(garPersonIdentifier(otherKey, { id: id1 })).to.not.equal(value);
      expect(value).to.not.include(id1.replaceAll('-', '').slice(0, 8));
    }), { numRuns: 200, seed: 17 });
  });

  it('refuses a key shorter than 32 characters as a configuration error', () => {
    expect(() => garPersonIdentifier('short', { id: 'a' })).to.throw(ConfigError, /gar\.identifierKey[\s\S]*at least 32 characters/);
  });
});

describe('identity/gar (the tenant gar section)', () => {
  const parse = (value: unknown) => tenantGarSchema.safeParse(value);
  const issues = (value: unknown) => parse(value).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);

  it('accepts all schools or a list of UAIs, the key as a secret reference', () => {
    expect(parse({ projectId: 'ENT-HDF_1', structures: 'all', identifierKey: { env: 'LILLE_GAR_KEY' } }).success).to.equal(true);
    expect(parse({ projectId: 'ENT-HDF_1', structures: ['0590121L', '0801234A'], identifierKey: { file: '/run/secrets/gar' } }).success).to.equal(true);
  });

  it('refuses a bad project id, an empty or repeated list, a non-UAI, a key in clear and unknown fields', () => {
    expect(issues({ projectId: 'GAR 1', structures: 'all', identifierKey: { env: 'K' } })).to.deep.equal(['projectId: letters, digits, _ and -, at most 64']);
    expect(issues({ projectId: 'p', structures: [], identifierKey: { env: 'K' } })).to.deep.include('structures: at least one UAI, or all');
    expect(issues({ projectId: 'p', structures: ['0590121L', '0590121L'], identifierKey: { env: 'K' } })).to.deep.include('structures: a UAI is listed twice');
    expect(issues({ projectId: 'p', structures: ['059012L'], identifierKey: { env: 'K' } })).to.deep.include('structures.0: a UAI: 7 digits and an upper-case letter');
    expect(issues({ projectId: 'p', structures: 'all', identifierKey: 'secret' })).to.deep.equal(['identifierKey: a secret is never written in clear: { env: NAME } or { file: PATH }']);
    expect(issues({ projectId: 'p', structures: 'all', identifierKey: { env: 'K' }, schools: [] })![0]).to.match(/schools/);
    expect(issues({ structures: 'all', identifierKey: { env: 'K' } })![0]).to.match(/^projectId: /);
  });

  it('says which schools use the GAR: all, the listed ones, none without a section', () => {
    const listed = tenantGarSchema.parse({ projectId: 'P1', structures: ['0590121L'], identifierKey: { env: 'K' } });
    expect(garProjectIdOf(listed, '0590121L')).to.equal('P1');
    expect(garProjectIdOf(listed, '0801234A')).to.equal(null);
    expect(garProjectIdOf({ ...listed, structures: 'all' }, '0801234A')).to.equal('P1');
    expect(garProjectIdOf(undefined, '0590121L')).to.equal(null);
  });
});
