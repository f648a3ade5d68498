/**
 * The hostile corpus of the ACS: Responses made by saml-corpus.ts with the test IdP's own keys
 * (so every signature holds), each breaking one rule. Each refusal is a clear page (400/401),
 * no login, a `federation.failure` audit event naming the reason, nothing on stderr, and no
 * pupil's data in the audit trail or the logs. A new rule is one more entry in CASES.
 */
import { expect } from 'chai';
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { inflateRawSync } from 'node:zlib';
import type * as oidc from 'openid-client';
import { buildHub, type Hub } from '../../src/wiring/hub.js';
import { PROJECT_ROOT } from '../../src/config/load.js';
import { configSchema } from '../../src/config/schema.js';
import { listen, type RunningServer } from '../../src/http/server.js';
import { createLogger } from '../../src/shared/logger.js';
import type { Page } from '../../testing/harness/browser.js';
import { REDIRECT, testClients, testResources } from '../../testing/harness/fixtures.js';
import { testKeysDir } from '../../testing/harness/hub.js';
import { makeKeyPair, preparePysaml2Idp, type Pysaml2Idp } from '../../testing/harness/pysaml2.js';
import { freePort, randomPrefix, testRedisUrl } from '../../testing/harness/redis.js';
import { discover } from '../../testing/harness/rp.js';
import { lastAudit, OID, openLoginPage, postToAcs } from './helpers.js';
import { buildResponse, instant, SAML, validSpec, XENC, type MessageSpec } from './saml-corpus.js';

/** A pupil's value that must never reach a log line or an audit detail. */
const SECRET = 'Kevin-Eleve-Secret';
const ATTRIBUTES = { [`${OID}57`]: ['hostile-1'], [`${OID}7`]: ['eleve2d'], FrEduCtRefId: ['{AAF}09|X|7777'], [`${OID}4`]: [SECRET] };

type Connector = 'educonnect' | 'educlear';
interface Case {
  /** The issue item (9–12) or the class already covered. */
  item: string;
  name: string;
  /** educonnect: encrypted, production algorithms (AES, RSA-OAEP); educlear: clear assertions. */
  connector?: Connector;
  mutate: (spec: MessageSpec) => void;
  /** The refusal, or 'login' for the controls that must still pass. */
  expect: { reason: string; status?: number } | 'login';
}

const insert = (xml: string, before: string, what: string) => {
  expect(xml, `no ${before} to insert before`).to.include(before);
  return xml.replace(before, what + before);
};
const SCD = '<saml:SubjectConfirmationData';
const CONDITIONS = '<saml:Conditions';

