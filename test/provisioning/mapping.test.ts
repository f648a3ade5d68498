import { expect } from 'chai';
import type { DirectoryEntry } from '../../src/provisioning/model.js';
import { BASE, entry, OTHER_SCHOOL, reason, school, SCHOOL, SCHOOL_KEY, value } from '../../testing/harness/sdet-mapping.js';
import { parseLdif } from '../../testing/sdet/ldif.js';
import { generateSdet } from '../../testing/sdet/sdet.js';
import { createSdetMapper, splitCommonName, type SdetMapper } from '../../src/provisioning/sdet/mapping.js';
import {
  cleanValue, defaultExternalIdPrefix, normalizeDn, parentDn, parseBirthDate, parseBoolean,
  parseGroupRef, parseJointure, parsePupilRelation, parseUai,
} from '../../src/provisioning/sdet/parse.js';



const pupil = (extra: Record<string, string | string[]> = {}) =>
  entry(`uid=E1234567,ou=people,${BASE}`, {
    objectClass: ['top', 'inetOrgPerson', 'ENTPerson', 'ENTEleve'],
    ENTPersonJointure: 'AC-LILLE$1234567',
    ENTPersonLogin: 'eloise.lefevre',
    cn: 'LEFÈVRE Éloïse',
    sn: 'Lefèvre',
    givenName: 'Éloïse',
    ENTPersonDateNaissance: '29/02/2012',
    ENTEleveINE: '123456789AB',
    ENTPersonStructRattach: SCHOOL,
    ENTEleveClasses: `${SCHOOL}$4B`,
    ENTEleveGroupes: [`${SCHOOL}$4B-ANG-LV1`, `${OTHER_SCHOOL}$OPT-LATIN`],
    ENTEleveStructRattachId: '4321',
    ENTElevePersRelEleve: ['2345678$10$1$1$1$1', '3456789$20$0$0$1$0', '4567890$39$1$1'],
    ENTEleveParents: [`uid=P2345678,ou=people,${BASE}`],
    ENTEleveAutoriteParentale: [`uid=P2345678, ou=people, ${BASE}`, `uid=P3456789,ou=people,${BASE}`],
    ENTPersonGARIdentifiant: '5AE4D2E8-7EAD-4BCB-AD15-6DD44B1CF030',
    ...extra,
  });

const staff = (classes: string[], extra: Record<string, string | string[]> = {}) =>
  entry(`uid=S1,ou=people,${BASE}`, {
    objectClass: ['inetOrgPerson', 'ENTPerson', ...classes],
    ENTPersonJointure: 'AC-LILLE$9000001',
    sn: 'Durand',
    givenName: 'Paul',
    mail: 'Paul.Durand@AC-LILLE.fr',
    ENTPersonStructRattach: SCHOOL,
    ...extra,
  });

