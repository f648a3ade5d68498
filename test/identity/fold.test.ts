import { expect } from 'chai';
import fc from 'fast-check';
import { FOLD_LETTERS, FOLD_MAX_LENGTH, foldName } from '../../src/identity/fold.js';

describe('name fold', () => {
  it('drops case and accents: é, è, ê, ë, ç, à, ô, ù, ï, ÿ and their capitals', () => {
    expect(foldName('Lefèvre')).to.equal('lefevre');
    expect(foldName('LÉA MARTIN')).to.equal('lea martin');
    expect(foldName('François Çà')).to.equal('francois ca');
    expect(foldName('Hélène Noël Anaïs Jérôme Ÿvon Zoë Capucine-Aurélie')).to.equal('helene noel anais jerome yvon zoe capucine aurelie');
    expect(foldName('ÀÂÄÉÈÊËÎÏÔÖÙÛÜŸÇ')).to.equal('aaaeeeeiioouuuyc');
  });

  it('spells ligatures and letters NFD keeps whole as letters', () => {
    expect(foldName('Œillet Cœur')).to.equal('oeillet coeur');
    expect(foldName('Ærø Lætitia')).to.equal('aero laetitia');
    expect(foldName('Straße Łukasz Đorđe Þór')).to.equal('strasse lukasz dorde thor');
    for (const [letter, folded] of FOLD_LETTERS) expect(foldName(letter), letter).to.equal(folded);
  });

  it('drops accents stored apart from their letter (decomposed text)', () => {
    expect(foldName('Le\u0301a Zoe\u0308')).to.equal(foldName('Léa Zoë')).and.equal('lea zoe');
  });

  it('makes hyphens, apostrophes (straight and curly) and runs of spaces one space, none at the ends', () => {
    expect(foldName("N'Diaye")).to.equal('n diaye');
    expect(foldName('N’Diaye')).to.equal('n diaye');
    expect(foldName('Jean-Pierre')).to.equal('jean pierre');
    expect(foldName('  Jean -- Pierre \u00a0 Le\tGoff  ')).to.equal('jean pierre le goff');
    expect(foldName("  ' - ’ ")).to.equal('');
  });

  it('keeps what it does not name: other scripts, digits, % and _', () => {
    expect(foldName('Ирина 山田 100%_x')).to.equal('Ирина 山田 100%_x');
  });

  it('cuts at FOLD_MAX_LENGTH characters, counting code points', () => {
    expect(foldName('a'.repeat(FOLD_MAX_LENGTH + 50))).to.equal('a'.repeat(FOLD_MAX_LENGTH));
    expect([...foldName('😀'.repeat(FOLD_MAX_LENGTH + 1))]).to.have.length(FOLD_MAX_LENGTH);
    // Cut first, then trimmed: no key ends with a space.
    expect(foldName(`${'a'.repeat(FOLD_MAX_LENGTH - 1)} b`)).to.equal('a'.repeat(FOLD_MAX_LENGTH - 1));
  });

  it('is idempotent, and what it gives has no capital A-Z, no double space, no space at either end', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: fc.constantFrom('a', ' ', '-', 'É', '😀'), minLength: 190, maxLength: 230 })), (text) => {
      const folded = foldName(text);
      expect(foldName(folded)).to.equal(folded);
      expect(folded).to.not.match(/[A-Z]|  |^ | $/);
    }), { numRuns: 1000, seed: 15 });
  });
});
