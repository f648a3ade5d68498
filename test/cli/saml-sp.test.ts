/**
 * `hub saml sp add|list|show|remove|refresh` as an operator runs them: the real CLI in a child process on
 * a temporary SQLite file, with pysaml2 metadata. Refused metadata exits 1 with the reason and
 * writes nothing, usage mistakes exit 2, and no output ever carries the metadata document.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { expect } from 'chai';
import { openSqlStore } from '../../src/storage/sql/database.js';
import { CliSandbox, expectFailure, expectUsageError } from '../../testing/harness/cli.js';
import { writeSpMetadata } from '../../testing/harness/pysaml2-sp.js';
import { aggregateXml, entityOf, makeSigner } from '../../testing/harness/sp-aggregate.js';

const ENTITY_ID = 'https://ressource.example/metadata';

describe('cli: saml sp (child process)', function () {
  this.timeout(120_000);
  let box: CliSandbox;
  let metadata: string;

  /** The store's rows, read directly: what a refused command must not have written. */
  const stored = async (): Promise<string[]> => {
    const store = await openSqlStore(`sqlite:${box.databaseFile}`);
    try {
      const tenants = await store.tenants.list();
      const rows = [...(await store.serviceProviders.list()), ...(await Promise.all(tenants.map((t) => store.forTenant(t.id).serviceProviders.list()))).flat()];
      return rows.map((r) => `${r.tenantId ?? 'platform'}:${r.entityId}`).sort();
    } finally {
      await store.close();
    }
  };

  beforeEach(async () => {
    box = new CliSandbox();
    metadata = await writeSpMetadata(box.dir, 'sp.xml', { base: 'https://ressource.example', name: 'Manuel numérique' });
  });
  afterEach(() => box.cleanup());

  it('adds a tenant SP from a file, lists and shows it (text and JSON) without the document (certificates in JSON only), and removes it', async () => {
    const added = await box.run(['saml', 'sp', 'add', '--tenant', 'lille', '--file', metadata, '--policy', 'gar', '--signatures', 'assertion', '--no-encrypt']);
    expect(added.code, added.rawStderr).to.equal(0);
    expect(added.stdout).to.equal(`service provider ${ENTITY_ID} (Manuel numérique) added to lille, release policy gar, signs the assertion only, never encrypts\n`);

    const text = await box.run(['saml', 'sp', 'list']);
    expect(text.code, text.rawStderr).to.equal(0);
    expect(text.stdout).to.match(new RegExp(`^${ENTITY_ID}\\tlille\\tenabled\\tgar\\tfile\\tvalid until \\S+\\tManuel numérique\\n$`));
    const json = await box.run(['saml', 'sp', 'list', '--json', '--tenant', 'lille']);
    expect(json.code, json.rawStderr).to.equal(0);
    const [listed] = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    expect(listed).to.deep.include({
      entityId: ENTITY_ID, tenant: 'lille', displayName: 'Manuel numérique', enabled: true, releasePolicy: 'gar', signatures: 'assertion', encryptAssertions: false, source: { kind: 'file', location: metadata },
    });
    expect(await box.run(['saml', 'sp', 'list', '--tenant', 'amiens'])).to.include({ code: 0, stdout: '(no service provider)\n' });

    const shown = await box.run(['saml', 'sp', 'show', '--entity-id', ENTITY_ID]);
    expect(shown.code, shown.rawStderr).to.equal(0);
    expect(shown.stdout).to.include('owner: lille\n').and.include('sending: signs the assertion only, never encrypts\n').and.include('  https://ressource.example/acs/post (HTTP-POST)\n').and.include('certificates: 1 signing, 1 encryption\n');
    const shownJson = await box.run(['saml', 'sp', 'show', '--entity-id', ENTITY_ID, '--json']);
    expect(JSON.parse(shownJson.stdout)).to.deep.equal(listed);
    const document = readFileSync(metadata, 'utf8');
    // The certificates (public, base64) are in the JSON for tools; the document is nowhere.
    const certificate = document.slice(document.indexOf('<ns2:X509Certificate>') + 21, document.indexOf('<ns2:X509Certificate>') + 80);
    expect((listed!.signingCertificates as string[])[0]).to.include(certificate.replace(/\s+/g, '').slice(0, 40));
    for (const out of [text.stdout, shown.stdout]) expect(out).not.to.include(certificate);
    for (const out of [text.stdout, json.stdout, shown.stdout, shownJson.stdout]) expect(out).not.to.include('EntityDescriptor');

    const removed = await box.run(['saml', 'sp', 'remove', '--entity-id', ENTITY_ID]);
    expect(removed.code, removed.rawStderr).to.equal(0);
    expect(removed.stdout).to.equal(`service provider ${ENTITY_ID} removed from lille\n`);
    expect(await stored()).to.deep.equal([]);
    expectFailure(await box.run(['saml', 'sp', 'remove', '--entity-id', ENTITY_ID]), /^hub: service provider "https:\/\/ressource.example\/metadata" not found\n$/);
  });

  it('adds a platform SP by default; refuses bad metadata, an unknown tenant and a taken entityID, writing nothing more', async () => {
    const platform = await box.run(['saml', 'sp', 'add', '--file', metadata, '--name', 'Ressource']);
    expect(platform.stdout, platform.rawStderr).to.equal(`service provider ${ENTITY_ID} (Ressource) added to platform, release policy generic, signs the Response and the assertion, encrypts assertions when the SP has a key\n`);
    const hostile = join(box.dir, 'hostile.xml');
    writeFileSync(hostile, '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="&e;"/>');
    expectFailure(await box.run(['saml', 'sp', 'add', '--file', hostile]), /^hub: SP metadata file .*hostile\.xml refused: a DOCTYPE is not allowed\n$/);
    const noAcs = join(box.dir, 'no-acs.xml');
    writeFileSync(noAcs, readFileSync(metadata, 'utf8').replace(/<ns0:AssertionConsumerService[^>]*\/>/g, ''));
    expectFailure(await box.run(['saml', 'sp', 'add', '--file', noAcs]), /refused: not valid against the SAML metadata schema: Element '\{urn:oasis:names:tc:SAML:2.0:metadata\}\w+': /);
    expectFailure(await box.run(['saml', 'sp', 'add', '--file', join(box.dir, 'nowhere.xml')]), /nowhere\.xml cannot be read \(ENOENT\)/);
    expectFailure(await box.run(['saml', 'sp', 'add', '--file', metadata, '--policy', 'manuels']), /^hub: There is no release policy named "manuels"; the known ones are gar, generic\.\n$/);
    expectFailure(await box.run(['saml', 'sp', 'add', '--tenant', 'atlantis', '--file', metadata]), /unknown tenant "atlantis"/);
    expectFailure(await box.run(['saml', 'sp', 'add', '--tenant', 'lille', '--file', metadata]), /service provider "https:\/\/ressource.example\/metadata" is already registered/);
    expect(await stored()).to.deep.equal([`platform:${ENTITY_ID}`]);
    const missing = await box.run(['saml', 'sp', 'show', '--entity-id', 'https://nobody.example', '--json']);
    expect(missing.code).to.equal(1);
    expect(JSON.parse(missing.stdout)).to.deep.include({ error: 'not_found', message: 'service provider "https://nobody.example" not found', exitCode: 1 });
  });

  it('refresh: adds the SPs of a configured aggregate, prints per source, exits 1 when a source failed (the SPs stay)', async () => {
    const signer = await makeSigner(box.dir, 'operator');
    let document = aggregateXml(signer, [entityOf(metadata)]);
    const server = createServer((_req, res) => res.end(document));
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/aggregate`;
      const config = join(box.dir, 'hub.yaml');
      writeFileSync(config, `samlIdp:\n  aggregates:\n    - id: gar\n      url: ${url}\n      certFile: ${join(box.dir, 'operator.crt')}\n      releasePolicy: gar\n      cacheDir: ${join(box.dir, 'cache')}\n`);
      const env = { HUB_CONFIG: config };
      const added = await box.run(['saml', 'sp', 'refresh'], { env });
      expect(added.code, added.rawStderr).to.equal(0);
      expect(added.stdout).to.equal('aggregate gar: 1 added, 0 updated, 0 removed, 0 skipped\n');
      expect(await stored()).to.deep.equal([`platform:${ENTITY_ID}`]);
      expect(readFileSync(join(box.dir, 'cache', 'gar.xml'), 'utf8')).to.equal(document);

      document = aggregateXml(null, [entityOf(metadata)]);
      const failed = await box.run(['saml', 'sp', 'refresh', '--json'], { env });
      expect(failed.code, failed.rawStderr).to.equal(1);
      expect(JSON.parse(failed.stdout)).to.deep.equal([{
        source: 'aggregate gar', added: [], updated: [], removed: [], skipped: [],
        failed: 'aggregate gar refused: the document is not signed, and a metadata signing certificate is configured',
      }]);
      expect(await stored()).to.deep.equal([`platform:${ENTITY_ID}`]);

      writeFileSync(config, `samlIdp:\n  aggregates:\n    - id: gar\n      url: ${url}\n      certFile: nowhere.crt\n`);
      expectFailure(await box.run(['saml', 'sp', 'refresh'], { env }), /aggregates\.0\.certFile: .*nowhere\.crt cannot be read as a PEM certificate/);
    } finally {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    }
  });

  it('usage mistakes exit 2: neither or both of --file and --url, an unknown --signatures, no --entity-id', async () => {
    expectUsageError(await box.run(['saml', 'sp', 'add']), /one of --file <file> or --url <url> is required/, 'hub saml sp add');
    expectUsageError(await box.run(['saml', 'sp', 'add', '--file', metadata, '--url', 'https://ressource.example/metadata']), /--file and --url exclude each other/, 'hub saml sp add');
    expectUsageError(await box.run(['saml', 'sp', 'add', '--file', metadata, '--signatures', 'none']), /--signatures must be one of both, assertion, response/, 'hub saml sp add');
    expectUsageError(await box.run(['saml', 'sp', 'show']), /required option '--entity-id <entityID>' not specified/, 'hub saml sp show');
    expectUsageError(await box.run(['saml', 'sp', 'remove']), /required option '--entity-id <entityID>' not specified/, 'hub saml sp remove');
    expect(await stored()).to.deep.equal([]);
  });
});
