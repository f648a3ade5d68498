import { expect } from 'chai';
import { hash } from '@node-rs/argon2';
import { ARGON2_PARAMS, hashPassword, needsRehash, verifyPassword } from '../../src/auth/passwords.js';

describe('passwords (argon2id)', () => {
  it('hashes with argon2id and the OWASP parameters, salted', async () => {
    const a = await hashPassword('un mot de passe');
    const b = await hashPassword('un mot de passe');
    expect(a).to.match(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(a).not.to.equal(b);
    expect(needsRehash(a)).to.equal(false);
  });

  it('verifies the right password only', async () => {
    const stored = await hashPassword('élève-2026');
    expect(await verifyPassword(stored, 'élève-2026')).to.equal(true);
    expect(await verifyPassword(stored, 'eleve-2026')).to.equal(false);
  });

  it('answers false, without throwing, for no hash or a malformed one', async () => {
    expect(await verifyPassword(null, 'anything')).to.equal(false);
    expect(await verifyPassword('not-a-hash', 'anything')).to.equal(false);
  });

  it('flags hashes made with weaker parameters for an upgrade', async () => {
    const weak = await hash('x', { ...ARGON2_PARAMS, memoryCost: 4096, timeCost: 1 });
    expect(needsRehash(weak)).to.equal(true);
  });
});
