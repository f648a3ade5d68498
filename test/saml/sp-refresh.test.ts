/**
 * The refresh pass (src/saml/idp/sp-refresh.ts) against a real SQLite store and a real HTTP
 * server on loopback serving aggregates signed with the kit's signEnveloped (throwaway openssl
 * keys) around pysaml2 SP metadata: SPs added, updated and removed to match the aggregate; a
 * refused or unreachable aggregate changes nothing; one bad entity is skipped; the last good
 * copy on disk serves at start.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { CLI_OPERATOR } from '../../src/identity/actor.js';
import { certificateKey, signEnveloped, type KeyPair } from '../../src/saml/core/keys.js';
import { samlIdpConfigSchema } from '../../src/saml/idp/config.js';
import { durationMs } from '../../src/saml/idp/sp-metadata.js';
import { ConfigError } from '../../src/shared/errors.js';
import { aggregateSources, refreshServiceProviders, REFRESH_JOB, type AggregateSource, type RefreshPorts } from '../../src/saml/idp/sp-refresh.js';
import { addServiceProvider } from '../../src/saml/idp/sp-service.js';
import { openSqlStore, type SqlStore } from '../../src/storage/sql/index.js';
import { aggregateXml, entityOf, makeSigner } from '../../testing/harness/sp-aggregate.js';
import { freePort } from '../../testing/net.js';
import { writeSpMetadata } from '../../testing/harness/pysaml2-sp.js';
import { startLoopbackServer, type LoopbackServer } from '../../testing/harness/loopback-server.js';

const GAR = 'https://gar.example/metadata';
const MANUEL = 'https://manuel.example/metadata';
const ATLAS = 'https://atlas.example/metadata';
const BAD = 'https://bad.example/metadata';

/** An entity pysaml2 would not write: its only ACS has the artifact binding, which the hub does not answer with. */
const BAD_ENTITY = `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${BAD}"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">`
  + '<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact" Location="https://bad.example/acs" index="0"/></md:SPSSODescriptor></md:EntityDescriptor>';