describe('SDET parsers', () => {
  it('turns DD/MM/YYYY into ISO and refuses impossible dates', () => {
    expect(parseBirthDate('29/02/2012')).to.deep.equal({ ok: true, value: '2012-02-29' });
    expect(parseBirthDate('01/09/2015')).to.deep.equal({ ok: true, value: '2015-09-01' });
    // Unambiguous forms of real annuaires are read (mapping-tolerance.test.ts); these are not.
    for (const bad of ['31/02/2010', '29/02/2023', '31/04/2011', '00/01/2010', '12/13/2010', '01/09/15', '2015-9-1', '01/01/0099']) {
      expect(parseBirthDate(bad).ok, bad).to.equal(false);
    }
  });

  it('splits jointures and derives the external-id prefix from the source', () => {
    expect(parseJointure('AC-LILLE$1234567')).to.deep.equal({ ok: true, value: { source: 'AC-LILLE', id: '1234567' } });
    expect(defaultExternalIdPrefix('AC-LILLE')).to.equal('LILLE');
    expect(defaultExternalIdPrefix('AAF1D')).to.equal('AAF1D');
    for (const bad of ['1234567', 'AC-LILLE$', '$1234567', 'AC-LILLE$12$34', 'AC LILLE$1']) expect(parseJointure(bad).ok, bad).to.equal(false);
  });

  it('splits group refs on the last $, the DN keeping its commas and =', () => {
    expect(parseGroupRef(`${SCHOOL}$4B`, 'class')).to.deep.equal({ ok: true, value: { structureDn: SCHOOL_KEY, kind: 'class', code: '4B' } });
    expect(parseGroupRef(`${SCHOOL}$A$B`, 'group')).to.deep.include({ ok: true });
    expect((parseGroupRef(`${SCHOOL}$A$B`, 'group') as { value: { code: string } }).value.code).to.equal('B');
    for (const bad of ['4B', `${SCHOOL}$`, '$4B', 'not a dn$4B']) expect(parseGroupRef(bad, 'class').ok, bad).to.equal(false);
  });

  it('reads the 6 fields of ENTElevePersRelEleve, legal guardian in field 4', () => {
    expect(parsePupilRelation('2345678$10$1$1$1$0')).to.deep.equal({
      ok: true, value: { id: '2345678', relationType: '10', financial: true, legalGuardian: true, contact: true, payment: false },
    });
    expect(parsePupilRelation('3456789$20$0$0$1$0')).to.deep.include({ ok: true });
    expect((parsePupilRelation('3456789$20$0$0$1$0') as { value: { legalGuardian: boolean } }).value.legalGuardian).to.equal(false);
    for (const bad of ['4567890$39$1$1', '1$2$1$1$1$1$1', '1$2$1$x$1$1', '$10$1$1$1$1']) expect(parsePupilRelation(bad).ok, bad).to.equal(false);
  });

  it('reads O/N booleans and checks UAIs', () => {
    expect(parseBoolean('O')).to.deep.equal({ ok: true, value: true });
    expect(parseBoolean('n')).to.deep.equal({ ok: true, value: false });
    expect(parseBoolean('Peut-être').ok).to.equal(false);
    expect(parseUai('0590121l')).to.deep.equal({ ok: true, value: '0590121L' });
    expect(parseUai('0590121A').ok).to.equal(false);
    expect(parseUai('590121L').ok).to.equal(false);
  });

  it('trims values and refuses control characters, bad UTF-8 and over-long values', () => {
    expect(cleanValue('  Lefèvre ')).to.deep.equal({ ok: true, value: 'Lefèvre' });
    expect(cleanValue('Le\u0301fe\u0300vre')).to.deep.equal({ ok: true, value: 'Léfèvre' }); // NFD in, NFC out
    for (const bad of ['Dupont\n', 'Du\tpont', 'Du\u0000pont', 'Du\u0085pont', 'Du\u007fpont', 'Dupont\ufffd']) expect(cleanValue(bad).ok, JSON.stringify(bad)).to.equal(false);
    expect(cleanValue('é'.repeat(256)).ok).to.equal(true);
    expect(cleanValue('é'.repeat(257)).ok).to.equal(false);
    expect(cleanValue('x'.repeat(20), 10)).to.deep.equal({ ok: false, reason: 'is longer than 10 characters' });
  });

  it('normalises DNs for use as keys', () => {
    expect(normalizeDn('UID=E1 , OU=People,  DC=Ent-HDF,dc=fr')).to.deep.equal({ ok: true, value: 'uid=e1,ou=people,dc=ent-hdf,dc=fr' });
    expect(normalizeDn('cn=Dupont\\, Jean,ou=people')).to.deep.equal({ ok: true, value: 'cn=dupont\\, jean,ou=people' });
    expect(normalizeDn('cn=a\\ ,ou=x')).to.deep.equal({ ok: true, value: 'cn=a\\ ,ou=x' });
    expect(normalizeDn('cn=A + sn=B,ou=x')).to.deep.equal({ ok: true, value: 'cn=a+sn=b,ou=x' });
    expect(normalizeDn('sn=B+cn=A,ou=x')).to.deep.equal({ ok: true, value: 'cn=a+sn=b,ou=x' });
    for (const bad of ['', 'people', 'uid=,ou=x', '=x,ou=y', 'ou=x,,dc=y', 'uid=a,ou=x,,dc=y', 'uid=a,']) expect(normalizeDn(bad).ok, bad).to.equal(false);
    // Parents are normalised once and remembered: the same parent under another RDN gives the same key.
    expect(normalizeDn('uid=B,OU=People,  DC=Ent-HDF,dc=fr')).to.deep.equal({ ok: true, value: 'uid=b,ou=people,dc=ent-hdf,dc=fr' });
    expect(parentDn('cn=4b,ou=groups,dc=x')).to.equal('ou=groups,dc=x');
  });
});

