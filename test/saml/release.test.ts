import { expect } from 'chai';
import { NAMEID_FORMATS, NAMEID_UNSPECIFIED } from '../../src/saml/idp/nameid.js';
import { garEligibility, RELEASE_POLICY_NAMES, releasePolicy } from '../../src/saml/idp/policies.js';
import { chooseNameId, NAME_FORMATS, releaseAttributes, type ReleasePolicy, type ReleaseSubject } from '../../src/saml/idp/release.js';
import { HubError } from '../../src/shared/errors.js';

const BASIC = NAME_FORMATS.basic;

/** A pupil of a GAR collège (0590121L) who also belongs to a school that does not use the GAR. */
const pupil: ReleaseSubject = {
  tenantId: 'lille',
  profile: 'Student',
  firstName: 'Léa',
  lastName: 'Martin',
  displayName: 'Léa Martin',
  email: 'lea.martin@example.fr',
  birthDate: '2013-04-02',
  ine: '1234567890A',
  pairwiseId: 'pairwise-lea',
  garPersonIdentifier: 'gar-lea',
  structures: [
    { uai: '0590121L', name: 'Collège Jean Jaurès', garProjectId: 'ENT-HDF' },
    { uai: '0801234A', name: 'Conservatoire', garProjectId: null },
  ],
  groups: [
    { kind: 'class', uai: '0590121L', code: '4B' },
    { kind: 'group', uai: '0590121L', code: 'LATIN' },
  ],
};

const teacher: ReleaseSubject = {
  ...pupil,
  profile: 'Teacher',
  firstName: 'Paul',
  lastName: 'Durand',
  displayName: 'Paul Durand',
  email: 'paul.durand@ac-lille.fr',
  birthDate: '1980-01-01',
  ine: null,
  pairwiseId: 'pairwise-paul',
  garPersonIdentifier: 'gar-paul',
  structures: [
    { uai: '0590121L', name: 'Collège Jean Jaurès', garProjectId: 'ENT-HDF' },
    { uai: '0590122M', name: 'Lycée Voltaire', garProjectId: 'ENT-HDF' },
  ],
  groups: [{ kind: 'class', uai: '0590121L', code: '4B' }, { kind: 'class', uai: '0590122M', code: '2NDE1' }],
};

function hubError(fn: () => unknown): HubError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(HubError);
    return err as HubError;
  }
  expect.fail('expected a HubError');
}

