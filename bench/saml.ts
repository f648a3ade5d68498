/**
 * `npm run bench:saml`: SAML responses per second the hub's ACS can check, in process, next to
 * the crypto floor of the same message.
 *
 * The input is a real response from Debian's pysaml2 IdP (testing/harness/pysaml2.ts, run with
 * /usr/bin/python3): Response signed, Assertion signed then encrypted (RSA-OAEP key transport,
 * AES data encryption by default), ÉduConnect pupil attributes. At start the bench spawns the IdP,
 * opens the ÉduConnect SAML connector the way the hub does (ConnectorRegistry.open, the repo's
 * tenants for routing, a MemoryEphemeralStore), asks it for a login URL (a signed AuthnRequest
 * whose id is remembered as pending), fetches the IdP's answer form and keeps its SAMLResponse;
 * the IdP is stopped before anything is measured. The XML, the keys and the form field are kept
 * in a temp folder for the run (removed at the end).
 *
 * Measured, one at a time in this process (no HTTP), rounds alternating between them:
 *   hub       connector.saml.handlePost({ SAMLResponse }): what POST /federation/<id>/acs calls:
 *             base64 decode, schema validation of the Response, XML-DSig of the Response,
 *             algorithm checks, decryption (decrypt.ts), schema validation of the decrypted
 *             Assertion, XML-DSig of the Assertion, issuer/status/destination/recipient/
 *             audience/time-window checks, the replay claim and the pending-request take in
 *             the EphemeralStore, the ÉduConnect identity mapping. Left out: Koa's form body
 *             parsing and the ticket the route stores afterwards (toContinue).
 *             The message cannot change between iterations (its ids are signed), so:
 *             - the pending request (InResponseTo) is put back before each call (one Map.set,
 *               counted in the hub's time);
 *             - the replay claim (claimOnce) really runs against the memory store, on its key
 *               suffixed with the iteration number, so every iteration claims a fresh key.
 *   baseline  the crypto floor of the same message with node:crypto on KeyObjects created once,
 *             no XML work: one RSA-SHA256 verify per signature in the message (the Response's
 *             and the Assertion's SignedInfo, canonicalised once at start), the RSA-OAEP
 *             unwrap of the EncryptedKey and the AES (or 3DES) decryption of the
 *             EncryptedData. Digests of the signed content are not part of it.
 *   schema    validateSamlXml(response XML): libxml2-wasm parse + XSD validation of the
 *             Response alone (the hub does this and the same for the decrypted Assertion).
 * The IdP's side (issue 16, item 8), in the same rounds:
 *   idp-signed     buildResponse (src/saml/idp/response.ts): a GAR-like Response, assertion and
 *                  Response signed (RSA-SHA256, exclusive C14N), throwaway openssl keys;
 *   idp-encrypted  the same, the signed assertion encrypted for the SP (AES-256-GCM, RSA-OAEP);
 *   idp-floor      raw crypto.sign RSA-SHA256 with the same KeyObject, once per signature of a
 *                  response (2): one op = the signing floor of one response.
 * Each IdP row is printed against idp-floor (goal: ≥ 0.5).
 * The ratio hub / baseline (median ops/s; higher is better, 1 would mean the XML work is free)
 * and each absolute rate are printed, with the CPU time per operation (user + system of this
 * process, less sensitive to other load on the machine) and the one-time costs: loading
 * libxml2-wasm and compiling the SAML XSDs once.
 *
 *   BENCH_SAML_SECONDS     seconds per measured round (3); 3 rounds each, the median counts
 *   BENCH_SAML_ROUNDS      rounds per measurement (3)
 *   BENCH_SAML_WARMUP      warm-up seconds per measurement (1)
 *   BENCH_SAML_ENCRYPTION  data encryption the IdP uses: aes128-gcm (default), aes256-cbc,
 *                          tripledes-cbc (pysaml2's own default)
 *
 *   --json                 machine-readable results on stdout (progress goes to stderr)
 *
 * Exit status: 0 when every iteration succeeded, 1 when one failed (the error is printed and the
 * result is marked INVALID), 2 on a setup failure.
 */
