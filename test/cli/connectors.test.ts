/**
 * `hub connectors add|list|remove` as an operator runs them: the real CLI in a child process on
 * a temporary SQLite file. Bad input gets every problem with its path and exit 1, usage
 * mistakes exit 2, and nothing is written by a refused command.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { openSqlStore } from '../../src/storage/sql/database.js';
import { CliSandbox, expectFailure, expectUsageError } from '../../testing/harness/cli.js';

const OIDC = [
  'id: lille-fim',
  'type: oidc',
  'displayName: FIM Lille',
  'enabled: true',
  'linkOnly: false',
  'oidc:',
  '  issuer: https://fim.ac-lille.example',
  '  clientId: ent-hub',
  '  clientSecret: { env: LILLE_FIM_SECRET }',
  '',
].join('\n');

const SAML_PLATFORM = [
  'id: educonnect-oidc-test',
  'type: saml',
  'displayName: ÉduConnect (recette)',
  'enabled: false',
  '',
].join('\n');

describe('cli: connectors (child process)', function () {
  this.timeout(120_000);
  let box: CliSandbox;
  const file = (name: string, text: string): string => {
    const path = join(box.dir, name);
    writeFileSync(path, text);
    return path;
  };
  /** The store's rows, read directly: what a refused command must not have written. */
  const storedIds = async (): Promise<string[]> => {
    const store = await openSqlStore(`sqlite:${box.databaseFile}`);
    try {
      const tenants = await store.tenants.list();
      const rows = [...(await store.connectors.list()), ...(await Promise.all(tenants.map((t) => store.forTenant(t.id).connectors.list()))).flat()];
      return rows.map((r) => `${r.tenantId ?? 'platform'}:${r.id}`).sort();
    } finally {
      await store.close();
    }
  };

  beforeEach(() => {
    box = new CliSandbox();
  });
  afterEach(() => box.cleanup());

  it('adds a tenant connector, lists it (text and JSON) without its settings, and removes it', async () => {
    const added = await box.run(['connectors', 'add', '--tenant', 'lille', '--file', file('fim.yaml', OIDC)]);
    expect(added.code, added.rawStderr).to.equal(0);
    expect(added.stdout).to.equal('connector lille-fim added to lille (oidc, academie, enabled); every hub process opens it within federation.reloadSeconds\n');

    const text = await box.run(['connectors', 'list']);
    expect(text.code, text.rawStderr).to.equal(0);
    expect(text.stdout.split('\n')).to.include('lille-fim\tlille\tstore\toidc\tacademie\tenabled\tcreates-accounts\tFIM Lille');
    expect(text.stdout).to.include('lille-agents\tlille\tconfig\tsaml').and.include('amiens-agents\tamiens\tconfig');
    const json = await box.run(['connectors', 'list', '--json', '--tenant', 'lille']);
    expect(json.code, json.rawStderr).to.equal(0);
    const views = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    expect(views.map((v) => v.id)).to.deep.equal(['lille-agents', 'lille-fim']);
    expect(views[1]).to.deep.equal({ id: 'lille-fim', tenant: 'lille', origin: 'store', type: 'oidc', profile: 'academie', displayName: 'FIM Lille', enabled: true, linkOnly: false, state: 'ok' });
    for (const out of [text.stdout, json.stdout]) expect(out).not.to.include('LILLE_FIM_SECRET').and.not.to.include('fim.ac-lille.example').and.not.to.include('ent-hub');

    const removed = await box.run(['connectors', 'remove', '--tenant', 'lille', '--id', 'lille-fim']);
    expect(removed.code, removed.rawStderr).to.equal(0);
    expect(removed.stdout).to.equal('connector lille-fim removed from lille; every hub process closes it within federation.reloadSeconds\n');
    expect(await storedIds()).to.deep.equal([]);
    expectFailure(await box.run(['connectors', 'remove', '--tenant', 'lille', '--id', 'lille-fim']), /connector "lille-fim" of lille not found/);
  });

  it('reports every problem of a bad file with its path, and writes nothing', async () => {
    const bad = file('bad.yaml', [
      'id: Lille FIM', 'type: oidc', 'displayName: ""', 'enabled: true', 'linkOnly: maybe',
      'oidc:', '  issuer: not-a-url', '  clientId: ent-hub', '  clientSecret: s3cret-in-clear', '  colour: blue', '',
    ].join('\n'));
    const r = await box.run(['connectors', 'add', '--tenant', 'lille', '--file', bad]);
    expectFailure(r, /^hub: connector file .*bad\.yaml is invalid:/);
    expect(r.stderr).to.include('  - id: lower-case letters, digits and -')
      .and.include('  - displayName: ')
      .and.include('  - linkOnly: ')
      .and.include('  - oidc.issuer: ')
      .and.include('  - oidc.clientSecret: a secret is never written in clear: { env: NAME } or { file: PATH }')
      .and.include('  - oidc.colour: unknown key');
    expect(r.stderr).not.to.include('s3cret-in-clear');

    expectFailure(await box.run(['connectors', 'add', '--tenant', 'lille', '--file', file('enabled.yaml', 'id: lille-x\ntype: saml\ndisplayName: X\nenabled: true\n')]), /- saml: required when the connector is enabled/);
    expectFailure(await box.run(['connectors', 'add', '--tenant', 'lille', '--file', file('broken.yaml', 'id: [lille\n')]), /connector file .*broken\.yaml is invalid:\n {2}- /);
    expectFailure(await box.run(['connectors', 'add', '--tenant', 'lille', '--file', join(box.dir, 'nowhere.yaml')]), /nowhere\.yaml is invalid:\n {2}- cannot be read \(ENOENT\)/);
    expect(await storedIds()).to.deep.equal([]);
  });

  it('refuses an unknown tenant, a taken id, an id of the YAML files and an académie connector on the platform', async () => {
    const fim = file('fim.yaml', OIDC);
    expectFailure(await box.run(['connectors', 'add', '--tenant', 'atlantis', '--file', fim]), /unknown tenant "atlantis"/);
    expect((await box.run(['connectors', 'add', '--tenant', 'lille', '--file', fim])).code).to.equal(0);
    expectFailure(await box.run(['connectors', 'add', '--tenant', 'amiens', '--file', fim]), /connector id "lille-fim" is already taken/);
    expectFailure(await box.run(['connectors', 'add', '--tenant', 'lille', '--file', file('agents.yaml', 'id: lille-agents\ntype: saml\ndisplayName: X\n')]), /connector id "lille-agents" is already declared in the tenant file of lille/);
    expectFailure(await box.run(['connectors', 'add', '--platform', '--file', fim]), /type: the OIDC connector serves académie staff and belongs to a tenant/);
    expectFailure(await box.run(['connectors', 'remove', '--tenant', 'amiens', '--id', 'lille-fim']), /connector "lille-fim" of amiens not found/);
    expectFailure(await box.run(['connectors', 'remove', '--tenant', 'lille', '--id', 'lille-agents']), /declared in the tenant file of lille, not in the store/);
    expectFailure(await box.run(['connectors', 'list', '--tenant', 'atlantis']), /unknown tenant "atlantis"/);
    expect(await storedIds()).to.deep.equal(['lille:lille-fim']);
  });

  it('adds a platform connector with --platform (profile educonnect by default)', async () => {
    const r = await box.run(['connectors', 'add', '--platform', '--file', file('ec.yaml', SAML_PLATFORM)]);
    expect(r.code, r.rawStderr).to.equal(0);
    expect(r.stdout).to.equal('connector educonnect-oidc-test added to platform (saml, educonnect, disabled); every hub process opens it within federation.reloadSeconds\n');
    expect(await storedIds()).to.deep.equal(['platform:educonnect-oidc-test']);
  });

  it('usage mistakes exit 2: no owner, both owners, no file', async () => {
    const fim = file('fim.yaml', OIDC);
    expectUsageError(await box.run(['connectors', 'add', '--file', fim]), /one of --tenant <id> or --platform is required/, 'hub connectors');
    expectUsageError(await box.run(['connectors', 'add', '--tenant', 'lille', '--platform', '--file', fim]), /--tenant and --platform exclude each other/, 'hub connectors');
    expectUsageError(await box.run(['connectors', 'add', '--tenant', 'lille']), /required option '--file <file>' not specified/, 'hub connectors');
    expectUsageError(await box.run(['connectors', 'remove', '--id', 'lille-fim']), /one of --tenant <id> or --platform is required/, 'hub connectors');
  });
});
