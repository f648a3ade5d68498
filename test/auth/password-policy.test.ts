import { expect } from 'chai';
import { checkPassword, commonPasswords, isCommonPassword, passwordPolicySchema, personalParts, type PasswordPolicy } from '../../src/auth/password-policy.js';

const policy: PasswordPolicy = passwordPolicySchema.parse({});
const jean = { login: 'jean.dupont', firstName: 'Jean', lastName: 'Dupont' };
const eloise = { login: 'eloise.lefevre2', firstName: 'Éloïse', lastName: 'Lefèvre' };

describe('password policy', () => {
  describe('schema', () => {
    it('has the documented defaults', () => {
      expect(policy).to.deep.equal({ minLength: 12, maxLength: 128, refuseCommon: true, refusePersonal: true });
    });

    it('refuses unknown keys, floors below NIST and inverted bounds', () => {
      expect(passwordPolicySchema.safeParse({ minLenght: 10 }).success).to.equal(false);
      expect(passwordPolicySchema.safeParse({ minLength: 6 }).success).to.equal(false);
      expect(passwordPolicySchema.safeParse({ maxLength: 32 }).success).to.equal(false);
      expect(passwordPolicySchema.safeParse({ minLength: 100, maxLength: 64 }).success).to.equal(false);
      expect(passwordPolicySchema.safeParse({ minLength: 64, maxLength: 64 }).success).to.equal(true);
    });
  });

  it('accepts a good passphrase', () => {
    expect(checkPassword('cheval pluie carton violet', policy, jean)).to.deep.equal([]);
    expect(checkPassword('Trois-Girafes-Mangent-Du-Riz', policy, jean)).to.deep.equal([]);
  });

  describe('length', () => {
    it('refuses too short and too long, at the exact bounds', () => {
      expect(checkPassword('xq7-vbn-kpz', policy, jean)).to.deep.equal(['too_short']); // 11
      expect(checkPassword('xq7-vbn-kpzw', policy, jean)).to.deep.equal([]); // 12
      expect(checkPassword('k'.repeat(127) + 'z', policy, jean)).to.deep.equal([]); // 128
      expect(checkPassword('k'.repeat(128) + 'z', policy, jean)).to.deep.equal(['too_long']); // 129
      expect(checkPassword('', policy, jean)).to.include('too_short');
    });

    it('counts code points, not UTF-16 units: 6 emoji are 6 characters, not 12', () => {
      const emoji = '🐸🦊🐼🐙🦉🐢'; // 12 UTF-16 units
      expect(emoji.length).to.equal(12);
      expect(checkPassword(emoji, policy, jean)).to.deep.equal(['too_short']);
      expect(checkPassword(emoji + emoji, policy, jean)).to.deep.equal([]);
      // 128 emoji (256 units) fit the 128 limit; one more does not.
      expect(checkPassword('🐸'.repeat(128), policy, jean)).to.deep.equal([]);
      expect(checkPassword('🐸'.repeat(129), policy, jean)).to.deep.equal(['too_long']);
    });

    it('counts after NFC: a decomposed accent is one character', () => {
      const decomposed = 'e\u0301'.repeat(11); // "é" × 11 as e + combining acute: 22 units
      expect(checkPassword(decomposed, policy, jean)).to.deep.equal(['too_short']);
      expect(checkPassword('e\u0301'.repeat(12), policy, jean)).to.deep.equal([]);
    });

    it('answers too_long at once for a huge input', () => {
      expect(checkPassword('x'.repeat(2_000_000), policy, jean)).to.deep.equal(['too_long']);
    });
  });

  describe('common passwords', () => {
    it('ships about 10,000 entries including English and French ones', () => {
      const list = commonPasswords();
      expect(list.size).to.be.within(10_000, 12_000);
      for (const entry of ['password', 'qwerty', 'dragon', 'azerty', 'soleil', 'doudou', 'chouchou', 'loulou', 'marseille', 'motdepasse', 'bonjour', 'jetaime', 'nicolas']) {
        expect(list.has(entry), entry).to.equal(true);
      }
      expect(list.has('cheval pluie carton violet')).to.equal(false);
      const malformed = [...list].filter((e) => e !== e.toLowerCase() || [...e].length < 4 || e.startsWith('#') || e !== e.trim());
      expect(malformed).to.deep.equal([]);
    });

    it('is case-insensitive and strips a trailing run of digits, punctuation and spaces', () => {
      for (const p of ['azerty', 'AZERTY', 'Azerty123!', 'azerty 2024', 'Marseille13', 'motdepasse!!', 'Jetaime<3', 'soleil_2025#']) {
        expect(isCommonPassword(p), p).to.equal(true);
      }
      // Only a trailing decoration is removed; a listed word inside a longer password is fine.
      for (const p of ['123azerty', 'azerty-maison-bleue', 'soleil de minuit sur la dune', 'xyzzy-plugh-42']) {
        expect(isCommonPassword(p), p).to.equal(false);
      }
    });

    it('is accent-insensitive', () => {
      expect(isCommonPassword('MotDePassé2024')).to.equal(true);
    });

    it('reports common for a long enough listed password, and can be turned off', () => {
      expect(checkPassword('azertyuiop123', policy, jean)).to.deep.equal(['common']);
      expect(checkPassword('motdepasse2024!', policy, jean)).to.deep.equal(['common']);
      expect(checkPassword('motdepasse2024!', { ...policy, refuseCommon: false }, jean)).to.deep.equal([]);
      expect(checkPassword('azerty', policy, jean)).to.have.members(['too_short', 'common']);
    });
  });

  describe('personal information', () => {
    it('refuses the login, the login without its dots, first and last names, any case', () => {
      for (const p of ['jean.dupont.2026', 'JEANDUPONT2026xx', 'xx-Dupont-forever', 'monprenomestjean!', 'dupont-is-my-name']) {
        expect(checkPassword(p, policy, jean), p).to.deep.equal(['personal']);
      }
    });

    it('is accent-insensitive: "Éloïse" refuses eloise2026x', () => {
      expect(checkPassword('eloise2026x!', policy, eloise)).to.deep.equal(['personal']);
      expect(checkPassword('LEFEVRE-et-compagnie', policy, eloise)).to.deep.equal(['personal']);
      expect(checkPassword('ÉLOÏSE-et-compagnie', policy, eloise)).to.deep.equal(['personal']);
    });

    it('splits compound names and folds ligatures', () => {
      const person = { login: 'jp.le-gall', firstName: 'Jean-Pierre', lastName: 'Le Gall' };
      expect(personalParts(person)).to.include.members(['jean', 'pierre', 'gall', 'legall', 'jeanpierre']);
      expect(checkPassword('pierre-qui-roule', policy, person)).to.deep.equal(['personal']);
      const laetitia = { login: 'laetitia.cœur', firstName: 'Lætitia', lastName: 'Cœur' };
      expect(checkPassword('laetitia-mon-chat', policy, laetitia)).to.deep.equal(['personal']);
      expect(checkPassword('un-coeur-de-pierre', policy, laetitia)).to.deep.equal(['personal']);
    });

    it('ignores parts shorter than 3 characters', () => {
      const person = { login: 'al.li', firstName: 'Al', lastName: 'Li' };
      expect(personalParts(person)).to.deep.equal(['al.li', 'alli']);
      expect(checkPassword('alpine lilies bloom', policy, person)).to.deep.equal([]);
      expect(checkPassword('xx-alli-yy-zz', policy, person)).to.deep.equal(['personal']);
    });

    it('can be turned off', () => {
      expect(checkPassword('jean.dupont.2026', { ...policy, refusePersonal: false }, jean)).to.deep.equal([]);
    });
  });

  it('reports several problems at once', () => {
    expect(checkPassword('kDupontz9', policy, jean)).to.have.members(['too_short', 'personal']);
    expect(checkPassword('Dupont1', policy, jean)).to.have.members(['too_short', 'common', 'personal']);
  });
});