import {
  constants, createDecipheriv, createPrivateKey, createPublicKey, privateDecrypt, sign, verify as verifySignature, type KeyObject,
} from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { XmlElement, XmlNode } from 'libxml2-wasm';
import { PROJECT_ROOT } from '../src/config/load.js';
import { platformConnectorSchema } from '../src/federation/config.js';
import type { ConnectorContext, LoginState, OpenConnector } from '../src/federation/core/connector.js';
import { samlConnectorType } from '../src/federation/connectors/saml/connector.js';
import { ENCRYPTION_ALGORITHMS } from '../src/federation/connectors/saml/settings.js';
import { ConnectorRegistry } from '../src/federation/core/registry.js';
import { sameAcademyCode } from '../src/federation/profiles/educonnect.js';
import { keyPairFromPem } from '../src/saml/core/keys.js';
import { libxml, loadLibxml } from '../src/saml/core/libxml.js';
import { validateSamlXml, warmUpSchemaValidator } from '../src/saml/core/schema-validator.js';
import { NS } from '../src/saml/core/xmldsig.js';
import { NAMEID_FORMATS } from '../src/saml/idp/nameid.js';
import { NAME_FORMATS } from '../src/saml/idp/release.js';
import { buildResponse, type ResponseInput } from '../src/saml/idp/response.js';
import { createLogger } from '../src/shared/logger.js';
import { readTenantFiles } from '../src/wiring/tenants.js';
import { MemoryEphemeralStore } from '../src/storage/memory/ephemeral.js';
import { makeKeyPair, preparePysaml2Idp, type Pysaml2Idp } from '../testing/harness/pysaml2.js';
import { envNumber, fmt, median, printHelpIfAsked, table } from './format.js';

// ---------------------------------------------------------------------------------------------
// Settings

type DataEncryption = 'aes128-gcm' | 'aes256-cbc' | 'tripledes-cbc';
const DATA_ENCRYPTIONS: readonly DataEncryption[] = ['aes128-gcm', 'aes256-cbc', 'tripledes-cbc'];

interface Settings {
  seconds: number;
  rounds: number;
  warmupSeconds: number;
  encryption: DataEncryption;
  json: boolean;
}

function readSettings(argv: string[]): Settings {
  const encryption = (process.env.BENCH_SAML_ENCRYPTION || 'aes128-gcm') as DataEncryption;
  if (!DATA_ENCRYPTIONS.includes(encryption)) throw new Error(`BENCH_SAML_ENCRYPTION must be one of ${DATA_ENCRYPTIONS.join(', ')} (got "${encryption}")`);
  return {
    seconds: envNumber('BENCH_SAML_SECONDS', 3, 0.1),
    rounds: Math.floor(envNumber('BENCH_SAML_ROUNDS', 3, 1)),
    warmupSeconds: envNumber('BENCH_SAML_WARMUP', 1, 0),
    encryption,
    json: argv.includes('--json'),
  };
}

const T0 = performance.now();
const progress = (line: string): void => void process.stderr.write(`[${((performance.now() - T0) / 1000).toFixed(1).padStart(5)} s] ${line}\n`);

// ---------------------------------------------------------------------------------------------
// The message: one response from pysaml2 for the hub's own AuthnRequest

const CONNECTOR_ID = 'educonnect';
const ISSUER = 'https://hub.bench.example';
const OID = 'urn:oid:1.3.6.1.4.1.20326.10.999.1.';
const SUBJECT = 'bench-pupil-1';
const ATTRIBUTES = {
  [`${OID}57`]: [SUBJECT],
  [`${OID}7`]: ['eleve2d'],
  [`${OID}72`]: ['0590121L'],
  [`${OID}67`]: ['2012-04-03'],
  'urn:oid:2.5.4.4': ['Lefèvre'],
  'urn:oid:2.5.4.42': ['Inès'],
  FrEduCtRefId: ['{AAF}09|X|1234567'],
};
const STATE: LoginState = { transactionId: 'bench-interaction', connectorId: CONNECTOR_ID, tenantId: null, lang: 'fr' };
/** As src/federation/connectors/saml.ts writes the pending request (not exported there). */
const requestKey = (requestId: string) => `fed:saml:req:${CONNECTOR_ID}:${requestId}`;

/**
 * The memory store, except that claimOnce claims `key#<iteration>`: the replay lookup runs for
 * real, on a key that is fresh at every iteration (the assertion id itself is signed).
 */
class BenchEphemeralStore extends MemoryEphemeralStore {
  iteration = 0;
  override async claimOnce(key: string, ttlSeconds: number): Promise<boolean> {
    return super.claimOnce(`${key}#${this.iteration}`, ttlSeconds);
  }
}

interface Fixture {
  dir: string;
  connector: OpenConnector;
  ephemeral: BenchEphemeralStore;
  encoded: string;
  xml: string;
  requestId: string;
  idpCertFile: string;
  spEncKeyFile: string;
  libxmlLoadMs: number;
  xsdCompileMs: number;
  connectorOpenMs: number;
  pysaml2: string;
}

