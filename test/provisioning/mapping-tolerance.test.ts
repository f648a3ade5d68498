/**
 * What real annuaires write that the SDET text does not: values kept where they can be kept
 * safely (with a warning when a human should look), quarantines with a clear reason where not.
 */
import { expect } from 'chai';
import type { MappingResult } from '../../src/provisioning/model.js';
import { BASE, entry, OTHER_SCHOOL, reason, school, SCHOOL, SCHOOL_KEY, value } from '../../testing/harness/sdet-mapping.js';
import { createSdetMapper } from '../../src/provisioning/sdet/mapping.js';
import { parseBirthDate, parseBoolean, parseJointure, parseUai } from '../../src/provisioning/sdet/parse.js';
import { hasUaiShape, isValidUai, wrongUaiCheckLetter } from '../../src/identity/uai.js';
import { tenantSchema } from '../../src/config/tenant-schema.js';

const PUPIL_DN = `uid=E1234567,ou=people,${BASE}`;

function warnings<T>(result: MappingResult<T>): string[] {
  if (!result.ok) throw new Error(`quarantined: ${result.quarantined.reason}`);
  return result.warnings ?? [];
}

const pupil = (extra: Record<string, string | string[]> = {}) => entry(PUPIL_DN, {
  objectClass: ['top', 'inetOrgPerson', 'ENTPerson', 'ENTEleve'],
  ENTPersonJointure: 'AC-LILLE$1234567',
  sn: 'Lefèvre',
  givenName: 'Éloïse',
  ENTPersonDateNaissance: '29/02/2012',
  ENTEleveINE: '123456789AB',
  ENTPersonStructRattach: SCHOOL,
  ENTEleveClasses: `${SCHOOL}$4B`,
  ...extra,
});

const mapper = createSdetMapper({ source: 'AC-LILLE' });
const strict = createSdetMapper({ source: 'AC-LILLE', strictUai: true });

