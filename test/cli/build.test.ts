/**
 * The compiled build the image runs: `scripts/build.js` (npm run build) compiles src/ into a
 * temporary folder laid out as the image's /app (package.json, config/, tenants/, node_modules,
 * dist/; no src/), and the hub starts from dist/cli/main.js with plain `node`, no tsx loader.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { PROJECT_ROOT } from '../../src/config/load.js';
import { Browser } from '../../testing/harness/browser.js';
import { CliSandbox, serveHub, type ServingHub } from '../../testing/harness/cli.js';

/** The image's /app: what the Dockerfile's runtime stage copies, node_modules shared with the checkout. */
function imageLayout(app: string): void {
  const build = spawnSync(process.execPath, [join(PROJECT_ROOT, 'scripts/build.js'), join(app, 'dist')], { encoding: 'utf8' });
  expect(build.status, `${build.stdout}\n${build.stderr}`).to.equal(0);
  copyFileSync(join(PROJECT_ROOT, 'package.json'), join(app, 'package.json'));
  for (const dir of ['config', 'tenants']) cpSync(join(PROJECT_ROOT, dir), join(app, dir), { recursive: true });
  mkdirSync(join(app, 'bin'));
  copyFileSync(join(PROJECT_ROOT, 'bin/hub.js'), join(app, 'bin/hub.js'));
  symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(app, 'node_modules'), 'dir');
}

describe('the compiled build: dist/ run with plain node', function () {
  // tsc over src/ takes about 20 s of CPU; more on a busy machine.
  this.timeout(240_000);
  let app: string;
  let box: CliSandbox;
  let hub: ServingHub;

  before(async () => {
    app = mkdtempSync(join(tmpdir(), 'hub-build-'));
    imageLayout(app);
    box = new CliSandbox({ nodeArgs: [join(app, 'dist/cli/main.js')], cwd: app });
    hub = await serveHub(box);
  });
  after(async () => {
    await hub?.stop();
    box?.cleanup();
    if (app) rmSync(app, { recursive: true, force: true });
  });

  it('emits JavaScript only, with the files the modules read beside them', () => {
    const files = readdirSync(join(app, 'dist'), { recursive: true, encoding: 'utf8' });
    expect(files.filter((f) => f.endsWith('.ts'))).to.deep.equal([]);
    for (const asset of ['ui/hub.css', 'ui/saml-post.js', 'auth/common-passwords.txt', 'gar/xsd/gar-ent.xsd', 'saml/core/xsd/saml-schema-protocol-2.0.xsd']) expect(files).to.include(asset);
  });

  it('is ready, with the database answering', async () => {
    const res = await fetch(`${hub.url}/readyz`);
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.include({ status: 'ready' });
  });

  it('publishes the discovery document under its issuer', async () => {
    const metadata = (await (await fetch(`${hub.url}/.well-known/openid-configuration`)).json()) as { issuer: string; jwks_uri: string };
    expect(metadata.issuer).to.equal(`http://localhost:${hub.port}`);
    const jwks = (await (await fetch(metadata.jwks_uri)).json()) as { keys: unknown[] };
    expect(jwks.keys).to.not.be.empty;
  });

  it('serves the login page and its stylesheet', async () => {
    const page = await new Browser().follow(`http://localhost:${hub.port}/demo/login`, 'no-stop:');
    expect(page.status, page.body.slice(0, 500)).to.equal(200);
    expect(new URL(page.url).pathname).to.match(/^\/interaction\//);
    expect(page.body).to.include('lang="fr"').and.include('name="password"');
    const css = await fetch(`${hub.url}/assets/hub.css`);
    expect(css.status).to.equal(200);
    expect(css.headers.get('content-type')).to.match(/^text\/css/);
  });

  it('bin/hub.js runs dist/ where there is no src/', () => {
    const bin = spawnSync(process.execPath, [join(app, 'bin/hub.js'), 'tenants', 'validate'], { cwd: box.dir, env: box.env(), encoding: 'utf8' });
    expect(bin.status, bin.stderr).to.equal(0);
    expect(bin.stdout).to.equal('2 tenant file(s) valid: amiens, lille\n');
  });
});
