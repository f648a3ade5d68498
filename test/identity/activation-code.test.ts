import { expect } from 'chai';
import {
  ACTIVATION_CODE_ALPHABET, formatActivationCode, generateActivationCode, hashActivationCode,
  normalizeActivationCode, verifyActivationCode,
} from '../../src/identity/activation-code.js';

describe('activation codes', () => {
  it('uses the 28-character alphabet without look-alikes', () => {
    expect(ACTIVATION_CODE_ALPHABET).to.have.length(28);
    expect(new Set(ACTIVATION_CODE_ALPHABET).size).to.equal(28);
    for (const c of 'ilouq012') expect(ACTIVATION_CODE_ALPHABET).not.to.include(c);
    for (const c of 'abcdefghjkmnprstvwxyz3456789') expect(ACTIVATION_CODE_ALPHABET).to.include(c);
  });

  it('generates 8 characters of that alphabet, all of it over many draws', () => {
    const seen = new Set<string>();
    const codes = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const code = generateActivationCode();
      expect(code).to.match(/^[abcdefghjkmnprstvwxyz3-9]{8}$/);
      codes.add(code);
      for (const c of code) seen.add(c);
    }
    expect(seen.size).to.equal(28);
    expect(codes.size).to.equal(2000);
  });

  it('normalises what people type: case, spaces, dashes', () => {
    expect(normalizeActivationCode(' ABCD-efgh ')).to.equal('abcdefgh');
    expect(normalizeActivationCode('abcd efgh')).to.equal('abcdefgh');
    expect(normalizeActivationCode('ＡＢＣＤ–ＥＦＧＨ')).to.equal('abcdefgh');
  });

  it('formats for print in two groups of four', () => {
    expect(formatActivationCode('abcdefgh')).to.equal('abcd-efgh');
    expect(formatActivationCode('ABCD EFGH')).to.equal('abcd-efgh');
  });

  it('hashes the normalised code as SHA-256 hex, so typing variants verify', () => {
    const code = generateActivationCode();
    const hash = hashActivationCode(code);
    expect(hash).to.match(/^[0-9a-f]{64}$/);
    expect(hashActivationCode(formatActivationCode(code).toUpperCase())).to.equal(hash);
    expect(verifyActivationCode(code, hash)).to.equal(true);
    expect(verifyActivationCode(` ${formatActivationCode(code).toUpperCase()} `, hash)).to.equal(true);
  });

  it('rejects another code, a malformed code and a malformed hash without throwing', () => {
    const hash = hashActivationCode('abcdefgh');
    expect(verifyActivationCode('abcdefgj', hash)).to.equal(false);
    expect(verifyActivationCode('abcdefg', hash)).to.equal(false);
    expect(verifyActivationCode('abcdefgi', hashActivationCode('abcdefgi'))).to.equal(false); // i is not in the alphabet
    expect(verifyActivationCode('abcdefgh', 'not-a-hash')).to.equal(false);
    expect(verifyActivationCode('abcdefgh', hash.toUpperCase())).to.equal(false);
  });

  it('keys the hash with a server-side pepper when one is given', () => {
    const peppered = hashActivationCode('abcdefgh', 'pepper');
    expect(peppered).not.to.equal(hashActivationCode('abcdefgh'));
    expect(verifyActivationCode('ABCD-EFGH', peppered, 'pepper')).to.equal(true);
    expect(verifyActivationCode('abcdefgh', peppered)).to.equal(false);
    expect(verifyActivationCode('abcdefgh', peppered, 'other')).to.equal(false);
  });
});