function contextFor(ephemeral: BenchEphemeralStore): ConnectorContext {
  // As createFederation (src/federation/index.ts) builds it, from the repository's tenants.
  const tenants = readTenantFiles({ tenants: { dir: join(PROJECT_ROOT, 'tenants') } });
  const byId = new Map(tenants.map((t) => [t.id, t]));
  return {
    issuer: ISSUER,
    ephemeral,
    log: createLogger('silent'),
    production: false,
    routing: {
      tenantOfAcademyCode: (code) => tenants.find((t) => sameAcademyCode(t.academyCode, code))?.id ?? null,
      externalIdPrefixes: (tenantId) => {
        const tenant = byId.get(tenantId);
        if (!tenant) return [];
        const prefixes = tenant.directorySources.map((s) => s.externalIdPrefix ?? s.id.replace(/^AC-/, ''));
        return prefixes.length > 0 ? [...new Set(prefixes)] : [tenant.id.toUpperCase()];
      },
      allTenants: () => tenants.map((t) => t.id),
      academicDomains: (tenantId, connectorDomains) => (connectorDomains.length > 0 ? connectorDomains : [...new Set(byId.get(tenantId)?.directorySources.flatMap((s) => s.academicDomains) ?? [])]),
    },
  };
}

let idp: Pysaml2Idp | undefined;
let runDir: string | undefined;

async function prepare(settings: Settings): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'ent-sso-hub-bench-saml-'));
  runDir = dir;
  progress('starting the pysaml2 IdP (/usr/bin/python3) and making the SP key pairs');
  const [started, signing, encryption] = await Promise.all([preparePysaml2Idp(), makeKeyPair(dir, 'sp-sign'), makeKeyPair(dir, 'sp-enc')]);
  idp = started;

  let t = performance.now();
  await loadLibxml();
  const libxmlLoadMs = performance.now() - t;
  t = performance.now();
  await warmUpSchemaValidator();
  const xsdCompileMs = performance.now() - t;

  const ephemeral = new BenchEphemeralStore();
  const config = platformConnectorSchema.parse({
    id: CONNECTOR_ID, type: 'saml', displayName: 'ÉduConnect', enabled: true,
    saml: { idpMetadata: { file: idp.metadataFile }, signing, encryption },
  });
  t = performance.now();
  // The SAML half of defaultRegistry() (src/federation/index.ts), without the routes it imports.
  const connector = await new ConnectorRegistry().register(samlConnectorType).open(config, null, contextFor(ephemeral));
  const connectorOpenMs = performance.now() - t;
  const saml = connector.saml!;

  await idp.serve(saml.metadata());
  await idp.scenario({ attributes: ATTRIBUTES, name_id: SUBJECT, data_encryption: settings.encryption, lifetime_minutes: 10 });
  const loginUrl = await saml.loginUrl(STATE);
  const page = await fetch(loginUrl);
  const body = await page.text();
  if (page.status !== 200) throw new Error(`the IdP answered ${page.status}: ${body.slice(0, 300)}`);
  const encoded = /<input type="hidden" name="SAMLResponse" value="([^"]*)">/.exec(body)?.[1];
  if (!encoded) throw new Error(`no SAMLResponse in the IdP's form: ${body.slice(0, 300)}`);
  const idpCertFile = join(dir, 'idp.crt');
  writeFileSync(idpCertFile, readFileSync(idp.keys.certFile));
  const pysaml2 = 'pysaml2 (Debian python3-saml2) + xmlsec1';
  await idp.stop();
  idp = undefined;

  const xml = Buffer.from(encoded, 'base64').toString('utf8');
  writeFileSync(join(dir, 'response.b64'), encoded);
  writeFileSync(join(dir, 'response.xml'), xml);
  const requestId = /\bInResponseTo="([^"]+)"/.exec(xml)?.[1];
  if (!requestId) throw new Error('the response carries no InResponseTo');
  return { dir, connector, ephemeral, encoded, xml, requestId, idpCertFile, spEncKeyFile: encryption.keyFile, libxmlLoadMs, xsdCompileMs, connectorOpenMs, pysaml2 };
}

// ---------------------------------------------------------------------------------------------
// The three operations

/** One ACS check, as the route runs it; throws unless it yields the pupil's identity. */
function hubOperation(f: Fixture): () => Promise<void> {
  const saml = f.connector.saml!;
  const state = JSON.stringify(STATE);
  const body = { SAMLResponse: f.encoded };
  return async () => {
    f.ephemeral.iteration++;
    await f.ephemeral.put(requestKey(f.requestId), state, 600);
    const { identity } = await saml.handlePost(body);
    if (identity.subject !== SUBJECT) throw new Error(`unexpected subject ${identity.subject}`);
  };
}