describe('SAML IdP: SP refresh (URLs and aggregates)', function () {
  this.timeout(60_000);
  let dir: string;
  let operator: KeyPair;
  let stranger: KeyPair;
  let operatorCert: string;
  const sp: Record<string, string> = {};
  let store: SqlStore;
  let ports: RefreshPorts;
  let source: AggregateSource;
  /** What the test HTTP server answers with. */
  let answer: (res: ServerResponse) => void;
  let server: LoopbackServer;
  let base: string;

  const serve = (xml: string) => { answer = (res) => res.end(xml); };
  const entityIds = async (): Promise<string[]> => {
    const rows = [...(await store.serviceProviders.list()), ...(await store.forTenant('lille').serviceProviders.list())];
    return rows.map((r) => `${r.tenantId ?? 'platform'}:${r.entityId}:${r.source.kind}`).sort();
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sp-refresh-'));
    [operator, stranger] = [await makeSigner(dir, 'operator'), await makeSigner(dir, 'stranger')];
    operatorCert = operator.certPem;
    sp.gar = entityOf(await writeSpMetadata(dir, 'gar.xml', { base: 'https://gar.example', name: 'GAR' }));
    sp.garRenamed = entityOf(await writeSpMetadata(dir, 'gar2.xml', { base: 'https://gar.example', name: 'GAR (new keys)' }));
    sp.manuel = entityOf(await writeSpMetadata(dir, 'manuel.xml', { base: 'https://manuel.example', name: 'Manuel' }));
    sp.atlas = entityOf(await writeSpMetadata(dir, 'atlas.xml', { base: 'https://atlas.example' }));
    server = await startLoopbackServer((_req, res) => answer(res));
    base = server.base;
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    store = await openSqlStore('sqlite::memory:');
    await store.tenants.upsert({ id: 'lille', name: 'lille', academyCode: '09' });
    source = {
      id: 'gar', url: `${base}/aggregate`, trust: certificateKey(operatorCert), owner: null, releasePolicy: 'gar',
      refreshSeconds: 6 * 3600, cacheFile: join(mkdtempSync(join(dir, 'cache-')), 'gar.xml'),
    };
    ports = { store, production: false, aggregates: [source], fetchTimeoutMs: 1000 };
  });
  afterEach(() => store.close());

  it('adds the SPs of an aggregate (nested groups included), then updates and removes them to match a new copy', async () => {
    serve(aggregateXml(operator, [sp.gar!, sp.manuel!], { cacheDuration: 'PT1H' }));
    const [first] = await refreshServiceProviders(ports, CLI_OPERATOR);
    expect(first).to.deep.equal({ source: 'aggregate gar', added: [GAR, MANUEL], updated: [], removed: [], skipped: [], failed: null, nextRefreshSeconds: 3600 });
    const gar = await store.serviceProviders.find(GAR);
    expect(gar).to.deep.include({ tenantId: null, displayName: 'GAR', source: { kind: 'aggregate', location: 'gar' }, releasePolicy: 'gar', enabled: true });
    expect(gar!.metadata.assertionConsumerServices[0]).to.include({ location: 'https://gar.example/acs/post' });
    expect(readFileSync(source.cacheFile, 'utf8')).to.include(GAR);

    // The same copy again: nothing written.
    expect((await refreshServiceProviders(ports, REFRESH_JOB))[0]).to.include({ failed: null }).and.deep.include({ added: [], updated: [], removed: [] });

    serve(aggregateXml(operator, [sp.garRenamed!], { nested: [sp.atlas!] }));
    const [second] = await refreshServiceProviders(ports, REFRESH_JOB);
    expect(second).to.deep.equal({ source: 'aggregate gar', added: [ATLAS], updated: [GAR], removed: [MANUEL], skipped: [], failed: null, nextRefreshSeconds: 6 * 3600 });
    const updated = await store.serviceProviders.find(GAR);
    // The name given at registration stays; the metadata is the new copy.
    expect(updated).to.deep.include({ displayName: 'GAR', releasePolicy: 'gar' });
    expect(updated!.metadataXml).to.include('GAR (new keys)');
    expect(await entityIds()).to.deep.equal([`platform:${ATLAS}:aggregate`, `platform:${GAR}:aggregate`]);
    expect((await store.audit.list()).map((e) => [e.type, [e.details.by, e.details.job].filter(Boolean).join(':'), e.details.entityId])).to.deep.equal([
      ['saml_sp.removed', 'system:saml-sp-refresh', MANUEL],
      ['saml_sp.added', 'system:saml-sp-refresh', ATLAS],
      ['saml_sp.updated', 'system:saml-sp-refresh', GAR],
      ['saml_sp.added', 'cli', MANUEL],
      ['saml_sp.added', 'cli', GAR],
    ]);
  });

  it('adds a tenant\'s aggregate to that tenant, and fails for an unknown tenant', async () => {
    serve(aggregateXml(operator, [sp.manuel!]));
    ports.aggregates = [{ ...source, owner: 'lille', releasePolicy: 'generic' }];
    expect((await refreshServiceProviders(ports, CLI_OPERATOR))[0]!.added).to.deep.equal([MANUEL]);
    expect(await store.forTenant('lille').serviceProviders.get(MANUEL)).to.deep.include({ tenantId: 'lille', releasePolicy: 'generic' });
    ports.aggregates = [{ ...source, id: 'other', owner: 'amiens' }];
    expect((await refreshServiceProviders(ports, CLI_OPERATOR))[0]!.failed).to.equal('aggregate other: unknown tenant "amiens" (samlIdp.aggregates owner)');
  });

  it('skips a bad entity and an entity registered from another source, keeping the rest', async () => {
    const manuelFile = join(dir, 'manuel.xml');
    await addServiceProvider({ store, production: false }, CLI_OPERATOR, { owner: 'lille', from: { file: manuelFile } });
    serve(aggregateXml(operator, [sp.gar!, BAD_ENTITY, sp.manuel!]));
    const [report] = await refreshServiceProviders(ports, CLI_OPERATOR);
    expect(report).to.deep.include({ added: [GAR], updated: [], removed: [], failed: null });
    expect(report!.skipped).to.deep.equal([
      { entityId: BAD, why: `entity ${BAD} of aggregate gar refused: no AssertionConsumerService with the HTTP-POST binding, the one the hub answers with` },
      { entityId: MANUEL, why: `already registered from file ${manuelFile}; left as it is` },
    ]);
    expect(await entityIds()).to.deep.equal([`lille:${MANUEL}:file`, `platform:${GAR}:aggregate`]);

    // A working SP whose entry turns bad keeps its previous copy: it is listed, so not removed.
    serve(aggregateXml(operator, [sp.gar!.replace('https://gar.example/acs/post', 'javascript:alert(1)')]));
    const [again] = await refreshServiceProviders(ports, CLI_OPERATOR);
    expect(again).to.deep.include({ added: [], updated: [], removed: [], failed: null });
    expect(again!.skipped[0]!.why).to.match(/AssertionConsumerService Location javascript:alert\(1\) is not https/);
    expect(await store.serviceProviders.find(GAR)).to.not.equal(null);

    // An expired nested group is skipped whole; an entity without an SPSSODescriptor (an IdP) is ignored.
    const idp = `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>`;
    serve(aggregateXml(operator, [sp.gar!, idp], { nested: [sp.atlas!], nestedValidUntil: new Date(Date.now() - 1000) }));
    const [expiredGroup] = await refreshServiceProviders(ports, CLI_OPERATOR);
    expect(expiredGroup).to.deep.include({ added: [], removed: [], failed: null });
    expect(expiredGroup!.skipped).to.have.length(1);
    expect(expiredGroup!.skipped[0]).to.include({ entityId: 'group urn:test:nested' });
    expect(expiredGroup!.skipped[0]!.why).to.match(/^group urn:test:nested refused: the metadata expired on /);
  });

  it('refuses a whole aggregate that is unsigned, signed by another key, altered, expired or not an aggregate: the SPs stay', async () => {
    serve(aggregateXml(operator, [sp.gar!, sp.manuel!]));
    await refreshServiceProviders(ports, CLI_OPERATOR);
    const before = await entityIds();
    const cached = readFileSync(source.cacheFile, 'utf8');
    const cases: Array<[string, string, RegExp]> = [
      ['unsigned', aggregateXml(null, [sp.gar!]), /^aggregate gar refused: the document is not signed, and a metadata signing certificate is configured$/],
      ['another key', aggregateXml(stranger, [sp.gar!]), /^aggregate gar refused: the document signature refused: signature value does not verify/],
      ['altered', aggregateXml(operator, [sp.gar!]).replace('https://gar.example/acs/post', 'https://attacker.example/acs'), /^aggregate gar refused: the document signature refused: digest mismatch/],
      ['expired', aggregateXml(operator, [sp.gar!], { validUntil: new Date(Date.now() - 1000) }), /^aggregate gar refused: the metadata expired on .* \(validUntil of EntitiesDescriptor\)$/],
      ['one SP', signEnveloped(sp.gar!.replace('<ns0:EntityDescriptor', '<ns0:EntityDescriptor ID="_one"'), `/*[local-name(.)='EntityDescriptor']`, operator, 'first'), /^aggregate gar refused: the document must be an aggregate \(md:EntitiesDescriptor\), not md:EntityDescriptor$/],
      ['schema', aggregateXml(operator, [sp.gar!]).replace('Name="urn:test:aggregate"', 'Name="urn:test:aggregate" entityID="x"'), /^aggregate gar refused: not valid against the SAML metadata schema: .*attribute 'entityID'/],
      ['DOCTYPE', `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${aggregateXml(operator, [sp.gar!])}`, /^aggregate gar refused: a DOCTYPE is not allowed$/],
    ];
    for (const [name, xml, expected] of cases) {
      serve(xml);
      const [report] = await refreshServiceProviders(ports, CLI_OPERATOR);
      expect(report!.failed, name).to.match(expected);
      expect(report, name).to.deep.include({ added: [], updated: [], removed: [] });
    }
    expect(await entityIds()).to.deep.equal(before);
    expect(readFileSync(source.cacheFile, 'utf8'), 'the last good copy is kept').to.equal(cached);
  });

  it('keeps the SPs when the URL does not answer, and reads the last good copy at start', async () => {
    serve(aggregateXml(operator, [sp.gar!]));
    await refreshServiceProviders(ports, CLI_OPERATOR);
    answer = (res) => { res.statusCode = 503; res.end(); };
    expect((await refreshServiceProviders(ports, CLI_OPERATOR))[0]!.failed).to.equal(`SP metadata at ${base}/aggregate: HTTP 503`);
    expect(await entityIds()).to.deep.equal([`platform:${GAR}:aggregate`]);

    // A new store (a new machine, a restored database): the copy on disk serves at start only.
    const fresh = await openSqlStore('sqlite::memory:');
    try {
      const closed = `http://127.0.0.1:${await freePort()}/aggregate`;
      const freshPorts = { ...ports, store: fresh, aggregates: [{ ...source, url: closed }] };
      expect((await refreshServiceProviders(freshPorts, REFRESH_JOB))[0]!.failed).to.equal(`SP metadata at ${closed} cannot be fetched (ECONNREFUSED)`);
      const [atStart] = await refreshServiceProviders(freshPorts, REFRESH_JOB, { fallBackToCache: true });
      expect(atStart).to.deep.include({ added: [GAR], failed: null, fromCache: true });
      // No copy on disk: the failure stands.
      const none = { ...freshPorts, aggregates: [{ ...freshPorts.aggregates[0]!, cacheFile: join(dir, 'none', 'gar.xml') }] };
      expect((await refreshServiceProviders(none, REFRESH_JOB, { fallBackToCache: true }))[0]!.failed).to.match(/ECONNREFUSED/);
      expect(existsSync(join(dir, 'none'))).to.equal(false);
    } finally {
      await fresh.close();
    }
  });

  it('refreshes an SP registered from a URL: a new copy updates it, a failure or another entity leaves it', async () => {
    ports.aggregates = [];
    serve(sp.gar!);
    await addServiceProvider({ store, production: false }, CLI_OPERATOR, { owner: null, from: { url: `${base}/gar` }, releasePolicy: 'gar' });
    expect(await refreshServiceProviders(ports, CLI_OPERATOR)).to.deep.equal([{ source: `url ${base}/gar`, added: [], updated: [], removed: [], skipped: [], failed: null }]);
    serve(sp.garRenamed!);
    expect((await refreshServiceProviders(ports, CLI_OPERATOR))[0]!.updated).to.deep.equal([GAR]);
    expect((await store.serviceProviders.find(GAR))!.metadataXml).to.include('GAR (new keys)');
    serve(sp.manuel!);
    expect((await refreshServiceProviders(ports, CLI_OPERATOR))[0]!.failed).to.equal(`SP metadata at ${base}/gar refused: it now describes ${MANUEL}, not ${GAR}`);
    answer = (res) => res.destroy();
    expect((await refreshServiceProviders(ports, CLI_OPERATOR))[0]!.failed).to.match(/^SP metadata at .* cannot be fetched/);
    expect((await store.serviceProviders.find(GAR))!.metadataXml).to.include('GAR (new keys)');
  });

  it('samlIdp.aggregates: defaults beside the schema, ids unique, certificates read and policies known at start', () => {
    const [parsed] = samlIdpConfigSchema.parse({ aggregates: [{ id: 'gar', url: 'https://gar.example/aggregate', certFile: 'gar.crt' }] }).aggregates;
    expect(parsed).to.deep.equal({ id: 'gar', url: 'https://gar.example/aggregate', certFile: 'gar.crt', owner: 'platform', releasePolicy: 'generic', refreshSeconds: 6 * 3600 });
    const twice = samlIdpConfigSchema.safeParse({ aggregates: [parsed, parsed] });
    expect(twice.error?.issues.map((i) => i.message)).to.deep.equal(['two aggregates have the same id']);
    expect(samlIdpConfigSchema.safeParse({ aggregates: [{ ...parsed, id: 'GAR/..' }] }).success).to.equal(false);

    const certDir = mkdtempSync(join(dir, 'keys-'));
    writeFileSync(join(certDir, 'gar.crt'), operatorCert);
    const [sourceOf] = aggregateSources([parsed!], { keysDir: certDir, dataDir: '/var/hub/data' });
    expect(sourceOf).to.deep.include({ owner: null, cacheFile: '/var/hub/data/saml-aggregates/gar.xml', releasePolicy: 'generic' });
    expect(() => aggregateSources([{ ...parsed!, certFile: 'none.crt' }], { keysDir: certDir, dataDir: '/d' })).to.throw(ConfigError, `aggregates.0.certFile: ${join(certDir, 'none.crt')} cannot be read as a PEM certificate`);
    expect(() => aggregateSources([{ ...parsed!, releasePolicy: 'manuels' }], { keysDir: certDir, dataDir: '/d' })).to.throw(/no release policy named "manuels"/);
  });

  it('reads cacheDuration as an xs:duration', () => {
    expect(durationMs('PT6H')).to.equal(6 * 3600_000);
    expect(durationMs('P1DT30M')).to.equal((24 * 60 + 30) * 60_000);
    expect(durationMs('PT1.5S')).to.equal(1500);
    for (const text of [null, 'P', 'PT', '-PT1H', '6 hours']) expect(durationMs(text), String(text)).to.equal(null);
  });
});