describe('SDET mapping', () => {
  const mapper = createSdetMapper({ externalIdPrefix: 'LILLE' });

  describe('persons', () => {
    it('maps a pupil', () => {
      expect(value(mapper.person(pupil()))).to.deep.equal({
        dn: `uid=e1234567,ou=people,${BASE}`,
        externalId: 'LILLE-1234567',
        profile: 'Student',
        firstName: 'Éloïse',
        lastName: 'Lefèvre',
        birthDate: '2012-02-29',
        email: null,
        academicEmail: null,
        ine: '123456789AB',
        garId: '5ae4d2e8-7ead-4bcb-ad15-6dd44b1cf030',
        mainStructureDn: SCHOOL_KEY,
        structureDns: [SCHOOL_KEY, OTHER_SCHOOL.toLowerCase()],
        groups: [
          { structureDn: SCHOOL_KEY, kind: 'class', code: '4B' },
          { structureDn: SCHOOL_KEY, kind: 'group', code: '4B-ANG-LV1' },
          { structureDn: OTHER_SCHOOL.toLowerCase(), kind: 'group', code: 'OPT-LATIN' },
        ],
        // Field 4 = 1 only; the 4-field value is ignored.
        guardianExternalIds: ['LILLE-2345678'],
        // ENTEleveParents and ENTEleveAutoriteParentale, deduplicated once normalised.
        parentDns: [`uid=p2345678,ou=people,${BASE}`, `uid=p3456789,ou=people,${BASE}`],
        childDns: [],
      });
    });

    it('reads attribute names in any case', () => {
      const lower = entry(`UID=E1234567,OU=people,${BASE}`, {
        objectclass: ['entperson', 'ENTELEVE'],
        entpersonjointure: 'AC-LILLE$1234567',
        SN: 'Lefèvre',
        GIVENNAME: 'Éloïse',
        entpersondatenaissance: '29/02/2012',
        enteleveclasses: `${SCHOOL}$4B`,
      });
      const person = value(mapper.person(lower));
      expect(person).to.include({ externalId: 'LILLE-1234567', profile: 'Student', firstName: 'Éloïse', lastName: 'Lefèvre', birthDate: '2012-02-29' });
      expect(person.dn).to.equal(`uid=e1234567,ou=people,${BASE}`);
      expect(person.groups).to.deep.equal([{ structureDn: SCHOOL_KEY, kind: 'class', code: '4B' }]);
    });

    it('maps a parent with the DNs of the children', () => {
      const parent = entry(`uid=P2345678,ou=people,${BASE}`, {
        objectClass: ['ENTPerson', 'ENTAuxPersRelEleve'],
        ENTPersonJointure: 'AC-LILLE$2345678',
        sn: 'Lefèvre', givenName: 'Sophie',
        mail: 'sophie.lefevre@example.org',
        ENTAuxPersRelEleveEleve: [`uid=E1234567,ou=people,${BASE}`],
      });
      expect(value(mapper.person(parent))).to.deep.include({
        profile: 'Relative', email: 'sophie.lefevre@example.org', academicEmail: null, childDns: [`uid=e1234567,ou=people,${BASE}`], structureDns: [],
      });
    });

    describe('the profile table', () => {
      const profileOf = (classes: string[], extra?: Record<string, string | string[]>) => value(mapper.person(staff(classes, extra))).profile;

      it('gives Teacher to teachers, Personnel to other staff, Guest to external persons', () => {
        expect(profileOf(['ENTAuxEnseignant'])).to.equal('Teacher');
        expect(profileOf(['ENTAuxNonEnsEtab'])).to.equal('Personnel');
        expect(profileOf(['ENTAuxNonEnsServAc'])).to.equal('Personnel');
        expect(profileOf(['ENTAuxNonEnsCollLoc'])).to.equal('Personnel');
        expect(profileOf(['ENTAuxPersExt'])).to.equal('Guest');
      });

      it('makes staff with a teaching or library function Teacher', () => {
        const fn = (code: string) => ({ ENTPersonFonctions: [`${SCHOOL}$DIR$DIRECTION$-$-`, `${SCHOOL}$${code}$LIBELLE$L0201$ANGLAIS`] });
        expect(profileOf(['ENTAuxNonEnsEtab'], fn('ENS'))).to.equal('Teacher');
        expect(profileOf(['ENTAuxNonEnsEtab'], fn('DOC'))).to.equal('Teacher');
        expect(profileOf(['ENTAuxNonEnsEtab'], fn('EDU'))).to.equal('Personnel');
        expect(profileOf(['entauxnonensetab'], { entpersonfonctions: `${SCHOOL}$ens$X` })).to.equal('Teacher');
      });

      it('takes the first class in priority order, but reads the fields of all of them', () => {
        expect(profileOf(['ENTEleve', 'ENTAuxPersExt'])).to.equal('Student');
        const teacherParent = value(mapper.person(staff(['ENTAuxPersRelEleve', 'ENTAuxEnseignant'], {
          ENTAuxPersRelEleveEleve: `uid=E1234567,ou=people,${BASE}`,
          ENTAuxEnsClasses: `${SCHOOL}$4B`,
        })));
        expect(teacherParent.profile).to.equal('Teacher');
        expect(teacherParent.childDns).to.deep.equal([`uid=e1234567,ou=people,${BASE}`]);
        expect(teacherParent.groups).to.deep.equal([{ structureDn: SCHOOL_KEY, kind: 'class', code: '4B' }]);
      });

      it('quarantines an entry without a profile class', () => {
        expect(reason(mapper.person(staff([])))).to.match(/objectClass has no person profile class/);
      });
    });

    it('maps a teacher: classes, groups, académie e-mail', () => {
      const teacher = value(mapper.person(staff(['ENTAuxEnseignant'], {
        ENTAuxEnsClasses: [`${SCHOOL}$4B`, `${SCHOOL}$3A`],
        ENTAuxEnsGroupes: `${OTHER_SCHOOL}$LATIN`,
      })));
      expect(teacher).to.deep.include({ profile: 'Teacher', email: 'paul.durand@ac-lille.fr', academicEmail: 'paul.durand@ac-lille.fr' });
      expect(teacher.structureDns).to.deep.equal([SCHOOL_KEY, OTHER_SCHOOL.toLowerCase()]);
      expect(teacher.groups.map((g) => `${g.kind}:${g.code}`)).to.deep.equal(['class:4B', 'class:3A', 'group:LATIN']);
    });

    it('takes the académie e-mail only from an académie domain, and only for staff', () => {
      expect(value(mapper.person(staff(['ENTAuxNonEnsEtab'], { mail: 'p.durand@ac-amiens.fr' }))).academicEmail).to.equal('p.durand@ac-amiens.fr');
      expect(value(mapper.person(staff(['ENTAuxNonEnsServAc'], { mail: 'p.durand@dsden59.ac-lille.fr' }))).academicEmail).to.equal('p.durand@dsden59.ac-lille.fr');
      expect(value(mapper.person(staff(['ENTAuxEnseignant'], { mail: 'p.durand@gmail.com' })))).to.include({ academicEmail: null, email: 'p.durand@gmail.com' });
      expect(value(mapper.person(staff(['ENTAuxEnseignant'], { mail: 'p.durand@not-ac-lille.fr' }))).academicEmail).to.equal(null);
      expect(value(mapper.person(staff(['ENTAuxPersExt'], { mail: 'p.durand@ac-lille.fr' }))).academicEmail).to.equal(null);
      expect(value(mapper.person(staff(['ENTEleve', 'ENTAuxEnseignant'], { mail: 'p.durand@ac-lille.fr' }))).academicEmail).to.equal(null);
      const custom = createSdetMapper({ externalIdPrefix: 'LILLE', academicDomains: ['education.gouv.fr'] });
      expect(value(custom.person(staff(['ENTAuxEnseignant'], { mail: 'p.durand@education.gouv.fr' }))).academicEmail).to.equal('p.durand@education.gouv.fr');
      expect(value(custom.person(staff(['ENTAuxEnseignant']))).academicEmail).to.equal(null);
    });

    it('falls back to ENTPersonMailDiffusion and drops an unusable address', () => {
      expect(value(mapper.person(pupil({ ENTPersonMailDiffusion: 'eloise@example.org' }))).email).to.equal('eloise@example.org');
      expect(value(mapper.person(pupil({ mail: 'pas une adresse', ENTPersonMailDiffusion: 'eloise@example.org' }))).email).to.equal('eloise@example.org');
      expect(value(mapper.person(pupil({ mail: 'pas une adresse' }))).email).to.equal(null);
    });

    describe('names', () => {
      const named = (names: Record<string, string>) => {
        const attrs = { ...pupil().attributes };
        delete attrs.sn;
        delete attrs.givenName;
        delete attrs.cn;
        return mapper.person({ dn: pupil().dn, attributes: { ...attrs, ...Object.fromEntries(Object.entries(names).map(([k, v]) => [k, [v]])) } });
      };

      it('completes a missing givenName or sn from cn', () => {
        expect(value(named({ sn: 'de La Fontaine', cn: 'DE LA FONTAINE Jean-Baptiste' }))).to.include({ firstName: 'Jean-Baptiste', lastName: 'de La Fontaine' });
        expect(value(named({ givenName: 'Aïssatou', cn: "Aïssatou N'DIAYE" }))).to.include({ firstName: 'Aïssatou', lastName: "N'DIAYE" });
        expect(value(named({ cn: 'MARTIN DUPONT Inès' }))).to.include({ firstName: 'Inès', lastName: 'MARTIN DUPONT' });
        expect(value(named({ cn: 'Jean-Baptiste DE LA FONTAINE' }))).to.include({ firstName: 'Jean-Baptiste', lastName: 'DE LA FONTAINE' });
      });

      it('accepts a family name alone, and quarantines an entry with no name', () => {
        expect(value(named({ sn: 'Nguyen', cn: 'Nguyen' }))).to.include({ firstName: '', lastName: 'Nguyen' });
        expect(reason(named({}))).to.match(/missing sn and givenName/);
        expect(reason(named({ cn: 'TEST TEST' }))).to.match(/cn cannot be split/);
        expect(reason(named({ givenName: 'Léa', cn: 'Someone Else' }))).to.match(/missing sn/);
      });

      it('splits cn by the capitals convention', () => {
        expect(splitCommonName('DUPONT Jean', {})).to.deep.equal({ firstName: 'Jean', lastName: 'DUPONT' });
        expect(splitCommonName('Jean Dupont', {})).to.equal(null);
        expect(splitCommonName('Dupont JEAN Paul', {})).to.equal(null);
        expect(splitCommonName('DUPONT Jean', { lastName: 'Dupont' })).to.deep.equal({ firstName: 'Jean', lastName: 'Dupont' });
      });
    });

    describe('quarantine', () => {
      const cases: Array<[string, Record<string, string | string[]>, RegExp]> = [
        ['no jointure', { ENTPersonJointure: [] }, /^missing ENTPersonJointure$/],
        ['a bad jointure', { ENTPersonJointure: '1234567' }, /^ENTPersonJointure is not SOURCE\$id$/],
        ['an impossible birth date', { ENTPersonDateNaissance: '31/02/2010' }, /^ENTPersonDateNaissance is not an existing date$/],
        ['a birth date with a 2-digit year', { ENTPersonDateNaissance: '01/02/10' }, /^ENTPersonDateNaissance is not a date DD\/MM\/YYYY$/],
        ['a bad INE', { ENTEleveINE: '12345' }, /^ENTEleveINE is not an INE/],
        ['a control character', { sn: 'Lef\u0000èvre' }, /^sn contains a control character$/],
        ['a newline', { givenName: 'Éloïse\r\n' }, /^givenName contains a control character$/],
        ['an over-long value', { ENTEleveClasses: `${SCHOOL}$${'X'.repeat(300)}` }, /^ENTEleveClasses is longer than 256 characters$/],
        // Bad references (class, structure, parent DNs) cost a link, not the account: mapping-tolerance.test.ts.
        ['two different jointures', { ENTPersonJointure: ['AC-LILLE$1234567', 'AC-LILLE$7654321'] }, /^ENTPersonJointure has 2 different values$/],
      ];
      for (const [what, extra, expected] of cases) {
        it(`quarantines ${what}, naming the attribute`, () => {
          const result = mapper.person(pupil(extra));
          expect(reason(result)).to.match(expected);
          expect(result.ok === false && result.quarantined.dn).to.equal(`uid=E1234567,ou=people,${BASE}`);
        });
      }

      it('names the attribute as the server spelled it', () => {
        const e = pupil();
        delete e.attributes.ENTPersonDateNaissance;
        e.attributes.entpersondatenaissance = ['30/02/2012'];
        expect(reason(mapper.person(e))).to.equal('entpersondatenaissance is not an existing date');
      });

      it('does not quote values in reasons', () => {
        expect(reason(mapper.person(pupil({ ENTEleveINE: 'SECRET' })))).not.to.include('SECRET');
      });

      it('honours a configured maximum length', () => {
        const short = createSdetMapper({ externalIdPrefix: 'LILLE', maxValueLength: 5 });
        expect(reason(short.person(pupil()))).to.match(/is longer than 5 characters/);
      });

      it('ignores attributes it does not read', () => {
        expect(mapper.person(pupil({ jpegPhoto: '\u0000\u0001binary', ENTEleveMEF: 'x'.repeat(1000) })).ok).to.equal(true);
      });
    });

    it('refuses a jointure from another source when the source is configured', () => {
      const strict = createSdetMapper({ source: 'AC-LILLE' });
      expect(value(strict.person(pupil())).externalId).to.equal('LILLE-1234567');
      expect(reason(strict.person(pupil({ ENTPersonJointure: 'AC-AMIENS$1234567' })))).to.equal("ENTPersonJointure names source AC-AMIENS, not this directory's AC-LILLE");
      const amiens = createSdetMapper({ source: 'AC-AMIENS', externalIdPrefix: 'AMIENS' });
      expect(value(amiens.person(pupil({ ENTPersonJointure: 'ac-amiens$77' }))).externalId).to.equal('AMIENS-77');
    });

    it('reads renamed attributes from tenant overrides, per class', () => {
      const renamed = createSdetMapper({
        externalIdPrefix: 'LILLE',
        overrides: { ENTEleve: { ENTEleveClasses: 'ESCOClasses', mail: ['ENTPersonMailDiffusion'] }, '*': { ENTPersonDateNaissance: 'birthDate' } },
      });
      const e = pupil({ ESCOClasses: `${SCHOOL}$TS2`, mail: 'ignored@example.org', ENTPersonMailDiffusion: 'eloise@example.org', birthDate: '01/01/2012' });
      const person = value(renamed.person(e));
      expect(person.groups.filter((g) => g.kind === 'class')).to.deep.equal([{ structureDn: SCHOOL_KEY, kind: 'class', code: 'TS2' }]);
      expect(person.email).to.equal('eloise@example.org');
      expect(person.birthDate).to.equal('2012-01-01');
      // The reason names the attribute actually read.
      const missing = createSdetMapper({ externalIdPrefix: 'LILLE', overrides: { ENTPerson: { ENTPersonJointure: 'uid' } } });
      expect(reason(missing.person(entry('uid=x,ou=people', { objectClass: ['ENTPerson', 'ENTAuxPersExt'], sn: 'X' })))).to.equal('missing uid');
    });

    it('refuses bad configuration early', () => {
      expect(() => createSdetMapper({ externalIdPrefix: 'LILLE', overrides: { ENTEleve: { ENTEleveClase: 'x' } } })).to.throw(/ENTEleveClase is not an attribute/);
      expect(() => createSdetMapper({})).to.throw(/externalIdPrefix/);
      expect(() => createSdetMapper({ externalIdPrefix: 'LILLE$' })).to.throw(/externalIdPrefix/);
    });
  });

  describe('structures', () => {
    it('maps a school', () => {
      expect(value(mapper.structure(school()))).to.deep.equal({ dn: SCHOOL_KEY, externalId: 'LILLE-4321', uai: '0590121L', name: 'LYCÉE PROFESSIONNEL BAGGIO' });
    });

    it('falls back to the UAI as external id and to ou as name', () => {
      expect(value(mapper.structure(school({ ENTStructureJointure: [], ENTStructureNomCourant: [] })))).to.include({ externalId: '0590121L', name: 'LYC BAGGIO' });
    });

    it('quarantines a bad or missing UAI, and a non-structure', () => {
      expect(reason(mapper.structure(school({ ENTStructureUAI: '590121L' })))).to.equal('ENTStructureUAI is not a UAI (7 digits and a letter)');
      // A wrong check letter alone is a warning unless strictUai (mapping-tolerance.test.ts).
      expect(reason(createSdetMapper({ externalIdPrefix: 'LILLE', strictUai: true }).structure(school({ ENTStructureUAI: '0590121A' }))))
        .to.equal('ENTStructureUAI 0590121A has a wrong check letter (expected L)');
      expect(reason(mapper.structure(school({ ENTStructureUAI: [] })))).to.equal('missing ENTStructureUAI');
      expect(reason(mapper.structure(pupil()))).to.match(/^objectClass has none of ENTStructure/);
    });
  });

  describe('groups', () => {
    const group = (objectClass: string, dn: string, extra: Record<string, string | string[]> = {}) =>
      entry(dn, { objectClass: ['groupOfNames', objectClass], cn: '4B', description: '4e B', member: `uid=E1234567,ou=people,${BASE}`, ...extra });

    it('maps classes and groups, the structure from seeAlso', () => {
      expect(value(mapper.group(group('ENTClasse', `cn=4B,ou=groups,${BASE}`, { seeAlso: SCHOOL })))).to.deep.equal({
        dn: `cn=4b,ou=groups,${BASE}`, structureDn: SCHOOL_KEY, kind: 'class', code: '4B', name: '4e B',
      });
      expect(value(mapper.group(group('entgroupe', `cn=LATIN,ou=groups,${BASE}`, { SEEALSO: SCHOOL, cn: 'LATIN', description: [] })))).to.include({ kind: 'group', code: 'LATIN', name: 'LATIN' });
    });

    it('uses the parent DN when groups are nested under their structure, never ou=groups', () => {
      expect(value(mapper.group(group('ENTClasse', `cn=4B,${SCHOOL}`))).structureDn).to.equal(SCHOOL_KEY);
      expect(reason(mapper.group(group('ENTClasse', `cn=4B,ou=groups,${BASE}`)))).to.equal("missing seeAlso (the DN of the group's structure)");
    });

    it('reads the structure from a configured attribute', () => {
      const custom = createSdetMapper({ externalIdPrefix: 'LILLE', groupStructureAttribute: 'ENTGroupeStructure' });
      expect(value(custom.group(group('ENTClasse', `cn=4B,ou=groups,${BASE}`, { entgroupestructure: SCHOOL }))).structureDn).to.equal(SCHOOL_KEY);
    });

    it('quarantines a group without code or with a bad structure DN, and other group classes', () => {
      expect(reason(mapper.group(group('ENTClasse', `cn=4B,ou=groups,${BASE}`, { seeAlso: SCHOOL, cn: [] })))).to.equal('missing cn');
      expect(reason(mapper.group(group('ENTClasse', `cn=4B,ou=groups,${BASE}`, { seeAlso: 'lycée' })))).to.equal('seeAlso is not a DN');
      expect(reason(mapper.group(group('ENTProfil', `cn=ELEVES,ou=groups,${BASE}`)))).to.match(/^objectClass has none of ENTClasse, ENTGroupe/);
    });
  });

  describe('the attributes asked of the directory', () => {
    const kindOf = (dn: string): 'structure' | 'group' | 'person' | null =>
      /,ou=people,/i.test(dn) ? 'person' : /,ou=structures,/i.test(dn) ? 'structure' : /,ou=groups,/i.test(dn) ? 'group' : null;
    /** The entry as a server answers a search for `names` (matched without case, as LDAP does). */
    const project = (e: DirectoryEntry, names: string[]): DirectoryEntry => {
      const wanted = new Set(names.map((n) => n.toLowerCase()));
      return { dn: e.dn, attributes: Object.fromEntries(Object.entries(e.attributes).filter(([n]) => wanted.has(n.toLowerCase()))) };
    };
    const sameMapping = (m: SdetMapper, entries: DirectoryEntry[]) => {
      let compared = 0;
      for (const e of entries) {
        const kind = kindOf(e.dn);
        if (!kind) continue;
        expect(m[kind](project(e, m.attributes(kind))), e.dn).to.deep.equal(m[kind](e));
        if (kind === 'person') expect(m.personExternalId(project(e, m.attributes(kind))), e.dn).to.equal(m.personExternalId(e));
        compared += 1;
      }
      return compared;
    };
    // Generated entries carry what an annuaire holds besides (logins, sex, MEF, patronyms…), and bad ones.
    const generated = parseLdif([...generateSdet({ entries: 400, bad: 40, seed: 7, suffix: BASE })].join(''))
      .map((r): DirectoryEntry => ({ dn: r.dn, attributes: Object.fromEntries(r.attributes) }));

    it('are enough to map every entry as the whole entry maps, quarantines included', () => {
      expect(sameMapping(mapper, generated)).to.be.greaterThan(440);
      expect(mapper.attributes('person')).to.include.members(['objectClass', 'modifyTimestamp', 'ENTPersonJointure', 'cn', 'ENTPersonFonctions']);
      expect(mapper.attributes('person')).not.to.include.members(['ENTPersonLogin']);
      expect(mapper.attributes('person').map((a) => a.toLowerCase())).not.to.include.members(['entpersonsexe', 'entelevemef', 'userpassword', '*']);
    });

    it('follow the renames of the configuration, and the group structure attribute', () => {
      const renamed = createSdetMapper({
        externalIdPrefix: 'LILLE',
        overrides: { ENTEleve: { ENTEleveClasses: 'ESCOClasses' }, '*': { ENTPersonDateNaissance: 'birthDate' } },
        groupStructureAttribute: 'ENTGroupeStructure',
      });
      expect(renamed.attributes('person')).to.include.members(['ESCOClasses', 'birthDate', 'ENTEleveClasses', 'ENTPersonDateNaissance']);
      expect(renamed.attributes('group')).to.include('ENTGroupeStructure');
      const e = pupil({ ESCOClasses: `${SCHOOL}$TS2`, birthDate: '01/01/2012', ENTPersonSexe: 'F' });
      expect(value(renamed.person(project(e, renamed.attributes('person'))))).to.deep.equal(value(renamed.person(e)));
      sameMapping(renamed, generated);
    });
  });
});
