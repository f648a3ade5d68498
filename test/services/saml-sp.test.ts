/**
 * The SP registry's operations (src/saml/idp/sp-service.ts) against a real SQLite store, with
 * pysaml2 metadata read from a file or served by a real HTTP server: checked before anything is
 * written, fetched with a timeout and a size limit, audited in the owner's log, and a tenant's
 * admin kept to its tenant.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { CLI_OPERATOR, type Actor } from '../../src/identity/actor.js';
import { SpMetadataRefused } from '../../src/saml/idp/sp-metadata.js';
import { addServiceProvider, listServiceProviders, removeServiceProvider, showServiceProvider, type SpServicePorts } from '../../src/saml/idp/sp-service.js';
import { Conflict, HubError, NotFound } from '../../src/shared/errors.js';
import { openSqlStore, type SqlStore } from '../../src/storage/sql/index.js';
import { freePort } from '../../testing/net.js';
import { writeSpMetadata } from '../../testing/harness/pysaml2-sp.js';
import { startLoopbackServer, type LoopbackServer } from '../../testing/harness/loopback-server.js';

const LILLE_ADMIN: Actor = { kind: 'admin', accountId: 'admin-1', clientId: 'hub-admin', role: 'tenant-admin', tenantId: 'lille' };
const GAR = 'https://gar.example/metadata';

async function failure(promise: Promise<unknown>): Promise<HubError> {
  const err = await promise.then(() => null, (e: unknown) => e);
  expect(err, 'expected a HubError').to.be.instanceOf(HubError);
  return err as HubError;
}

describe('services: SAML service providers', function () {
  this.timeout(30_000);
  let dir: string;
  let garFile: string;
  let ressourceFile: string;
  let store: SqlStore;
  let ports: SpServicePorts;
  /** What the test HTTP server answers with. */
  let answer: (res: ServerResponse) => void;
  let server: LoopbackServer;
  let base: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sp-service-'));
    garFile = await writeSpMetadata(dir, 'gar.xml', { base: 'https://gar.example', name: 'GAR' });
    ressourceFile = await writeSpMetadata(dir, 'ressource.xml', { base: 'https://ressource.example' });
    server = await startLoopbackServer((_req, res) => answer(res));
    base = server.base;
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    store = await openSqlStore('sqlite::memory:');
    for (const id of ['lille', 'amiens']) await store.tenants.upsert({ id, name: id, academyCode: '09' });
    ports = { store, production: false, fetchTimeoutMs: 500 };
  });
  afterEach(() => store.close());

  it('adds a platform SP from a file, shows, lists and removes it, audited in the platform log', async () => {
    const added = await addServiceProvider(ports, CLI_OPERATOR, { owner: null, from: { file: garFile }, releasePolicy: 'gar' });
    expect(added).to.deep.include({ entityId: GAR, tenantId: null, displayName: 'GAR', source: { kind: 'file', location: garFile }, enabled: true, releasePolicy: 'gar', metadataXml: readFileSync(garFile, 'utf8') });
    expect(added.metadata.assertionConsumerServices[0]).to.include({ location: 'https://gar.example/acs/post' });
    expect(await showServiceProvider(store, CLI_OPERATOR, GAR)).to.deep.equal(added);
    expect(await listServiceProviders(store, CLI_OPERATOR)).to.deep.equal([added]);
    expect(await listServiceProviders(store, CLI_OPERATOR, 'lille')).to.deep.equal([]);
    await removeServiceProvider(ports, CLI_OPERATOR, GAR);
    expect(await store.serviceProviders.find(GAR)).to.equal(null);
    expect((await store.audit.list()).map((e) => [e.type, e.details])).to.deep.equal([
      ['saml_sp.removed', { by: 'cli', entityId: GAR }],
      ['saml_sp.added', { by: 'cli', entityId: GAR, source: 'file', location: garFile, releasePolicy: 'gar', signatures: 'both', encryptAssertions: true }],
    ]);
    expect(await failure(removeServiceProvider(ports, CLI_OPERATOR, GAR))).to.be.instanceOf(NotFound);
  });

  it('adds a tenant SP from a URL, with the generic policy and the given name', async () => {
    answer = (res) => res.end(readFileSync(ressourceFile));
    const added = await addServiceProvider(ports, LILLE_ADMIN, { owner: 'lille', from: { url: `${base}/metadata` }, displayName: ' Manuel ' });
    expect(added).to.deep.include({ tenantId: 'lille', displayName: 'Manuel', releasePolicy: 'generic', source: { kind: 'url', location: `${base}/metadata` } });
    const events = await store.forTenant('lille').audit.list();
    expect(events.map((e) => e.details)).to.deep.equal([{ by: 'admin', admin: 'admin-1', client: 'hub-admin', role: 'tenant-admin', adminTenant: 'lille', entityId: added.entityId, source: 'url', location: `${base}/metadata`, releasePolicy: 'generic', signatures: 'both', encryptAssertions: true }]);
  });

  it('refuses, writing nothing: a taken entityID, an unknown tenant, a bad policy name, bad metadata, a missing file', async () => {
    await addServiceProvider(ports, CLI_OPERATOR, { owner: 'lille', from: { file: garFile } });
    const refusals: Array<[Parameters<typeof addServiceProvider>[2], RegExp]> = [
      [{ owner: null, from: { file: garFile } }, /service provider "https:\/\/gar.example\/metadata" is already registered/],
      [{ owner: 'atlantis', from: { file: ressourceFile } }, /unknown tenant "atlantis"/],
      [{ owner: null, from: { file: ressourceFile }, releasePolicy: 'GAR policy' }, /release policy name/],
      [{ owner: null, from: { file: ressourceFile }, displayName: '  ' }, /display name is 1 to 200 characters/],
      [{ owner: null, from: { file: join(dir, 'nothing.xml') } }, /SP metadata file .*nothing\.xml cannot be read \(ENOENT\)/],
      [{ owner: null, from: { file: join(dir, 'gar.xml-sp.crt') } }, /SP metadata file .*gar\.xml-sp\.crt refused: not well-formed XML/],
    ];
    for (const [request, message] of refusals) expect((await failure(addServiceProvider(ports, CLI_OPERATOR, request))).message).to.match(message);
    expect(await failure(addServiceProvider(ports, CLI_OPERATOR, { owner: null, from: { file: garFile } }))).to.be.instanceOf(Conflict);
    expect((await listServiceProviders(store, CLI_OPERATOR)).map((sp) => sp.entityId)).to.deep.equal([GAR]);
    expect(await store.audit.list()).to.deep.equal([]);
    expect(await store.forTenant('lille').audit.list()).to.have.length(1);
  });

  it('refuses in production what is not https: the metadata URL and the SP endpoints', async () => {
    const production = { ...ports, production: true };
    expect((await failure(addServiceProvider(production, CLI_OPERATOR, { owner: null, from: { url: `${base}/metadata` } }))).message).to.equal(`SP metadata URL ${base}/metadata must be https in production`);
    expect(await failure(addServiceProvider(ports, CLI_OPERATOR, { owner: null, from: { url: 'ftp://gar.example/md.xml' } }))).to.have.property('code', 'invalid_argument');
    const httpSp = await writeSpMetadata(dir, 'http-sp.xml', { base: 'http://ressource.example' });
    expect(await failure(addServiceProvider(production, CLI_OPERATOR, { owner: null, from: { file: httpSp } }))).to.be.instanceOf(SpMetadataRefused);
    expect(await listServiceProviders(store, CLI_OPERATOR)).to.deep.equal([]);
  });

  it('gives up on a metadata URL that fails, hangs, redirects or sends too much', async () => {
    const cases: Array<[(res: ServerResponse) => void, RegExp]> = [
      [(res) => { res.statusCode = 500; res.end('oops'); }, /: HTTP 500$/],
      [() => undefined, /cannot be fetched \(no answer within 0.5 s\)/],
      [(res) => { res.writeHead(302, { location: 'http://elsewhere.example/' }); res.end(); }, /cannot be fetched \(unexpected redirect\)/],
      [(res) => { res.writeHead(200, { 'content-length': String(300 * 1024) }); res.end(); }, /is larger than 256 KiB/],
      // Chunked, no length announced: the limit holds while reading.
      [(res) => { res.write('<x>'); res.end('y'.repeat(300 * 1024)); }, /is larger than 256 KiB/],
    ];
    for (const [serve, message] of cases) {
      answer = serve;
      const err = await failure(addServiceProvider(ports, CLI_OPERATOR, { owner: null, from: { url: `${base}/metadata` } }));
      expect(err.message, message.source).to.match(message);
    }
    const closed = `http://127.0.0.1:${await freePort()}/metadata`;
    const unreachable = await failure(addServiceProvider(ports, CLI_OPERATOR, { owner: null, from: { url: closed } }));
    expect(unreachable).to.include({ code: 'sp_metadata_unavailable', status: 502 });
    expect(unreachable.message).to.equal(`SP metadata at ${closed} cannot be fetched (ECONNREFUSED)`);
    expect(await listServiceProviders(store, CLI_OPERATOR)).to.deep.equal([]);
  });

  it('keeps a tenant’s admin to its tenant', async () => {
    const amiens = await addServiceProvider(ports, CLI_OPERATOR, { owner: 'amiens', from: { file: garFile } });
    const forbidden = await failure(addServiceProvider(ports, LILLE_ADMIN, { owner: null, from: { file: ressourceFile } }));
    expect(forbidden).to.include({ code: 'forbidden', status: 403, message: 'an administrator of lille cannot manage the service providers of the platform' });
    expect(await failure(addServiceProvider(ports, LILLE_ADMIN, { owner: 'amiens', from: { file: ressourceFile } }))).to.have.property('status', 403);
    expect(await failure(showServiceProvider(store, LILLE_ADMIN, amiens.entityId))).to.be.instanceOf(NotFound);
    expect(await failure(removeServiceProvider(ports, LILLE_ADMIN, amiens.entityId))).to.be.instanceOf(NotFound);
    expect(await listServiceProviders(store, LILLE_ADMIN)).to.deep.equal([]);
    expect(await failure(listServiceProviders(store, LILLE_ADMIN, 'amiens'))).to.have.property('status', 403);
    expect(await listServiceProviders(store, CLI_OPERATOR)).to.deep.equal([amiens]);
  });
});
