/** The pure parts: FrEduCtRefId and FrEduRne parsing, identity mapping, connector config. */
import { expect } from 'chai';
import { platformFederationSchema, tenantConnectorSchema } from '../../src/federation/config.js';
import { academieIdentity, ACADEMIE_SAML_NAMES, parseRne } from '../../src/federation/profiles/academie.js';
import { EDUCONNECT_ATTRIBUTES, eduConnectIdentity, parseRefId, sameAcademyCode } from '../../src/federation/profiles/educonnect.js';

const routing = {
  tenantOfAcademyCode: (code: string) => (sameAcademyCode(code, '09') ? 'lille' : sameAcademyCode(code, '20') ? 'amiens' : null),
  externalIdPrefixes: (t: string) => [t.toUpperCase()],
};

describe('federation profiles', () => {
  it('parses FrEduCtRefId values the entcore way and refuses others', () => {
    expect(parseRefId('{AAF}09|ABC|1234567')).to.deep.equal({ academyCode: '09', aafId: '1234567' });
    expect(parseRefId('{AAF}9||42')).to.deep.equal({ academyCode: '9', aafId: '42' });
    for (const bad of ['09|X|1', '{AAF}09|X', '{AAF}xx|X|1', '{AAF}09|X|12 34', '{ONDE}09|X|1', '']) expect(parseRefId(bad), bad).to.equal(null);
  });

  it('maps an ÉduConnect parent with children in two académies to both external ids', () => {
    const id = eduConnectIdentity('educonnect', {
      [EDUCONNECT_ATTRIBUTES.id]: ['abc'], [EDUCONNECT_ATTRIBUTES.affiliation]: ['resp2d'],
      FrEduCtRefId: ['{AAF}009|X|11', '{AAF}20|X|22', '{AAF}31|X|33', 'garbage'],
    }, { ...EDUCONNECT_ATTRIBUTES }, routing, ['lille', 'amiens']);
    expect(id.subject).to.equal('abc');
    expect(id.kind).to.equal('parent');
    expect(id.match).to.deep.equal({ kind: 'externalId', candidates: [{ tenantId: 'lille', externalId: 'LILLE-11' }, { tenantId: 'amiens', externalId: 'AMIENS-22' }] });
    expect(id.auditDetails).to.include({ affiliation: 'resp2d' }).and.have.deep.property('unknownAcademies', ['31']);
  });

  it('parses FrEduRne and matches staff only on an académie e-mail of the IdP’s domains', () => {
    expect(parseRne('0590121L$UAJ$PU$DIR$0590121L$T3$LYC$3000')).to.deep.equal({ uai: '0590121L', fields: ['UAJ', 'PU', 'DIR', '0590121L', 'T3', 'LYC', '3000'] });
    expect(parseRne('nonsense$X')).to.equal(null);
    const staff = academieIdentity('lille-agents', 'lille', 'uid-1', { ctemail: ['Paul.Durand@AC-LILLE.FR'], FrEduRne: ['0590121L$UAJ$PU$ENS'] }, ACADEMIE_SAML_NAMES, ['ac-lille.fr']);
    expect(staff.match).to.deep.equal({ kind: 'academicEmail', tenantId: 'lille', email: 'paul.durand@ac-lille.fr' });
    expect(staff.structures?.map((s) => s.uai)).to.deep.equal(['0590121L']);
    const foreign = academieIdentity('lille-agents', 'lille', 'uid-2', { mail: ['someone@gmail.com'] }, ACADEMIE_SAML_NAMES, ['ac-lille.fr']);
    expect(foreign.match).to.equal(null);
  });

  it('validates disabled placeholder connectors and requires settings once enabled', () => {
    expect(tenantConnectorSchema.parse({ id: 'lille-agents', type: 'saml', displayName: 'X', enabled: false })).to.include({ profile: 'academie', linkOnly: true });
    const enabled = tenantConnectorSchema.safeParse({ id: 'lille-agents', type: 'saml', displayName: 'X', enabled: true });
    expect(enabled.success).to.equal(false);
    expect(JSON.stringify(enabled.error?.issues)).to.include('saml');
    expect(platformFederationSchema.parse({ connectors: [{ id: 'educonnect', type: 'saml', displayName: 'É', enabled: false }] }).connectors[0]).to.include({ profile: 'educonnect' });
    // Link only unless the connector says otherwise; `false` creates accounts (linking/provision.ts).
    expect(tenantConnectorSchema.parse({ id: 'x1', type: 'oidc', displayName: 'X', linkOnly: false })).to.deep.include({ linkOnly: false, accountCreation: { staffProfile: 'byFunction', teachingFunctions: ['ENS', 'DOC'] } });
    expect(tenantConnectorSchema.safeParse({ id: 'x1', type: 'oidc', displayName: 'X', linkOnly: 'no' }).success).to.equal(false);
    expect(tenantConnectorSchema.safeParse({ id: 'x1', type: 'oidc', displayName: 'X', accountCreation: { staffProfile: 'Student' } }).success).to.equal(false);
  });
});