const SIGNATURE_HASHES: Record<string, string> = {
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256': 'sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512': 'sha512',
};
const OAEP = ENCRYPTION_ALGORITHMS['rsa-oaep'];
const CIPHERS: Record<string, { name: string; iv: number; tag: number }> = {
  [ENCRYPTION_ALGORITHMS['aes128-gcm']]: { name: 'aes-128-gcm', iv: 12, tag: 16 },
  [ENCRYPTION_ALGORITHMS['aes256-gcm']]: { name: 'aes-256-gcm', iv: 12, tag: 16 },
  [ENCRYPTION_ALGORITHMS['aes128-cbc']]: { name: 'aes-128-cbc', iv: 16, tag: 0 },
  [ENCRYPTION_ALGORITHMS['aes256-cbc']]: { name: 'aes-256-cbc', iv: 16, tag: 0 },
  [ENCRYPTION_ALGORITHMS['tripledes-cbc']]: { name: 'des-ede3-cbc', iv: 8, tag: 0 },
};

interface SignatureInput {
  on: string;
  hash: string;
  signedInfo: Buffer;
  value: Buffer;
}

interface CryptoFloor {
  signatures: SignatureInput[];
  keyTransport: string;
  dataEncryption: string;
  wrappedKey: Buffer;
  cipher: { name: string; iv: Buffer; data: Buffer; tag: Buffer | null };
  plaintextBytes: number;
  idpKey: KeyObject;
  decryptionKey: KeyObject;
}

const b64 = (node: XmlNode | undefined, what: string): Buffer => {
  if (!node) throw new Error(`no ${what} in the message`);
  return Buffer.from(node.content.replace(/\s+/g, ''), 'base64');
};

/** The SignedInfo (exclusive c14n, as the Signature says) and SignatureValue of `el`'s enveloped signature. */
function signatureOf(el: XmlElement, on: string): SignatureInput {
  const lx = libxml();
  const ctx = { ds: NS.ds, ec: NS.ec };
  const signedInfo = el.get('./ds:Signature/ds:SignedInfo', ctx);
  if (!(signedInfo instanceof lx.XmlElement)) throw new Error(`no signature on the ${on}`);
  const method = signedInfo.get('./ds:CanonicalizationMethod', ctx) as XmlElement;
  const prefixes = (signedInfo.get('./ds:CanonicalizationMethod/ec:InclusiveNamespaces', ctx) as XmlElement | null)?.attr('PrefixList')?.value.split(/\s+/).filter(Boolean).map((p) => (p === '#default' ? '' : p));
  const canonical = signedInfo.canonicalizeToString({
    mode: lx.XmlC14NMode.XML_C14N_EXCLUSIVE_1_0,
    withComments: method.attr('Algorithm')?.value.endsWith('#WithComments') ?? false,
    ...(prefixes ? { inclusiveNamespacePrefixes: prefixes } : {}),
  });
  const algorithm = (signedInfo.get('./ds:SignatureMethod', ctx) as XmlElement).attr('Algorithm')?.value ?? '';
  const hash = SIGNATURE_HASHES[algorithm];
  if (!hash) throw new Error(`signature algorithm ${algorithm} on the ${on}`);
  return { on, hash, signedInfo: Buffer.from(canonical, 'utf8'), value: b64(el.get('./ds:Signature/ds:SignatureValue', ctx) ?? undefined, `${on} SignatureValue`) };
}

function decryptData(floor: Pick<CryptoFloor, 'cipher'>, key: Buffer): Buffer {
  const { name, iv, data, tag } = floor.cipher;
  const decipher = createDecipheriv(name, key, iv);
  if (tag) {
    (decipher as ReturnType<typeof createDecipheriv> & { setAuthTag(t: Buffer): void }).setAuthTag(tag);
    return Buffer.concat([decipher.update(data), decipher.final()]);
  }
  // XML Encryption's CBC padding (ISO 10126): the last byte is the pad length, the rest random.
  decipher.setAutoPadding(false);
  const padded = Buffer.concat([decipher.update(data), decipher.final()]);
  return padded.subarray(0, padded.length - padded[padded.length - 1]!);
}