describe('saml/idp/release', () => {
  describe('the gar policy', () => {
    const gar = releasePolicy('gar');

    it('sends a pupil idEnt and GARPersonIdentifiant, nothing else', () => {
      expect(releaseAttributes(gar, pupil)).to.deep.equal([
        { name: 'idEnt', friendlyName: 'idEnt', nameFormat: BASIC, values: ['ENT-HDF'] },
        { name: 'GARPersonIdentifiant', friendlyName: 'GARPersonIdentifiant', nameFormat: BASIC, values: ['gar-lea'] },
      ]);
    });

    it('sends one idEnt for two GAR schools of the same project', () => {
      expect(releaseAttributes(gar, teacher)).to.deep.equal([
        { name: 'idEnt', friendlyName: 'idEnt', nameFormat: BASIC, values: ['ENT-HDF'] },
        { name: 'GARPersonIdentifiant', friendlyName: 'GARPersonIdentifiant', nameFormat: BASIC, values: ['gar-paul'] },
      ]);
    });

    it('refuses a person with no GAR school instead of releasing anything', () => {
      const outside = { ...pupil, structures: [{ uai: '0801234A', name: 'Conservatoire', garProjectId: null }] };
      for (const call of [() => releaseAttributes(gar, outside), () => garEligibility(outside), () => garEligibility({ ...pupil, structures: [] })]) {
        const err = hubError(call);
        expect(err).to.include({ code: 'gar_no_school', status: 403, expose: true });
        expect(err.message).to.equal('None of your schools gives access to the GAR resources, so they cannot be opened from your account.');
      }
    });

    it('lists the GAR schools of an eligible person', () => {
      expect(garEligibility(pupil).map((s) => s.uai)).to.deep.equal(['0590121L']);
    });

    it('sends a transient NameID unless the SP asks for the persistent one', () => {
      const first = chooseNameId(gar, null, pupil);
      expect(first.format).to.equal(NAMEID_FORMATS.transient);
      expect(first.value).to.match(/^[A-Za-z0-9_-]{27}$/);
      expect(chooseNameId(gar, NAMEID_UNSPECIFIED, pupil).value).to.not.equal(first.value);
      expect(chooseNameId(gar, NAMEID_FORMATS.persistent, pupil)).to.deep.equal({ format: NAMEID_FORMATS.persistent, value: 'pairwise-lea' });
    });
  });

  describe('the generic policy', () => {
    const generic = releasePolicy('generic');

    it('sends a pupil the pairwise id, the national profile, the UAIs and the classes, nothing else', () => {
      expect(releaseAttributes(generic, pupil)).to.deep.equal([
        { name: 'pairwiseId', nameFormat: BASIC, values: ['pairwise-lea'] },
        { name: 'profile', nameFormat: BASIC, values: ['National_1'] },
        { name: 'uai', nameFormat: BASIC, values: ['0590121L', '0801234A'] },
        { name: 'classes', nameFormat: BASIC, values: ['0590121L$4B'] },
      ]);
    });

    it('leaves out an attribute without values (a parent has no class)', () => {
      const parent: ReleaseSubject = { ...teacher, profile: 'Relative', groups: [] };
      expect(releaseAttributes(generic, parent).map((a) => [a.name, a.values])).to.deep.equal([
        ['pairwiseId', ['pairwise-paul']], ['profile', ['National_2']], ['uai', ['0590121L', '0590122M']],
      ]);
    });

    it('sends the persistent NameID by default', () => {
      expect(chooseNameId(generic, null, teacher)).to.deep.equal({ format: NAMEID_FORMATS.persistent, value: 'pairwise-paul' });
    });
  });

  it('no shipped policy sends a pupil\'s e-mail, birth date, INE or names', () => {
    const secrets = [pupil.email, pupil.birthDate, pupil.ine, pupil.firstName, pupil.lastName, pupil.displayName];
    for (const name of RELEASE_POLICY_NAMES) {
      const values = releaseAttributes(releasePolicy(name), pupil).flatMap((a) => a.values);
      for (const secret of secrets) expect(values, `${name} policy`).to.not.include(secret);
      expect(() => chooseNameId(releasePolicy(name), NAMEID_FORMATS.emailAddress, pupil), name).to.throw(HubError);
    }
  });

  it('refuses an unknown policy name, naming the known ones', () => {
    const err = hubError(() => releasePolicy('everything'));
    expect(err).to.include({ code: 'unknown_release_policy', status: 400 });
    expect(err.message).to.equal('There is no release policy named "everything"; the known ones are gar, generic.');
  });

  describe('a policy naming sensitive attributes', () => {
    const policy: ReleasePolicy = {
      name: 'school-life',
      nameIds: [{ format: 'persistent' }, { format: 'emailAddress' }],
      attributes: [
        { name: 'urn:oid:0.9.2342.19200300.100.1.3', friendlyName: 'mail', nameFormat: 'uri', source: 'email' },
        { name: 'birthDate', nameFormat: 'basic', source: 'birthDate' },
        { name: 'ine', nameFormat: 'basic', source: 'ine', minors: true },
        { name: 'givenName', nameFormat: 'basic', source: 'firstName', profiles: ['Teacher', 'Personnel'] },
        { name: 'groups', nameFormat: 'basic', source: 'groupCodes' },
      ],
    };

    it('sends a pupil only what says minors: true, and nothing the policy does not name', () => {
      expect(releaseAttributes(policy, pupil)).to.deep.equal([
        { name: 'ine', nameFormat: BASIC, values: ['1234567890A'] },
        { name: 'groups', nameFormat: BASIC, values: ['0590121L$LATIN'] },
      ]);
    });

    it('sends an adult every named attribute for their profile, with its name format', () => {
      expect(releaseAttributes(policy, teacher)).to.deep.equal([
        { name: 'urn:oid:0.9.2342.19200300.100.1.3', friendlyName: 'mail', nameFormat: NAME_FORMATS.uri, values: ['paul.durand@ac-lille.fr'] },
        { name: 'birthDate', nameFormat: BASIC, values: ['1980-01-01'] },
        { name: 'givenName', nameFormat: BASIC, values: ['Paul'] },
      ]);
    });

    it('sends an adult\'s e-mail as NameID, refuses a pupil\'s, an account without one and an unlisted format', () => {
      expect(chooseNameId(policy, NAMEID_FORMATS.emailAddress, teacher)).to.deep.equal({ format: NAMEID_FORMATS.emailAddress, value: 'paul.durand@ac-lille.fr' });
      const cases: Array<[ReleaseSubject, string, string]> = [
        [pupil, NAMEID_FORMATS.emailAddress, "a pupil's e-mail address is not sent"],
        [{ ...teacher, email: null }, NAMEID_FORMATS.emailAddress, 'the account has no e-mail address'],
        [teacher, NAMEID_FORMATS.transient, `${NAMEID_FORMATS.transient} is not among its formats`],
      ];
      for (const [subject, format, why] of cases) {
        const err = hubError(() => chooseNameId(policy, format, subject));
        expect(err).to.include({ code: 'nameid_format_refused', status: 400 });
        expect(err.message).to.equal(`The service asked for a name identifier that the "school-life" release policy does not send: ${why}.`);
      }
    });

    it('sends a pupil\'s e-mail NameID only when the policy says minors: true', () => {
      const allowing: ReleasePolicy = { ...policy, nameIds: [{ format: 'emailAddress', minors: true }] };
      expect(chooseNameId(allowing, null, pupil)).to.deep.equal({ format: NAMEID_FORMATS.emailAddress, value: 'lea.martin@example.fr' });
    });
  });
});
