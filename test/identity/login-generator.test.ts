import { expect } from 'chai';
import { FALLBACK_BASE, baseLogin, loginCandidates, loginPart, pickLogins } from '../../src/identity/login-generator.js';
import { loginProblem } from '../../src/identity/login.js';

describe('login generator', () => {
  it('removes accents, lower-cases and joins first and last name with a dot', () => {
    expect(baseLogin('Éloïse', 'Lefèvre')).to.equal('eloise.lefevre');
    expect(baseLogin('FRANÇOIS', 'Hénaut')).to.equal('francois.henaut');
    expect(baseLogin('Zoë', 'Müller')).to.equal('zoe.muller');
  });

  it('strips apostrophes, hyphens, spaces and particles stay glued', () => {
    expect(baseLogin('Aïssatou', "N'Diaye")).to.equal('aissatou.ndiaye');
    expect(baseLogin('Jean-Baptiste', 'de La Fontaine')).to.equal('jeanbaptiste.delafontaine');
    expect(baseLogin('Marie', "D’Artagnan")).to.equal('marie.dartagnan');
  });

  it('expands ligatures and letters NFD does not decompose', () => {
    expect(baseLogin('Œdipe', 'Lætitia')).to.equal('oedipe.laetitia');
    expect(baseLogin('Jürgen', 'Strauß')).to.equal('jurgen.strauss');
    expect(baseLogin('Søren', 'Łukasz')).to.equal('soren.lukasz');
    expect(loginPart('ﬁlippo')).to.equal('filippo');
  });

  it('keeps both family names of a double family name', () => {
    expect(baseLogin('Inès', 'Martin Dupont')).to.equal('ines.martindupont');
    expect(baseLogin('Lou', 'Le Gall--Kerjean')).to.equal('lou.legallkerjean');
  });

  it('cuts each part at 30 characters', () => {
    const forty = 'Montmorency-Laval-de-Saint-Exupéry-Bourbon'; // 42 characters
    const login = baseLogin(forty, forty);
    const [first, last] = login.split('.');
    expect(first).to.have.length(30).and.equal('montmorencylavaldesaintexupery');
    expect(last).to.equal(first);
    expect(loginProblem(login)).to.equal(null);
  });

  it('falls back to one part, then to a fixed base, when a name has no Latin letter', () => {
    expect(baseLogin('', 'Martin')).to.equal('martin');
    expect(baseLogin('Léa', '')).to.equal('lea');
    expect(baseLogin('Ирина', 'Martin')).to.equal('martin');
    expect(baseLogin('小明', '王')).to.equal(FALLBACK_BASE);
    expect(baseLogin("'-", '  ')).to.equal(FALLBACK_BASE);
    // One character is not a valid login.
    expect(baseLogin('', 'Ø')).to.equal(FALLBACK_BASE);
  });

  it('always produces logins that pass loginProblem', () => {
    const names = [['Éloïse', 'Lefèvre'], ['', 'O'], ['Ω', 'Ж'], ['1', '2'], ['__', '..'], ['x'.repeat(100), 'y'.repeat(100)]] as const;
    for (const [first, last] of names) expect(loginProblem(baseLogin(first, last)), `${first} ${last}`).to.equal(null);
  });

  it('counts candidates from 2', () => {
    const gen = loginCandidates('jean.dupont');
    expect([gen.next().value, gen.next().value, gen.next().value]).to.deep.equal(['jean.dupont', 'jean.dupont2', 'jean.dupont3']);
  });

  it('gives homonyms in one batch distinct logins, after the ones already taken', () => {
    const bases = ['lea.martin', 'lea.martin', 'paul.durand', 'lea.martin'];
    expect(pickLogins(bases, new Set())).to.deep.equal(['lea.martin', 'lea.martin2', 'paul.durand', 'lea.martin3']);
    expect(pickLogins(bases, new Set(['lea.martin', 'lea.martin3', 'paul.durand']))).to.deep.equal(['lea.martin2', 'lea.martin4', 'paul.durand2', 'lea.martin5']);
  });

  it('does not modify the taken set it is given', () => {
    const taken = new Set(['user']);
    expect(pickLogins(['user', 'user'], taken)).to.deep.equal(['user2', 'user3']);
    expect([...taken]).to.deep.equal(['user']);
  });

  it('refuses a base that is not a valid login, rather than producing a bad one', () => {
    expect(() => pickLogins(['Jean Dupont'], new Set())).to.throw(/generated login/);
  });
});