/** Reads the message once (outside any timing) and checks that the floor's work does succeed. */
function cryptoFloorOf(f: Fixture): CryptoFloor {
  const lx = libxml();
  const ctx = { samlp: NS.samlp, saml: NS.saml, xenc: NS.xenc, ds: NS.ds };
  const doc = lx.XmlDocument.fromString(f.xml);
  try {
    const response = doc.root;
    const signatures = [signatureOf(response, 'Response')];
    const encryptedData = response.get('./saml:EncryptedAssertion/xenc:EncryptedData', ctx);
    if (!(encryptedData instanceof lx.XmlElement)) throw new Error('no EncryptedAssertion/EncryptedData in the message');
    const encryptedKey = response.get('./saml:EncryptedAssertion//xenc:EncryptedKey', ctx);
    if (!(encryptedKey instanceof lx.XmlElement)) throw new Error('no EncryptedKey in the message');
    const keyTransport = (encryptedKey.get('./xenc:EncryptionMethod', ctx) as XmlElement | null)?.attr('Algorithm')?.value ?? '';
    if (keyTransport !== OAEP) throw new Error(`key transport ${keyTransport}, the baseline does RSA-OAEP (MGF1, SHA-1) only`);
    const dataEncryption = (encryptedData.get('./xenc:EncryptionMethod', ctx) as XmlElement | null)?.attr('Algorithm')?.value ?? '';
    const spec = CIPHERS[dataEncryption];
    if (!spec) throw new Error(`data encryption ${dataEncryption} not handled by the baseline`);
    const cipherValue = b64(encryptedData.get('./xenc:CipherData/xenc:CipherValue', ctx) ?? undefined, 'EncryptedData CipherValue');
    const floor: CryptoFloor = {
      signatures,
      keyTransport,
      dataEncryption,
      wrappedKey: b64(encryptedKey.get('./xenc:CipherData/xenc:CipherValue', ctx) ?? undefined, 'EncryptedKey CipherValue'),
      cipher: {
        name: spec.name,
        iv: cipherValue.subarray(0, spec.iv),
        data: cipherValue.subarray(spec.iv, cipherValue.length - spec.tag),
        tag: spec.tag ? cipherValue.subarray(cipherValue.length - spec.tag) : null,
      },
      plaintextBytes: 0,
      idpKey: createPublicKey(readFileSync(f.idpCertFile)),
      decryptionKey: createPrivateKey(readFileSync(f.spEncKeyFile)),
    };
    // Decrypt once to find the Assertion's signature (inside the encryption).
    const plain = decryptData(floor, privateDecrypt({ key: floor.decryptionKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, floor.wrappedKey));
    floor.plaintextBytes = plain.length;
    const assertionDoc = lx.XmlDocument.fromString(plain.toString('utf8'));
    try {
      const assertion = assertionDoc.root;
      if (assertion.namespaceUri !== NS.saml || assertion.name !== 'Assertion') throw new Error('the decrypted data is not an Assertion');
      signatures.push(signatureOf(assertion, 'Assertion'));
    } finally {
      assertionDoc.dispose();
    }
    const nested = response.find('.//ds:Signature', ctx).length;
    if (nested !== 1) throw new Error(`${nested} signatures outside the encryption, expected the Response's only`);
    for (const s of signatures) {
      if (!verifySignature(s.hash, s.signedInfo, floor.idpKey, s.value)) throw new Error(`the ${s.on} signature does not verify over the canonical SignedInfo`);
    }
    return floor;
  } finally {
    doc.dispose();
  }
}

function baselineOperation(floor: CryptoFloor): () => void {
  const { signatures, idpKey, decryptionKey, wrappedKey, plaintextBytes } = floor;
  return () => {
    for (const s of signatures) if (!verifySignature(s.hash, s.signedInfo, idpKey, s.value)) throw new Error(`${s.on} signature did not verify`);
    const key = privateDecrypt({ key: decryptionKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, wrappedKey);
    if (decryptData(floor, key).length !== plaintextBytes) throw new Error('decrypted length differs');
  };
}

function schemaOperation(f: Fixture): () => void {
  return () => validateSamlXml(f.xml);
}

// ---------------------------------------------------------------------------------------------
// The IdP's side: building the Response (issue 16, item 8)

/** Signatures in one IdP response: the assertion's and the Response's (encryption adds none). */
const SIGNATURES_PER_RESPONSE = 2;

interface IdpOperations {
  signed: () => void;
  encrypted: () => void;
  floor: () => void;
}

/** A GAR-like response (persistent NameID, idEnt and GARPersonIdentifiant) and the signing floor, with fresh keys. */
async function idpOperations(dir: string): Promise<IdpOperations> {
  const [idpFiles, spFiles] = await Promise.all([makeKeyPair(dir, 'idp-out'), makeKeyPair(dir, 'sp-out')]);
  const keys = keyPairFromPem(readFileSync(idpFiles.keyFile, 'utf8'), readFileSync(idpFiles.certFile, 'utf8'), { key: idpFiles.keyFile, cert: idpFiles.certFile });
  const spCert = readFileSync(spFiles.certFile, 'utf8');
  const input = (): ResponseInput => ({
    issuer: `${ISSUER}/saml/metadata`, sp: 'https://sp.bench.example/metadata', acsUrl: 'https://sp.bench.example/acs/post', inResponseTo: '_bench-request',
    nameId: { value: 'bench-pairwise-id', format: NAMEID_FORMATS.persistent },
    attributes: [
      { name: 'idEnt', friendlyName: 'idEnt', nameFormat: NAME_FORMATS.basic, values: ['HDF-BENCH'] },
      { name: 'GARPersonIdentifiant', friendlyName: 'GARPersonIdentifiant', nameFormat: NAME_FORMATS.basic, values: [SUBJECT] },
    ],
    authn: { instant: new Date(), acr: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport', sessionIndex: '_bench-session' },
    now: new Date(), keys,
  });
  // What RSA-SHA256 signs in XML-DSig: a canonical SignedInfo of about this size.
  const signedInfo = Buffer.alloc(600, 'x');
  return {
    signed: () => void buildResponse(input()),
    encrypted: () => void buildResponse({ ...input(), encryptTo: spCert }),
    floor: () => {
      for (let i = 0; i < SIGNATURES_PER_RESPONSE; i++) sign('sha256', signedInfo, keys.privateKey);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Measuring

type Name = 'hub' | 'baseline' | 'schema' | 'idp-signed' | 'idp-encrypted' | 'idp-floor';
/** The floor each measurement is compared with. */
const FLOOR_OF: Partial<Record<Name, Name>> = { hub: 'baseline', schema: 'baseline', 'idp-signed': 'idp-floor', 'idp-encrypted': 'idp-floor' };

interface Round {
  name: Name;
  round: number;
  ops: number;
  seconds: number;
  rate: number;
  cpuUsPerOp: number;
}

async function measure(name: Name, op: () => Promise<void> | void, seconds: number, round: number): Promise<Round> {
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const end = start + seconds * 1000;
  let ops = 0;
  let now = start;
  do {
    const pending = op();
    if (pending) await pending;
    ops++;
    now = performance.now();
  } while (now < end);
  const cpu = process.cpuUsage(cpuBefore);
  const elapsed = (now - start) / 1000;
  return { name, round, ops, seconds: elapsed, rate: ops / elapsed, cpuUsPerOp: (cpu.user + cpu.system) / ops };
}

interface Summary {
  name: Name;
  medianRate: number | null;
  medianUsPerOp: number | null;
  medianCpuUsPerOp: number | null;
  ops: number;
  error: string | null;
}

// ---------------------------------------------------------------------------------------------
// Output

interface Report {
  benchmark: string;
  settings: Omit<Settings, 'json'>;
  environment: { node: string; cpus: number; cpuModel: string; loadAverageAtStart: number[]; loadAverageAtEnd: number[] };
  message: { source: string; responseBytes: number; base64Bytes: number; signatures: string[]; keyTransport: string; dataEncryption: string; assertionBytes: number };
  oneTime: { libxmlLoadMs: number; xsdCompileMs: number; connectorOpenMs: number };
  notes: string[];
  warmup: Round[];
  rounds: Round[];
  summaries: Summary[];
  ratio: { hubOverBaseline: number | null; cpuBaselineOverHub: number | null; idpSignedOverFloor: number | null; idpEncryptedOverFloor: number | null };
  valid: boolean;
}

const LABELS: Record<Name, string> = {
  hub: 'hub ACS check (handlePost)',
  baseline: 'baseline: crypto floor',
  schema: 'schema validation alone',
  'idp-signed': 'IdP response, signed',
  'idp-encrypted': 'IdP response, signed + encrypted',
  'idp-floor': `IdP floor: ${SIGNATURES_PER_RESPONSE} × crypto.sign`,
};

function printReport(r: Report): void {
  const out: string[] = [];
  const e = r.environment;
  const m = r.message;
  out.push('', 'ent-sso-hub SAML ACS benchmark (in process, no HTTP)', '');
  out.push(`  message   ${m.source}: Response ${m.responseBytes} bytes (${m.base64Bytes} base64), signed ${m.signatures.join(' + ')}, EncryptedAssertion ${m.dataEncryption.split('#')[1]} / ${m.keyTransport.split('#')[1]} (assertion ${m.assertionBytes} bytes)`);
  out.push(`  rounds    ${r.settings.rounds} × ${r.settings.seconds} s per measurement, alternating, after ${r.settings.warmupSeconds} s warm-up each; median counts`);
  out.push(`  machine   node ${e.node}, ${e.cpus} CPU(s) ${e.cpuModel}, load average at start ${e.loadAverageAtStart.map((v) => v.toFixed(2)).join(' ')}, at end ${e.loadAverageAtEnd.map((v) => v.toFixed(2)).join(' ')}`);
  out.push(`  one-time  libxml2-wasm load ${r.oneTime.libxmlLoadMs.toFixed(0)} ms, XSD compile (once) ${r.oneTime.xsdCompileMs.toFixed(0)} ms, connector open ${r.oneTime.connectorOpenMs.toFixed(0)} ms`);
  for (const note of r.notes) out.push(`  note      ${note}`);
  out.push('', 'Rounds');
  const roundRows = [['round', 'measurement', 'ops', 's', 'ops/s', 'µs/op', 'µs CPU/op']];
  for (const x of [...r.warmup, ...r.rounds]) {
    roundRows.push([x.round === 0 ? 'warm-up' : String(x.round), x.name, String(x.ops), fmt(x.seconds, 2), fmt(x.rate), fmt(1e6 / x.rate), fmt(x.cpuUsPerOp)]);
  }
  out.push(table(roundRows, [false, false, true, true, true, true, true]).replace(/^/gm, '  '));
  out.push('', 'Summary (median of the measured rounds)');
  const rows = [['measurement', 'ops/s', 'µs/op', 'µs CPU/op', 'vs its floor', 'status']];
  for (const s of r.summaries) {
    const floorName = FLOOR_OF[s.name];
    const floor = floorName && r.summaries.find((x) => x.name === floorName);
    const vs = !floor ? '' : s.medianRate !== null && floor.medianRate ? `${((s.medianRate / floor.medianRate) * 100).toFixed(1)} %` : '—';
    rows.push([LABELS[s.name], s.error ? 'INVALID' : fmt(s.medianRate), fmt(s.medianUsPerOp), fmt(s.medianCpuUsPerOp), vs, s.error ? `FAILED: ${s.error}` : 'ok']);
  }
  out.push(table(rows, [false, true, true, true, true, false]).replace(/^/gm, '  '));
  out.push('');
  if (r.ratio.hubOverBaseline === null) out.push('  ratio hub/baseline: not reported (a measurement failed, see above)');
  else {
    out.push(`  ratio hub/baseline (median ops/s, higher is better): ${r.ratio.hubOverBaseline.toFixed(3)}`);
    if (r.ratio.cpuBaselineOverHub !== null) out.push(`  CPU cost ratio baseline/hub (µs CPU per op, less sensitive to other load): ${r.ratio.cpuBaselineOverHub.toFixed(3)}`);
  }
  const idpRatio = (label: string, ratio: number | null) => out.push(`  IdP ${label} responses/s ÷ (crypto.sign/s ÷ ${SIGNATURES_PER_RESPONSE}) (goal ≥ 0.5): ${ratio === null ? 'not reported (a measurement failed)' : ratio.toFixed(3)}`);
  idpRatio('signed', r.ratio.idpSignedOverFloor);
  idpRatio('signed + encrypted', r.ratio.idpEncryptedOverFloor);
  out.push('');
  process.stdout.write(`${out.join('\n')}\n`);
}

// ---------------------------------------------------------------------------------------------

async function cleanUp(fixture?: Fixture): Promise<void> {
  await fixture?.connector.close().catch(() => undefined);
  fixture?.ephemeral.close();
  if (idp) await idp.stop().catch(() => undefined);
  idp = undefined;
  if (runDir) rmSync(runDir, { recursive: true, force: true });
  runDir = undefined;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (printHelpIfAsked(argv, import.meta.url)) return 0;
  const settings = readSettings(argv);
  const loadAverageAtStart = loadavg();
  let fixture: Fixture | undefined;
  try {
    fixture = await prepare(settings);
    const f = fixture;
    progress(`response of ${f.xml.length} bytes kept in ${f.dir}; checking it once`);
    const hub = hubOperation(f);
    await hub();
    const floor = cryptoFloorOf(f);
    const idpOps = await idpOperations(f.dir);
    const operations: Record<Name, () => Promise<void> | void> = {
      hub, baseline: baselineOperation(floor), schema: schemaOperation(f),
      'idp-signed': idpOps.signed, 'idp-encrypted': idpOps.encrypted, 'idp-floor': idpOps.floor,
    };
    const names: Name[] = ['hub', 'baseline', 'schema', 'idp-signed', 'idp-encrypted', 'idp-floor'];
    const errors = new Map<Name, string>();
    const run = async (name: Name, seconds: number, round: number): Promise<Round | undefined> => {
      if (errors.has(name)) return undefined;
      try {
        return await measure(name, operations[name], seconds, round);
      } catch (err) {
        errors.set(name, err instanceof Error ? err.message : String(err));
        progress(`  ${name} FAILED: ${errors.get(name)}`);
        return undefined;
      }
    };

    const warmup: Round[] = [];
    if (settings.warmupSeconds > 0) {
      progress(`warm-up (${settings.warmupSeconds} s each)`);
      for (const name of names) {
        const r = await run(name, settings.warmupSeconds, 0);
        if (r) warmup.push(r);
      }
    }
    const rounds: Round[] = [];
    for (let round = 1; round <= settings.rounds; round++) {
      for (const name of names) {
        progress(`round ${round}/${settings.rounds} ${name} (${settings.seconds} s)`);
        const r = await run(name, settings.seconds, round);
        if (!r) continue;
        rounds.push(r);
        progress(`  ${fmt(r.rate)} ops/s, ${fmt(r.cpuUsPerOp)} µs CPU/op`);
      }
    }

    const summaries: Summary[] = names.map((name) => {
      const own = rounds.filter((r) => r.name === name);
      const error = errors.get(name) ?? null;
      const rate = !error && own.length ? median(own.map((r) => r.rate)) : null;
      return {
        name,
        medianRate: rate,
        medianUsPerOp: rate ? 1e6 / rate : null,
        medianCpuUsPerOp: !error && own.length ? median(own.map((r) => r.cpuUsPerOp)) : null,
        ops: own.reduce((n, r) => n + r.ops, 0),
        error,
      };
    });
    const by = (name: Name) => summaries.find((s) => s.name === name)!;
    const h = by('hub');
    const b = by('baseline');
    const overIdpFloor = (name: Name) => {
      const rate = by(name).medianRate;
      const floorRate = by('idp-floor').medianRate;
      return rate !== null && floorRate ? rate / floorRate : null;
    };
    const report: Report = {
      benchmark: 'SAML ACS response check (handlePost, in process) vs the crypto floor of the same message',
      settings: { seconds: settings.seconds, rounds: settings.rounds, warmupSeconds: settings.warmupSeconds, encryption: settings.encryption },
      environment: { node: process.version, cpus: availableParallelism(), cpuModel: cpus()[0]?.model.trim() ?? 'unknown', loadAverageAtStart, loadAverageAtEnd: loadavg() },
      message: {
        source: f.pysaml2,
        responseBytes: Buffer.byteLength(f.xml),
        base64Bytes: f.encoded.length,
        signatures: floor.signatures.map((s) => `${s.on} (RSA-${s.hash.toUpperCase()})`),
        keyTransport: floor.keyTransport,
        dataEncryption: floor.dataEncryption,
        assertionBytes: floor.plaintextBytes,
      },
      oneTime: { libxmlLoadMs: f.libxmlLoadMs, xsdCompileMs: f.xsdCompileMs, connectorOpenMs: f.connectorOpenMs },
      notes: [
        'hub = connector.saml.handlePost as POST /federation/educonnect/acs calls it (Koa body parsing and the continue ticket left out); MemoryEphemeralStore',
        'hub: the pending request is put back before each call and the replay claim uses key#<iteration> (the signed ids cannot change); both lookups still run',
        `baseline = ${floor.signatures.length} × RSA verify over the canonical SignedInfo + RSA-OAEP unwrap + ${floor.cipher.name} decryption, node:crypto, KeyObjects made once, no XML work`,
        'schema = validateSamlXml on the Response XML (the hub also validates the decrypted Assertion)',
        `idp-* = buildResponse (src/saml/idp/response.ts) of a GAR-like response vs idp-floor = ${SIGNATURES_PER_RESPONSE} × crypto.sign RSA-SHA256 with the same KeyObject (one response's signatures)`,
        'other processes may load this machine: µs CPU/op (this process, user + system) is less sensitive to that than ops/s',
      ],
      warmup,
      rounds,
      summaries,
      ratio: {
        hubOverBaseline: h.medianRate !== null && b.medianRate ? h.medianRate / b.medianRate : null,
        cpuBaselineOverHub: h.medianCpuUsPerOp && b.medianCpuUsPerOp ? b.medianCpuUsPerOp / h.medianCpuUsPerOp : null,
        idpSignedOverFloor: overIdpFloor('idp-signed'),
        idpEncryptedOverFloor: overIdpFloor('idp-encrypted'),
      },
      valid: errors.size === 0,
    };
    if (settings.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else printReport(report);
    return report.valid ? 0 : 1;
  } finally {
    await cleanUp(fixture);
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    progress(`${signal}: stopping the IdP, removing the temp folder`);
    void cleanUp().finally(() => process.exit(130));
  });
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  async (err: unknown) => {
    progress(`benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    await cleanUp();
    process.exitCode = 2;
  },
);