const CASES: Case[] = [
  // Controls: what the rules must keep accepting.
  { item: 'control', name: 'accepts a valid encrypted response (AES-128-GCM, RSA-OAEP, key in KeyInfo)', mutate: () => undefined, expect: 'login' },
  { item: 'control', name: 'accepts the EncryptedKey beside the EncryptedData, named by a RetrievalMethod', mutate: (s) => { s.encryption!.layout = 'retrieval'; s.encryption!.data = 'aes256-cbc'; }, expect: 'login' },
  { item: 'control', name: 'accepts the EncryptedKey beside the EncryptedData without a RetrievalMethod', mutate: (s) => { s.encryption!.layout = 'sibling'; }, expect: 'login' },
  { item: 'control', name: 'accepts another prefix for the XML-Enc namespace', mutate: (s) => { s.encryption!.prefix = 'e'; }, expect: 'login' },
  { item: 'control', name: 'accepts a clear assertion on a connector that does not require encryption', connector: 'educlear', mutate: () => undefined, expect: 'login' },
  { item: 'control', name: 'accepts a comment between elements', connector: 'educlear', mutate: (s) => { s.tamper.assertion = (x) => insert(x, CONDITIONS, '<!-- c -->'); }, expect: 'login' },

  // Classes already covered, kept in the corpus.
  { item: 'covered', name: 'refuses an unsigned response and assertion', mutate: (s) => { s.signResponse = false; s.signAssertion = false; }, expect: { reason: 'response_unsigned', status: 401 } },
  { item: 'covered', name: 'refuses another audience', mutate: (s) => { s.assertion.conditions.audience = 'https://other-sp.example/'; }, expect: { reason: 'audience', status: 401 } },
  { item: 'covered', name: 'refuses an expired assertion', mutate: (s) => { s.assertion.scd.notOnOrAfter = instant(-120); s.assertion.conditions.notOnOrAfter = instant(-120); }, expect: { reason: 'expired', status: 401 } },
  { item: 'covered', name: 'refuses a clear assertion where encryption is required', mutate: (s) => { s.encryption = null; }, expect: { reason: 'not_encrypted', status: 401 } },
  { item: 'covered', name: 'refuses a 3DES assertion on a production algorithm list', mutate: (s) => { s.encryption!.data = 'tripledes-cbc'; }, expect: { reason: 'encryption_algorithm' } },

  // 9. The algorithm allow-list holds on what decrypts, whatever the structure around it.
  {
    item: '9', name: 'refuses 3DES named by a foreign-namespace EncryptedData/EncryptionMethod (the data one left out)',
    mutate: (s) => { Object.assign(s.encryption!, { data: 'tripledes-cbc', omitDataMethod: true, keyInfoExtra: `<x:EncryptedData xmlns:x="urn:example:other"><x:EncryptionMethod Algorithm="${XENC}tripledes-cbc"/></x:EncryptedData>` }); },
    expect: { reason: 'encryption_structure' },
  },
  { item: '9', name: 'refuses an EncryptedData without its EncryptionMethod', mutate: (s) => { s.encryption!.omitDataMethod = true; }, expect: { reason: 'encryption_structure' } },
  { item: '9', name: 'refuses RSA 1.5 key transport on a production algorithm list', mutate: (s) => { s.encryption!.key = 'rsa-1_5'; }, expect: { reason: 'encryption_algorithm' } },
  {
    item: '9', name: 'refuses a stray EncryptedKey (RSA 1.5, any prefix) in the response Extensions',
    mutate: (s) => { s.tamper.response = (x) => insert(x, '<samlp:Status>', `<samlp:Extensions><k:EncryptedKey xmlns:k="${XENC}"><k:EncryptionMethod Algorithm="${XENC}rsa-1_5"/><k:CipherData><k:CipherValue>AAAA</k:CipherValue></k:CipherData></k:EncryptedKey></samlp:Extensions>`); },
    expect: { reason: 'encryption_structure' },
  },
  {
    item: '9', name: 'refuses a second EncryptedKey beside the inline one',
    mutate: (s) => { s.tamper.encrypted = (x) => x.replace('</saml:EncryptedAssertion>', `<xenc:EncryptedKey xmlns:xenc="${XENC}"><xenc:EncryptionMethod Algorithm="${XENC}rsa-oaep-mgf1p"/><xenc:CipherData><xenc:CipherValue>AAAA</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey></saml:EncryptedAssertion>`); },
    expect: { reason: 'encryption_structure' },
  },
  {
    item: '9', name: 'refuses a CipherReference instead of a CipherValue',
    mutate: (s) => { s.tamper.encrypted = (x) => x.replace(/<xenc:CipherData><xenc:CipherValue>[^<]*<\/xenc:CipherValue><\/xenc:CipherData><\/xenc:EncryptedData>/, '<xenc:CipherData><xenc:CipherReference URI="https://evil.example/c"/></xenc:CipherData></xenc:EncryptedData>'); },
    expect: { reason: 'encryption_structure' },
  },
  {
    item: '9', name: 'refuses unexpected parameters in the data EncryptionMethod',
    mutate: (s) => { s.tamper.encrypted = (x) => x.replace(/(<xenc:EncryptionMethod Algorithm="[^"]*aes128-gcm")\/>/, `$1><xenc:KeySize>64</xenc:KeySize></xenc:EncryptionMethod>`); },
    expect: { reason: 'encryption_structure' },
  },
  {
    item: '9', name: 'refuses an EncryptedData inside the decrypted assertion (an EncryptedAttribute)',
    mutate: (s) => { s.tamper.assertion = (x) => x.replace('</saml:AttributeStatement>', `<saml:EncryptedAttribute><xenc:EncryptedData xmlns:xenc="${XENC}"><xenc:EncryptionMethod Algorithm="${XENC}tripledes-cbc"/><xenc:CipherData><xenc:CipherValue>AAAA</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData></saml:EncryptedAttribute></saml:AttributeStatement>`); },
    expect: { reason: 'encryption_structure' },
  },

  // 10. SAML profile rules.
  { item: '10', name: 'refuses a bearer SubjectConfirmationData without InResponseTo', mutate: (s) => { s.assertion.scd.inResponseTo = null; }, expect: { reason: 'in_response_to', status: 401 } },
  { item: '10', name: 'refuses a bearer InResponseTo other than the Response’s', mutate: (s) => { s.assertion.scd.inResponseTo = '_another-request'; }, expect: { reason: 'in_response_to', status: 401 } },
  { item: '10', name: 'refuses an assertion without AuthnStatement', mutate: (s) => { s.assertion.authnStatement = false; }, expect: { reason: 'authn_statement', status: 401 } },
  { item: '10', name: 'refuses a Response without Issuer', mutate: (s) => { s.response.issuer = null; }, expect: { reason: 'issuer', status: 401 } },
  { item: '10', name: 'refuses a Response whose Issuer differs from the Assertion’s', mutate: (s) => { s.response.issuer = 'https://other-idp.example/'; }, expect: { reason: 'issuer', status: 401 } },
  { item: '10', name: 'refuses an Issuer that is not an entity name', mutate: (s) => { s.tamper.assertion = (x) => x.replace('nameid-format:entity', 'nameid-format:persistent'); }, expect: { reason: 'issuer', status: 401 } },
  { item: '10', name: 'refuses a Response issued in the future', mutate: (s) => { s.response.issueInstant = instant(3600); }, expect: { reason: 'issue_instant', status: 401 } },
  { item: '10', name: 'refuses a Response issued long ago', mutate: (s) => { s.response.issueInstant = instant(-3600); }, expect: { reason: 'issue_instant', status: 401 } },
  { item: '10', name: 'refuses an Assertion issued in the future', mutate: (s) => { s.assertion.issueInstant = instant(3600); }, expect: { reason: 'issue_instant', status: 401 } },
  { item: '10', name: 'refuses a SubjectConfirmationData NotOnOrAfter in year 9999', mutate: (s) => { s.assertion.scd.notOnOrAfter = '9999-12-31T23:59:59Z'; }, expect: { reason: 'lifetime', status: 401 } },
  { item: '10', name: 'refuses a Conditions NotOnOrAfter beyond the maximum lifetime', mutate: (s) => { s.assertion.conditions.notOnOrAfter = instant(3600); }, expect: { reason: 'lifetime', status: 401 } },
  { item: '10', name: 'refuses a Response whose ID is the decrypted Assertion’s', mutate: (s) => { s.response.id = s.assertion.id; }, expect: { reason: 'duplicate_id' } },
  { item: '10', name: 'refuses an EncryptedData Id equal to the decrypted Assertion’s ID', mutate: (s) => { s.tamper.encrypted = (x) => x.replace(/ Id="ED_[^"]+"/, ` Id="${s.assertion.id}"`); }, expect: { reason: 'duplicate_id' } },
  { item: '10', name: 'refuses a Response ID repeated in the envelope (schema: xs:ID)', mutate: (s) => { s.tamper.encrypted = (x) => x.replace(/ Id="ED_[^"]+"/, ` Id="${s.response.id}"`); }, expect: { reason: 'schema' } },
  { item: '10', name: 'refuses a bearer SubjectConfirmationData with NotBefore', mutate: (s) => { s.tamper.assertion = (x) => x.replace(SCD, `${SCD} NotBefore="${instant(-10)}"`); }, expect: { reason: 'malformed' } },

  // 11. Processing instructions and DTDs, anywhere; structural checks see the whole tree.
  {
    item: '11', name: 'refuses a processing instruction hiding a second assertion', connector: 'educlear',
    mutate: (s) => { s.tamper.response = (x) => x.replace('</samlp:Response>', `<?x y?>${x.slice(x.indexOf('<saml:Assertion '), x.indexOf('</saml:Assertion>') + 17).replace(/ ID="[^"]+"/, ' ID="_second"')}</samlp:Response>`); },
    expect: { reason: 'forbidden_xml' },
  },
  { item: '11', name: 'refuses a processing instruction in the prolog', mutate: (s) => { s.tamper.final = (x) => x.replace('<samlp:Response', '<?xml-stylesheet href="x"?><samlp:Response'); }, expect: { reason: 'forbidden_xml' } },
  { item: '11', name: 'refuses a processing instruction inside the decrypted assertion', mutate: (s) => { s.tamper.assertion = (x) => insert(x, CONDITIONS, '<?x y?>'); }, expect: { reason: 'forbidden_xml' } },
  { item: '11', name: 'refuses a DOCTYPE', mutate: (s) => { s.tamper.final = (x) => x.replace('<samlp:Response', '<!DOCTYPE r [<!ENTITY e "x">]><samlp:Response'); }, expect: { reason: 'forbidden_xml' } },
  {
    item: '11', name: 'refuses a second assertion after a comment (the walk sees through it)', connector: 'educlear',
    mutate: (s) => { s.tamper.response = (x) => x.replace('</samlp:Response>', `<!-- c -->${x.slice(x.indexOf('<saml:Assertion '), x.indexOf('</saml:Assertion>') + 17).replace(/ ID="[^"]+"/, ' ID="_second"')}</samlp:Response>`); },
    expect: { reason: 'malformed' },
  },
  {
    item: '11', name: 'refuses an assertion hidden in the Advice of the decrypted one',
    mutate: (s) => { s.tamper.assertion = (x) => insert(x, '<saml:AuthnStatement', `<saml:Advice><saml:Assertion ID="_advice" Version="2.0" IssueInstant="${instant(0)}"><saml:Issuer>x</saml:Issuer></saml:Assertion></saml:Advice>`); },
    expect: { reason: 'malformed' },
  },
  {
    item: '11', name: 'refuses a Signature (of any namespace) hidden in an extension point', connector: 'educlear',
    mutate: (s) => { s.tamper.response = (x) => insert(x, '<samlp:Status>', '<samlp:Extensions><x:Signature xmlns:x="urn:example:other"/></samlp:Extensions>'); },
    expect: { reason: 'malformed' },
  },

  // 12. Nothing on stderr; no pupil's data in logs or audit details.
  { item: '12', name: 'refuses garbage ciphertext without a word on stderr', mutate: (s) => { s.encryption!.data = 'aes256-cbc'; s.encryption!.dataCipherValue = Buffer.alloc(64, 7).toString('base64'); }, expect: { reason: 'decryption' } },
  { item: '12', name: 'refuses a decrypted text that is not XML without echoing it', mutate: (s) => { s.tamper.plaintext = () => `<saml:Assertion xmlns:saml="${SAML}">${SECRET}`; }, expect: { reason: 'schema' } },
  { item: '12', name: 'refuses a schema-invalid decrypted assertion without echoing its values', mutate: (s) => { s.tamper.assertion = (x) => x.replace(/AuthnInstant="[^"]+"/, `AuthnInstant="${SECRET}"`); }, expect: { reason: 'schema' } },
];

describe('SAML ACS hostile corpus', function () {
  this.timeout(60_000);
  let idp: Pysaml2Idp;
  let hub: Hub;
  let running: RunningServer;
  let url: string;
  let portal: oidc.Configuration;
  let dirs: string[];
  let keys: { idpKey: KeyObject; spEncryption: KeyObject };
  const logLines: string[] = [];

  before(async () => {
    idp = await preparePysaml2Idp();
    const keysDir = mkdtempSync(join(tmpdir(), 'hostile-keys-'));
    const dataDir = mkdtempSync(join(tmpdir(), 'hostile-hub-'));
    dirs = [keysDir, dataDir];
    const [signing, encryption] = await Promise.all([makeKeyPair(keysDir, 'sp-sign'), makeKeyPair(keysDir, 'sp-enc')]);
    keys = { idpKey: createPrivateKey(readFileSync(idp.keys.keyFile)), spEncryption: new X509Certificate(readFileSync(encryption.certFile)).publicKey };
    const saml = { idpMetadata: { file: idp.metadataFile }, signing, encryption };
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const config = configSchema.parse({
      issuer: url, http: { port, host: '127.0.0.1' },
      database: { url: process.env.HOSTILE_DATABASE_URL ?? `sqlite:${join(dataDir, 'hub.sqlite')}` },
      redis: { url: await testRedisUrl(), keyPrefix: randomPrefix() },
      keys: { dir: await testKeysDir() }, tenants: { dir: join(PROJECT_ROOT, 'tenants') }, log: { level: 'info' },
      clients: testClients(), oidc: { resources: testResources },
      federation: {
        connectors: [
          { id: 'educonnect', type: 'saml', displayName: 'ÉduConnect', enabled: true, saml: { ...saml, encryptionAlgorithms: ['aes128-gcm', 'aes256-gcm', 'aes128-cbc', 'aes256-cbc', 'rsa-oaep', 'rsa-oaep-11'] } },
          { id: 'educlear', type: 'saml', displayName: 'ÉduConnect (clair)', enabled: true, saml: { ...saml, wantAssertionsEncrypted: false } },
        ],
      },
    });
    const sink = new Writable({ write(chunk: Buffer, _enc, done) { logLines.push(...chunk.toString().split('\n').filter(Boolean)); done(); } });
    hub = await buildHub(config, createLogger('info', sink));
    running = await listen(hub, '127.0.0.1', port);
    portal = await discover(url, 'portal');
    await hub.store.forTenant('lille').accounts.create({ login: 'hostile.pupil', firstName: 'H', lastName: 'P', profile: 'Student', status: 'active', externalId: 'LILLE-7777', source: 'AC-LILLE' });
  });
  after(async () => {
    await running?.stop();
    await idp?.stop();
    for (const dir of dirs ?? []) rmSync(dir, { recursive: true, force: true });
  });

  /** Starts a sign-in on the connector, builds the case's Response for its request and posts it; what reached stderr/stdout meanwhile. */
  async function post(connector: Connector, mutate: (spec: MessageSpec) => void): Promise<{ page: Page; output: string }> {
    const s = await openLoginPage(portal);
    const start = await s.browser.request(`${url}/interaction/${s.uid}/federation/start/${connector}?lang=fr`);
    expect(start.status, start.body.slice(0, 300)).to.equal(302);
    const request = inflateRawSync(Buffer.from(new URL(start.location!).searchParams.get('SAMLRequest')!, 'base64')).toString();
    const requestId = / ID="([^"]+)"/.exec(request)![1]!;
    const acsUrl = `${url}/federation/${connector}/acs`;
    const spec = validSpec({ idpEntityId: idp.entityId, spEntityId: `${url}/federation/${connector}/metadata`, acsUrl, requestId, attributes: ATTRIBUTES, encrypted: connector === 'educonnect' });
    mutate(spec);
    const xml = await buildResponse(spec, keys);
    return captureOutput(() => postToAcs(s, { action: acsUrl, fields: { SAMLResponse: Buffer.from(xml).toString('base64') } }));
  }

  for (const c of CASES) {
    it(`[${c.item}] ${c.name}`, async () => {
      const { page, output } = await post(c.connector ?? 'educonnect', c.mutate);
      expect(output, 'nothing on stderr or stdout').to.equal('');
      if (c.expect === 'login') {
        expect(page.location, page.body.slice(0, 600)).to.match(new RegExp(`^${REDIRECT}`));
        return;
      }
      const { reason, status = 400 } = c.expect;
      const failure = await lastAudit(hub.store, null, 'federation.failure');
      expect(page.location, 'no login').to.equal(null);
      expect({ status: page.status, reason: failure?.reason, detail: failure?.detail }).to.deep.include({ status, reason });
      expect(page.body).to.include('Connexion refusée').and.include(`Code technique\u00a0: <code>${reason}</code>`);
      expect(String(failure?.detail)).not.to.include(SECRET);
    });
  }

  it('[12] no log line carries the pupil’s data', () => {
    expect(logLines.some((l) => l.includes('federated login refused')), 'refusals are logged').to.equal(true);
    expect(logLines.filter((l) => l.includes(SECRET))).to.deep.equal([]);
  });

  /**
   * Audited either by the ACS (`federation.failure`, too_large, once a minute per connector) or,
   * when the edge input guard runs first, by it (`request.invalid_input`, body_too_large, a bounded
   * number a minute): either way a flood does not fill the trail.
   */
  it('[12] refuses oversized SAML POSTs with a page, audited and rate-limited', async () => {
    const oversized = (e: { type: string; details: Record<string, unknown> }) =>
      (e.type === 'federation.failure' && e.details.reason === 'too_large') || (e.type === 'request.invalid_input' && e.details.reason === 'body_too_large');
    const count = async () => (await hub.store.audit.list({ limit: 200 })).filter(oversized).length;
    const before = await count();
    for (let i = 0; i < 25; i++) {
      const { page, output } = await captureOutput(() => fetch(`${url}/federation/educonnect/acs`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' }, body: `SAMLResponse=${'A'.repeat(300 * 1024)}`,
      }).then(async (r) => ({ status: r.status, body: await r.text(), location: r.headers.get('location') }) as Page));
      expect(output).to.equal('');
      expect(page.status).to.equal(413);
      expect(page.body).to.match(/^<!doctype html>/i);
    }
    expect((await count()) - before).to.be.within(1, 20);
  });
});

/** Runs `fn`, collecting what is written meanwhile to process.stderr and process.stdout (console.* included). */
async function captureOutput<T>(fn: () => Promise<T>): Promise<{ page: T; output: string }> {
  let output = '';
  const streams = [process.stderr, process.stdout] as const;
  const originals = streams.map((s) => s.write);
  for (const s of streams) {
    s.write = ((chunk: string | Uint8Array) => {
      output += chunk.toString();
      return true;
    }) as typeof s.write;
  }
  try {
    return { page: await fn(), output };
  } finally {
    streams.forEach((s, i) => (s.write = originals[i]!));
  }
}
