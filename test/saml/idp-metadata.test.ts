/**
 * The SAML IdP's keys and signed metadata (issue 16, item 1): the served document is valid
 * against the OASIS metadata schema, its signature is accepted by xmlsec1 (a real peer), pysaml2
 * loads it, both certificates of a rotation are published, and the configured pairs' refusals.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { loadLibxml } from '../../src/saml/core/libxml.js';
import { certificateBody } from '../../src/saml/core/keys.js';
import { configuredPairwiseSalt, samlIdpConfigSchema } from '../../src/saml/idp/config.js';
import { configuredSigningKeys } from '../../src/saml/idp/keys.js';
import { DEFAULT_LIFETIME_SECONDS } from '../../src/saml/idp/response.js';
import { keyKind, signingKeyRing } from '../../src/wiring/signing-keys.js';
import { ConfigError } from '../../src/shared/errors.js';
import { startTestHub, type TestHub } from '../../testing/harness/hub.js';
import { makeKeyPair, type KeyFiles } from '../../testing/harness/pysaml2.js';

const run = promisify(execFile);
const PYSAML2_SCHEMAS = '/usr/lib/python3/dist-packages/saml2/data/schemas';
const KIT_SCHEMAS = new URL('../../src/saml/core/xsd/', import.meta.url);

/**
 * Validates against saml-schema-metadata-2.0.xsd (pysaml2's copy, the one the kit's schemas
 * come from), its imports resolved to the kit's offline copies: nothing fetched.
 */
