import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/config/load.js';
import { loadTenants } from '../../src/config/tenants.js';
import { ConfigError } from '../../src/shared/errors.js';

const tenant = (id: string, academyCode: string, extra = '') => `id: ${id}\nname: Académie ${id}\nacademyCode: "${academyCode}"\n${extra}`;

function issuesOf(dir: string): string[] {
  try {
    loadTenants(dir);
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as ConfigError).message).to.match(/^tenants is invalid:/);
    return (err as ConfigError).issues;
  }
  expect.fail('expected a ConfigError');
}

describe('config/tenants', () => {
  let dir: string;
  const write = (name: string, text: string) => writeFileSync(join(dir, name), text);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-tenants-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('loads the shipped tenants: amiens (20) and lille (09)', () => {
    const tenants = loadTenants(join(PROJECT_ROOT, 'tenants'));
    expect(tenants.map((t) => [t.id, t.academyCode])).to.deep.equal([['amiens', '20'], ['lille', '09']]);
    const lille = tenants.find((t) => t.id === 'lille')!;
    expect(lille.name).to.equal('Académie de Lille');
    expect(lille.directorySources).to.have.length(1);
    expect(lille.directorySources[0]).to.deep.include({
      id: 'AC-LILLE', type: 'ldap', url: 'ldaps://annuaire.ac-lille.example:636', enabled: false,
      bindPassword: { env: 'LILLE_LDAP_PASSWORD' }, pageSize: 500, maxDisappearedShare: 0.05, disappearedGraceDays: 90,
    });
    expect(lille.directorySources[0]!.baseDn.people).to.equal('ou=people,dc=ac-lille,dc=fr');
    expect(lille.connectors.map((c) => [c.id, c.type, c.enabled])).to.deep.equal([['lille-agents', 'saml', false]]);
  });

  it('applies defaults, accepts .yml, ignores other files and sorts by file name', () => {
    write('b.yml', tenant('zeta', '123'));
    write('a.yaml', tenant('alpha', '01', 'connectors:\n  - id: alpha-idp\n    type: oidc\n    displayName: IdP\n'));
    write('README.md', '# not a tenant: [');
    const tenants = loadTenants(dir);
    expect(tenants.map((t) => t.id)).to.deep.equal(['alpha', 'zeta']);
    expect(tenants[0]!.directorySources).to.deep.equal([]);
    expect(tenants[0]!.connectors[0]!.enabled).to.equal(false);
  });

  it('reports every problem of every file in one ConfigError, each with its file name', () => {
    write('a-unknown.yaml', tenant('arras', '61', 'region: HDF\n'));
    write('b-bad-id.yaml', tenant('Bad_Id', '62'));
    write('c-no-code.yaml', 'id: calais\nname: Calais\n');
    write('d-invalid.yaml', 'id: douai\nname: [Douai\n');
    write('e-bad-source.yaml', tenant('evin', '63', 'directorySources:\n  - id: ac-evin\n    type: ad\n    url: http://x\n'));
    const issues = issuesOf(dir);
    const of = (file: string) => issues.filter((i) => i.includes(file));
    expect(of('a-unknown.yaml')).to.have.length(1);
    expect(of('a-unknown.yaml')[0]).to.include('region');
    expect(of('b-bad-id.yaml')).to.have.length(1);
    expect(of('b-bad-id.yaml')[0]).to.match(/b-bad-id\.yaml: id: /);
    expect(of('c-no-code.yaml')).to.have.length(1);
    expect(of('c-no-code.yaml')[0]).to.match(/c-no-code\.yaml: academyCode: /);
    expect(of('d-invalid.yaml').length).to.be.greaterThan(0);
    expect(of('e-bad-source.yaml').map((i) => i.replace(/^.*?: /, '').split(':')[0])).to.have.members([
      'directorySources.0.id', 'directorySources.0.type', 'directorySources.0.url',
      'directorySources.0.bindDn', 'directorySources.0.bindPassword', 'directorySources.0.baseDn',
    ]);
    expect(issues.every((i) => /^\S*\.yaml: /.test(i)), issues.join('\n')).to.equal(true);
  });

  it('reads the gar section and reports its problems with their path', () => {
    write('a.yaml', tenant('arras', '61', 'gar:\n  projectId: ENT-HDF\n  structures: [0590121L]\n  identifierKey: { env: ARRAS_GAR_KEY }\n'));
    expect(loadTenants(dir)[0]!.gar).to.deep.equal({ projectId: 'ENT-HDF', structures: ['0590121L'], identifierKey: { env: 'ARRAS_GAR_KEY' } });
    write('b.yaml', tenant('bapaume', '62', 'gar:\n  projectId: ENT-HDF\n  structures: [59121]\n  identifierKey: { env: K }\n'));
    expect(issuesOf(dir)).to.have.length(1);
    expect(issuesOf(dir)[0]).to.match(/^b\.yaml: gar\.structures/);
  });

  it('refuses a one-digit academy code', () => {
    write('x.yaml', tenant('xtenant', '9'));
    expect(issuesOf(dir)).to.deep.equal(['x.yaml: academyCode: 2 or 3 digits']);
  });

  it('refuses an id or an academy code used by two files (09 and 009 are the same code)', () => {
    write('a.yaml', tenant('lille', '09'));
    write('b.yaml', tenant('lille', '20'));
    write('c.yaml', tenant('nord', '009'));
    const issues = issuesOf(dir);
    expect(issues).to.have.length(2);
    expect(issues.some((i) => /id lille is already used in/.test(i)), issues.join('\n')).to.equal(true);
    expect(issues.some((i) => /academyCode 9 is already used in/.test(i)), issues.join('\n')).to.equal(true);
  });

  it('names both files of a duplicate id', () => {
    write('a.yaml', tenant('lille', '09'));
    write('b.yaml', tenant('lille', '20'));
    const issues = issuesOf(dir);
    expect(issues).to.have.length(1);
    expect(issues[0]).to.include('a.yaml').and.include('b.yaml');
  });

  it('reports cross-file duplicates together with the broken files', () => {
    write('a.yaml', tenant('lille', '09'));
    write('b.yaml', tenant('lille', '21'));
    write('c.yaml', tenant('roubaix', '90', 'foo: 1\n'));
    write('d.yaml', ': : :\n  - [');
    const issues = issuesOf(dir);
    expect(issues.some((i) => i.includes('already used'))).to.equal(true, issues.join('\n'));
    expect(issues.some((i) => i.startsWith('c.yaml: '))).to.equal(true, issues.join('\n'));
    expect(issues.some((i) => i.includes('d.yaml'))).to.equal(true, issues.join('\n'));
  });

  it('refuses a folder without tenant files', () => {
    expect(issuesOf(dir)).to.deep.equal([`${dir}: no tenant file (*.yaml)`]);
    write('notes.txt', 'id: x');
    expect(issuesOf(dir)).to.deep.equal([`${dir}: no tenant file (*.yaml)`]);
  });

  it('refuses a folder that does not exist', () => {
    const missing = join(dir, 'nope');
    expect(issuesOf(missing)).to.deep.equal([`${missing}: folder cannot be read`]);
  });

  it('refuses an empty tenant file', () => {
    write('empty.yaml', '');
    const issues = issuesOf(dir);
    expect(issues.length).to.be.greaterThan(0);
    expect(issues.every((i) => i.startsWith('empty.yaml: '))).to.equal(true, issues.join('\n'));
  });
});