describe('SDET mapping of real annuaires', () => {
  describe('UAI check letters', () => {
    it('tells a UAI-shaped value from a valid one', () => {
      expect(hasUaiShape('0590121X')).to.equal(true);
      expect(isValidUai('0590121X')).to.equal(false);
      expect(wrongUaiCheckLetter('0590121X')).to.equal('L');
      expect(wrongUaiCheckLetter('0590121L')).to.equal(null);
      expect(wrongUaiCheckLetter('059012L')).to.equal(null);
    });

    it('keeps a structure whose UAI has a wrong check letter, with a warning naming it', () => {
      const result = mapper.structure(school({ ENTStructureUAI: '0590121X' }));
      expect(value(result)).to.deep.equal({ dn: SCHOOL_KEY, externalId: 'LILLE-4321', uai: '0590121X', name: 'LYCÉE PROFESSIONNEL BAGGIO' });
      expect(warnings(result)).to.deep.equal([`structure ${SCHOOL}: ENTStructureUAI 0590121X has a wrong check letter (expected L)`]);
    });

    it('quarantines it in strict mode, saying which letter was expected', () => {
      expect(reason(strict.structure(school({ ENTStructureUAI: '0590121X' })))).to.equal('ENTStructureUAI 0590121X has a wrong check letter (expected L)');
      expect(value(strict.structure(school())).uai).to.equal('0590121L');
      expect(parseUai('0590121X', false)).to.deep.equal({ ok: true, value: '0590121X', warning: '0590121X has a wrong check letter (expected L)' });
    });

    it('reads a UAI written with spaces or in lower case; refuses one of the wrong shape in both modes', () => {
      expect(value(mapper.structure(school({ ENTStructureUAI: '0590121 l' }))).uai).to.equal('0590121L');
      for (const m of [mapper, strict]) expect(reason(m.structure(school({ ENTStructureUAI: 'RNE0590' })))).to.equal('ENTStructureUAI is not a UAI (7 digits and a letter)');
    });

    it('is an option of each directory source, off by default', () => {
      const source = (mapping: Record<string, unknown>) => ({
        id: 'AC-LILLE', type: 'ldap', url: 'ldap://localhost', bindDn: 'cn=hub', bindPassword: { env: 'LDAP_PASSWORD' },
        baseDn: { people: 'ou=people', structures: 'ou=structures', groups: 'ou=groups' }, mapping,
      });
      const tenant = (mapping: Record<string, unknown>) => tenantSchema.parse({ id: 'lille', name: 'Lille', academyCode: '09', directorySources: [source(mapping)] });
      expect(tenant({}).directorySources[0]!.mapping.strictUai).to.equal(false);
      expect(tenant({ strictUai: true }).directorySources[0]!.mapping.strictUai).to.equal(true);
    });
  });

  describe('structure jointures', () => {
    it('accepts a bare ENTStructureJointure as this source\'s id: the same external id as the prefixed form', () => {
      expect(value(mapper.structure(school({ ENTStructureJointure: '9000' }))).externalId).to.equal('LILLE-9000');
      expect(value(mapper.structure(school({ ENTStructureJointure: 'AC-LILLE$9000' }))).externalId).to.equal('LILLE-9000');
      const prefixOnly = createSdetMapper({ externalIdPrefix: 'LILLE' });
      expect(value(prefixOnly.structure(school({ ENTStructureJointure: '9000' }))).externalId).to.equal('LILLE-9000');
    });

    it('still refuses a jointure of another source, or of characters no id has', () => {
      expect(reason(mapper.structure(school({ ENTStructureJointure: 'AC-AMIENS$9000' })))).to.equal("ENTStructureJointure names source AC-AMIENS, not this directory's AC-LILLE");
      expect(reason(mapper.structure(school({ ENTStructureJointure: '9000 bis' })))).to.equal('ENTStructureJointure is not SOURCE$id');
    });

    it('does not accept a bare person jointure: it would become an ÉduConnect join key', () => {
      expect(reason(mapper.person(pupil({ ENTPersonJointure: '1234567' })))).to.equal('ENTPersonJointure is not SOURCE$id');
    });

    it('reads jointures with spaces around the $', () => {
      expect(parseJointure('AC-LILLE $ 1234567')).to.deep.equal({ ok: true, value: { source: 'AC-LILLE', id: '1234567' } });
      expect(value(mapper.person(pupil({ ENTPersonJointure: 'AC-LILLE $1234567' }))).externalId).to.equal('LILLE-1234567');
    });
  });

  describe('structures', () => {
    it('names a structure without ENTStructureNomCourant or ou after its UAI, with a warning', () => {
      const result = mapper.structure(school({ ENTStructureNomCourant: [], ou: [] }));
      expect(value(result).name).to.equal('0590121L');
      expect(warnings(result)).to.deep.equal([`structure ${SCHOOL}: has no ENTStructureNomCourant or ou: named after its UAI`]);
    });

    it('quarantines a structure with two different UAIs (its key in the store), not one repeating itself', () => {
      expect(reason(mapper.structure(school({ ENTStructureUAI: ['0590121L', '0620001X'] })))).to.equal('ENTStructureUAI has 2 different values');
      expect(value(mapper.structure(school({ ENTStructureUAI: ['0590121L', '0590121l'], ENTStructureJointure: ['AC-LILLE$4321', '4321'] })))).to.include({ uai: '0590121L', externalId: 'LILLE-4321' });
    });

    it('keeps a structure with two jointures under the lowest, whatever their order, with a warning', () => {
      for (const jointures of [['AC-LILLE$4322', 'AC-LILLE$4321'], ['AC-LILLE$4321', '4322']]) {
        const result = mapper.structure(school({ ENTStructureJointure: jointures }));
        expect(value(result).externalId).to.equal('LILLE-4321');
        expect(warnings(result)).to.deep.equal([`structure ${SCHOOL}: ENTStructureJointure has 2 different values: LILLE-4321 kept`]);
      }
    });

    it('collapses runs of spaces in names', () => {
      expect(value(mapper.structure(school({ ENTStructureNomCourant: 'LYCÉE  PROFESSIONNEL\u00a0BAGGIO' }))).name).to.equal('LYCÉE PROFESSIONNEL BAGGIO');
    });
  });

  describe('people', () => {
    it('keeps a pupil whose class reference does not parse, without the class, with a warning', () => {
      const result = mapper.person(pupil({ ENTEleveClasses: ['4B', `${SCHOOL}$4C`] }));
      expect(value(result).groups).to.deep.equal([{ structureDn: SCHOOL_KEY, kind: 'class', code: '4C' }]);
      expect(warnings(result)).to.deep.equal([`person ${PUPIL_DN}: ENTEleveClasses is not structureDN$code: value ignored`]);
    });

    it('keeps a person whose parent, child or structure DN does not parse, without the link', () => {
      const withParent = mapper.person(pupil({ ENTEleveParents: ['Sophie Lefèvre', `uid=P1,ou=people,${BASE}`] }));
      expect(value(withParent).parentDns).to.deep.equal([`uid=p1,ou=people,${BASE}`]);
      expect(warnings(withParent)).to.deep.equal([`person ${PUPIL_DN}: ENTEleveParents is not a DN: value ignored`]);
      const withStructure = mapper.person(pupil({ ENTPersonStructRattach: 'lycée Baggio' }));
      expect(value(withStructure)).to.deep.include({ mainStructureDn: null, structureDns: [SCHOOL_KEY] });
      expect(warnings(withStructure)).to.deep.equal([`person ${PUPIL_DN}: ENTPersonStructRattach is not a DN: value ignored`]);
      const parent = entry(`uid=P1,ou=people,${BASE}`, {
        objectClass: ['ENTPerson', 'ENTAuxPersRelEleve'], ENTPersonJointure: 'AC-LILLE$1', sn: 'Lefèvre', ENTAuxPersRelEleveEleve: ['Éloïse', PUPIL_DN],
      });
      expect(value(mapper.person(parent)).childDns).to.deep.equal([PUPIL_DN.toLowerCase()]);
    });

    it('does not quote the ignored value in the warning (minors\' data)', () => {
      expect(warnings(mapper.person(pupil({ ENTEleveParents: 'Sophie Lefèvre' }))).join()).not.to.include('Sophie');
    });

    it('takes the first of several ENTPersonStructRattach as the main structure, and keeps the others', () => {
      const person = value(mapper.person(pupil({ ENTPersonStructRattach: [SCHOOL, OTHER_SCHOOL] })));
      expect(person.mainStructureDn).to.equal(SCHOOL_KEY);
      expect(person.structureDns).to.deep.equal([SCHOOL_KEY, OTHER_SCHOOL.toLowerCase()]);
    });

    it('quarantines a pupil with two different INEs, not one INE written twice', () => {
      expect(reason(mapper.person(pupil({ ENTEleveINE: ['123456789AB', '123456789AC'] })))).to.equal('ENTEleveINE has 2 different values');
      expect(value(mapper.person(pupil({ ENTEleveINE: ['123456789AB', '123456789ab'] }))).ine).to.equal('123456789AB');
    });

    it('accepts one jointure written twice in two forms', () => {
      expect(value(mapper.person(pupil({ ENTPersonJointure: ['AC-LILLE$1234567', 'ac-lille$1234567'] }))).externalId).to.equal('LILLE-1234567');
    });

    it('collapses runs of spaces in names, cn included', () => {
      expect(value(mapper.person(pupil({ sn: 'de  La\u00a0Fontaine', givenName: 'Jean  Baptiste' })))).to.include({ lastName: 'de La Fontaine', firstName: 'Jean Baptiste' });
      expect(value(mapper.person(pupil({ sn: [], givenName: [], cn: 'DE LA  FONTAINE  Jean' })))).to.include({ lastName: 'DE LA FONTAINE', firstName: 'Jean' });
    });

    it('carries no warnings key when there is nothing to say', () => {
      const result = mapper.person(pupil());
      expect(result.ok && 'warnings' in result).to.equal(false);
    });
  });

  describe('birth dates', () => {
    it('reads the unambiguous forms annuaires write', () => {
      for (const [written, iso] of [
        ['1/9/2015', '2015-09-01'], ['01.09.2015', '2015-09-01'], ['01-09-2015', '2015-09-01'],
        ['2015-09-01', '2015-09-01'], ['20150901', '2015-09-01'], ['20150901000000Z', '2015-09-01'],
      ] as const) {
        expect(parseBirthDate(written), written).to.deep.equal({ ok: true, value: iso });
      }
      expect(value(mapper.person(pupil({ ENTPersonDateNaissance: '2012-02-29' }))).birthDate).to.equal('2012-02-29');
    });

    it('refuses 2-digit years, another time of day and impossible dates', () => {
      for (const bad of ['01/09/15', '20120228230000Z', '2015-02-30', '30.02.2015', '20150230']) expect(parseBirthDate(bad).ok, bad).to.equal(false);
    });
  });

  describe('booleans', () => {
    it('reads O/N and their spellings in full, in any case', () => {
      for (const yes of ['O', 'o', 'Oui', 'OUI', 'true', 'TRUE']) expect(parseBoolean(yes), yes).to.deep.equal({ ok: true, value: true });
      for (const no of ['N', 'n', 'Non', 'NON', 'false', 'FALSE']) expect(parseBoolean(no), no).to.deep.equal({ ok: true, value: false });
      expect(parseBoolean('X').ok).to.equal(false);
    });
  });
});