async function validateMetadataSchema(xml: string): Promise<void> {
  const { XmlBufferInputProvider, XmlDocument, XsdValidator, xmlRegisterInputProvider } = await loadLibxml();
  const root = 'md-xsd:///';
  const kit = (name: string) => readFileSync(new URL(name, KIT_SCHEMAS));
  const metadataXsd = readFileSync(join(PYSAML2_SCHEMAS, 'saml-schema-metadata-2.0.xsd'), 'utf8').replace(/schemaLocation="http[^"]*\/([^/"]+)"/g, 'schemaLocation="$1"');
  xmlRegisterInputProvider(new XmlBufferInputProvider({
    [`${root}saml-schema-metadata-2.0.xsd`]: Buffer.from(metadataXsd),
    [`${root}saml-schema-assertion-2.0.xsd`]: kit('saml-schema-assertion-2.0.xsd'),
    [`${root}xmldsig-core-schema.xsd`]: kit('xmldsig-core-schema.xsd'),
    [`${root}xenc-schema.xsd`]: kit('xenc-schema.xsd'),
    [`${root}xml.xsd`]: readFileSync(join(PYSAML2_SCHEMAS, 'xml.xsd')),
  }));
  const schemaDoc = XmlDocument.fromBuffer(Buffer.from(metadataXsd), { url: `${root}saml-schema-metadata-2.0.xsd` });
  const validator = XsdValidator.fromDoc(schemaDoc);
  const doc = XmlDocument.fromString(xml);
  try {
    validator.validate(doc);
  } finally {
    doc.dispose();
    validator.dispose();
    schemaDoc.dispose();
  }
}

/** xmlsec1's verdict on the metadata's signature with this certificate (exit code 0: accepted). */
async function xmlsecAccepts(xml: string, certFile: string, dir: string): Promise<boolean> {
  const file = join(dir, 'metadata.xml');
  writeFileSync(file, xml);
  try {
    await run('xmlsec1', ['--verify', '--pubkey-cert-pem', certFile, '--id-attr:ID', 'urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor', file]);
    return true;
  } catch {
    return false;
  }
}

function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const idpSection = (keys: unknown[] = []) => samlIdpConfigSchema.parse({ keys });

describe('SAML IdP metadata', () => {
  let dir: string;
  let active: KeyFiles;
  let next: KeyFiles;
  let encryption: KeyFiles;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'idp-metadata-'));
    [active, next, encryption] = [await makeKeyPair(dir, 'active'), await makeKeyPair(dir, 'next'), await makeKeyPair(dir, 'encryption')];
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('served by the hub', () => {
    let hub: TestHub;
    let response: Response;
    let xml: string;

    before(async () => {
      hub = await startTestHub({
        redis: 'memory',
        config: {
          samlIdp: {
            metadata: { validSeconds: 3 * 24 * 3600, cacheSeconds: 6 * 3600 },
            // Rotation: the active signing pair first, the next one published only.
            keys: [{ ...active, use: 'signing' }, { ...next, use: 'signing' }, { ...encryption, use: 'encryption' }],
          },
        },
      });
      response = await fetch(`${hub.url}/saml/metadata`);
      xml = await response.text();
    });
    after(() => hub?.stop());

    it('is served at its entityID, as application/samlmetadata+xml, cacheable as long as cacheDuration says', () => {
      expect(response.status).to.equal(200);
      expect(response.headers.get('content-type')).to.match(/^application\/samlmetadata\+xml/);
      expect(response.headers.get('cache-control')).to.equal('public, max-age=21600');
      expect(xml).to.contain(`entityID="${hub.url}/saml/metadata"`);
      expect(xml).to.contain('cacheDuration="PT21600S"');
      const validUntil = Date.parse(/validUntil="([^"]+)"/.exec(xml)![1]!);
      expect(validUntil - Date.now()).to.be.within(3 * 24 * 3600e3 - 60e3, 3 * 24 * 3600e3);
    });

    it('is valid against the SAML metadata schema, endpoints and NameID formats included', async () => {
      await validateMetadataSchema(xml);
      let refused = false;
      await validateMetadataSchema(xml.replace('WantAuthnRequestsSigned="false"', 'WantAuthnRequestsSigned="maybe"')).catch(() => { refused = true; });
      expect(refused, 'the schema check itself refuses a wrong document').to.equal(true);
      expect(xml).to.contain('WantAuthnRequestsSigned="false"');
      for (const binding of ['HTTP-Redirect', 'HTTP-POST']) {
        expect(xml).to.contain(`<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:${binding}" Location="${hub.url}/saml/sso"/>`);
        expect(xml).to.contain(`<md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:${binding}" Location="${hub.url}/saml/slo"/>`);
      }
      expect([...xml.matchAll(/<md:NameIDFormat>([^<]+)</g)].map((m) => m[1])).to.deep.equal([
        'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
        'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
        'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
      ]);
    });

    it('publishes both signing certificates of a rotation and the encryption one; is signed with the first', async () => {
      const published = (use: string) => [...xml.matchAll(new RegExp(`<md:KeyDescriptor use="${use}">.*?<ds:X509Certificate>([^<]+)<`, 'g'))].map((m) => m[1]);
      const body = (files: KeyFiles) => certificateBody(readFileSync(files.certFile, 'utf8'));
      expect(published('signing')).to.deep.equal([body(active), body(next)]);
      expect(published('encryption')).to.deep.equal([body(encryption)]);
      expect(await xmlsecAccepts(xml, active.certFile, dir), 'signed with the active key').to.equal(true);
      expect(await xmlsecAccepts(xml, next.certFile, dir), 'not with the published one').to.equal(false);
      expect(await xmlsecAccepts(xml.replace(`${hub.url}/saml/sso`, 'https://evil.example/sso'), active.certFile, dir), 'altered').to.equal(false);
    });

    it('loads in pysaml2\'s metadata store, endpoints and certificates read', async () => {
      const file = join(dir, 'served.xml');
      writeFileSync(file, xml);
      const script = [
        'import sys, json',
        'from saml2.mdstore import MetadataStore',
        'from saml2.attribute_converter import ac_factory',
        'from saml2.config import Config',
        'mds = MetadataStore(ac_factory(), Config())',
        'mds.load("local", sys.argv[1])',
        'eid = sys.argv[2]',
        'sso = mds.single_sign_on_service(eid, "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect")',
        'print(json.dumps({"sso": [s["location"] for s in sso], "signing": len(mds.certs(eid, "idpsso", "signing")), "encryption": len(mds.certs(eid, "idpsso", "encryption"))}))',
      ].join('\n');
      const { stdout } = await run('/usr/bin/python3', ['-c', script, file, `${hub.url}/saml/metadata`]);
      expect(JSON.parse(stdout)).to.deep.equal({ sso: [`${hub.url}/saml/sso`], signing: 2, encryption: 1 });
    });
  });

  describe('rotation, keys in the store', () => {
    let hub: TestHub;
    let now = Date.now();
    const clock = () => new Date(now);

    before(async () => {
      hub = await startTestHub({ redis: 'memory', clock, config: { keys: { refreshSeconds: 0.1 } } });
    });
    after(() => hub?.stop());

    const signingCerts = (xml: string) => [...xml.matchAll(/<md:KeyDescriptor use="signing">.*?<ds:X509Certificate>([^<]+)</g)].map((m) => m[1]);

    /** Polls the metadata until `check` holds (the hub reads its keys every 0.1 s). */
    async function metadataWhen(check: (certs: string[]) => boolean): Promise<string> {
      const deadline = Date.now() + 3000;
      for (;;) {
        const xml = await (await fetch(`${hub.url}/saml/metadata`)).text();
        if (check(signingCerts(xml) as string[])) return xml;
        if (Date.now() > deadline) throw new Error(`the metadata did not change: ${signingCerts(xml).length} signing certificates`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }

    function certFile(name: string, pem: string): string {
      const file = join(dir, `${name}.crt`);
      writeFileSync(file, pem);
      return file;
    }

    it('publishes the next certificate first, signs with it from activatesAt, then drops the old one', async () => {
      const [old] = (await signingKeyRing(hub.config, hub.hub.store, clock).live('saml'));
      const oldCert = certFile('rotation-old', old!.publicKey);
      expect(signingCerts(await metadataWhen(() => true))).to.deep.equal([certificateBody(old!.publicKey)]);

      const [added] = await signingKeyRing(hub.config, hub.hub.store, clock).rotate(keyKind(hub.config, 'saml'), 3600);
      const newPem = (await signingKeyRing(hub.config, hub.hub.store, clock).live('saml')).find((k) => k.kid === added!.kid)!.publicKey;
      const newCert = certFile('rotation-new', newPem);
      const published = await metadataWhen((certs) => certs.length === 2);
      expect(signingCerts(published), 'the active one first, the next one published').to.deep.equal([certificateBody(old!.publicKey), certificateBody(newPem)]);
      expect(await xmlsecAccepts(published, oldCert, dir), 'still signed with the active key').to.equal(true);
      expect(await xmlsecAccepts(published, newCert, dir)).to.equal(false);

      now += 3600_000 + 1000;
      const switched = await metadataWhen((certs) => certs[0] === certificateBody(newPem));
      expect(signingCerts(switched), 'the previous one still published').to.deep.equal([certificateBody(newPem), certificateBody(old!.publicKey)]);
      expect(await xmlsecAccepts(switched, newCert, dir), 'signed with the new key').to.equal(true);

      now += DEFAULT_LIFETIME_SECONDS * 1000;
      const retired = await metadataWhen((certs) => certs.length === 1);
      expect(signingCerts(retired)).to.deep.equal([certificateBody(newPem)]);
    });
  });

  describe('keys', () => {
    it('reads the configured signing pairs for the store, the first signing, the others next', () => {
      const adopted = configuredSigningKeys({ keysDir: dir, idp: idpSection([{ ...active, use: 'signing' }, { ...next, use: 'both' }, { ...encryption, use: 'encryption' }]) });
      expect(adopted.map((a) => a.role)).to.deep.equal(['active', 'next']);
      expect(adopted.map((a) => a.material.publicKey)).to.deep.equal([readFileSync(active.certFile, 'utf8'), readFileSync(next.certFile, 'utf8')]);
      expect(adopted[0]!.material.kid).to.match(/^saml-[0-9a-f]{32}$/);
      expect(configuredSigningKeys({ keysDir: join(dir, 'absent'), idp: idpSection() }), 'no pair and no development files').to.deep.equal([]);
    });

    it('refuses a certificate that is not the key\'s, and a missing file, naming them', () => {
      const mixed = configErrorOf(() => configuredSigningKeys({ keysDir: dir, idp: idpSection([{ keyFile: active.keyFile, certFile: next.certFile }]) }));
      expect(mixed.issues).to.deep.equal([`keys: ${next.certFile} is not the certificate of ${active.keyFile}`]);
      const missing = configErrorOf(() => configuredSigningKeys({ keysDir: dir, idp: idpSection([{ keyFile: 'absent.key', certFile: 'absent.crt' }]) }));
      expect(missing.issues).to.deep.equal([`keys: ${join(dir, 'absent.key')} cannot be read (ENOENT)`]);
    });
  });

  describe('configuration', () => {
    it('refuses a key list without a signing pair, and a cache longer than the validity', () => {
      const noSigner = samlIdpConfigSchema.safeParse({ keys: [{ keyFile: 'a.key', certFile: 'a.crt', use: 'encryption' }] });
      expect(noSigner.error?.issues.map((i) => i.message)).to.deep.equal(['at least one key pair must sign (use: signing or both)']);
      const cache = samlIdpConfigSchema.safeParse({ metadata: { validSeconds: 3600, cacheSeconds: 7200 } });
      expect(cache.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).to.deep.equal(['metadata.cacheSeconds: must be shorter than validSeconds, or a cached copy outlives its validity']);
    });

    it('reads a configured pairwise salt; none configured is no error (the store keeps the salt, test/saml/pairwise-salt.test.ts)', () => {
      expect(configuredPairwiseSalt({ idp: idpSection() })).to.equal(undefined);
      const idp = samlIdpConfigSchema.parse({ pairwiseSalt: { env: 'IDP_SALT' } });
      expect(configuredPairwiseSalt({ idp }, { IDP_SALT: 'a salt' })).to.equal('a salt');
    });
  });
});
