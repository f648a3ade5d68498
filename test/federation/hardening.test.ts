/**
 * Hardening of the SAML connector and of the connector configuration: encryption algorithms of
 * assertions (3DES refused where the configuration says so, and by default in production),
 * signed IdP metadata checked against a configured certificate, connector ids that would be
 * shadowed by the federation routes.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as oidc from 'openid-client';
import { platformFederationSchema } from '../../src/federation/config.js';
import { defaultRegistry } from '../../src/federation/index.js';
import { acceptedEncryptionAlgorithms } from '../../src/federation/connectors/saml/connector.js';
import { openIdpMetadata } from '../../src/federation/connectors/saml/metadata.js';
import { warmUpSchemaValidator } from '../../src/saml/core/schema-validator.js';
import { REDIRECT, testClients, testResources } from '../../testing/harness/fixtures.js';
import { startTestHub, type TestHub } from '../../testing/harness/hub.js';
import { makeKeyPair, preparePysaml2Idp, type KeyFiles, type Pysaml2Idp } from '../../testing/harness/pysaml2.js';
import { discover } from '../../testing/harness/rp.js';
import { lastAudit, OID, openLoginPage, postToAcs, toIdpForm } from './helpers.js';


const tenantConnectorSchema = defaultRegistry().connectorSchema('lille');
const EDUCONNECT = /\/federation\/start\/educonnect\?/;
const TRIPLE_DES = 'http://www.w3.org/2001/04/xmlenc#tripledes-cbc';

describe('federation hardening', function () {
  this.timeout(60_000);

  describe('configuration', () => {
    for (const id of ['start', 'staff', 'back', 'continue', 'choose', 'logout']) {
      it(`refuses the connector id "${id}" (a federation route)`, () => {
        const parsed = tenantConnectorSchema.safeParse({ id, type: 'saml', displayName: 'X' });
        expect(parsed.success).to.equal(false);
        expect(JSON.stringify(parsed.error?.issues)).to.include('reserved');
        expect(platformFederationSchema.safeParse({ connectors: [{ id, type: 'saml', displayName: 'X' }] }).success).to.equal(false);
      });
    }

    it('refuses 3DES and RSA 1.5 by default in production, allows them only outside it or when listed', () => {
      expect(acceptedEncryptionAlgorithms({}, true)).not.to.include(TRIPLE_DES).and.not.to.include('http://www.w3.org/2001/04/xmlenc#rsa-1_5');
      expect(acceptedEncryptionAlgorithms({}, true)).to.include('http://www.w3.org/2009/xmlenc11#aes128-gcm').and.include('http://www.w3.org/2001/04/xmlenc#aes256-cbc');
      expect(acceptedEncryptionAlgorithms({}, false)).to.include(TRIPLE_DES);
      expect(acceptedEncryptionAlgorithms({ encryptionAlgorithms: ['aes256-gcm', 'rsa-oaep'] }, false)).to.deep.equal(['http://www.w3.org/2009/xmlenc11#aes256-gcm', 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p']);
      expect(tenantConnectorSchema.safeParse({ id: 'x1', type: 'saml', displayName: 'X', enabled: false, saml: { idpMetadata: { file: 'm.xml' }, signing: { keyFile: 'k', certFile: 'c' }, wantAssertionsEncrypted: false, encryptionAlgorithms: ['des'] } }).success).to.equal(false);
    });
  });

  describe('with a pysaml2 IdP', () => {
    let idp: Pysaml2Idp;
    let hub: TestHub;
    let portal: oidc.Configuration;
    let dir: string;
    let operator: KeyFiles;
    let signedMetadata: string;

    before(async () => {
      idp = await preparePysaml2Idp();
      dir = mkdtempSync(join(tmpdir(), 'hardening-'));
      let signing: KeyFiles;
      let encryption: KeyFiles;
      [signing, encryption, operator] = await Promise.all([makeKeyPair(dir, 'sp-sign'), makeKeyPair(dir, 'sp-enc'), makeKeyPair(dir, 'md-operator')]);
      signedMetadata = join(dir, 'idp-signed.xml');
      await idp.writeSignedMetadata(operator, signedMetadata);
      await warmUpSchemaValidator();
      hub = await startTestHub({
        config: {
          clients: testClients(),
          oidc: { resources: testResources },
          federation: {
            connectors: [{
              id: 'educonnect', type: 'saml', displayName: 'ÉduConnect', enabled: true,
              saml: { idpMetadata: { file: signedMetadata, signingCertFile: operator.certFile }, signing, encryption, encryptionAlgorithms: ['aes128-gcm', 'aes256-gcm', 'aes256-cbc', 'rsa-oaep'] },
            }],
          },
        },
      });
      await idp.serve(await (await fetch(`${hub.url}/federation/educonnect/metadata`)).text());
      portal = await discover(hub.url, 'portal');
      await hub.hub.store.forTenant('lille').accounts.create({ login: 'aes.pupil', firstName: 'A', lastName: 'P', profile: 'Student', status: 'active', externalId: 'LILLE-4242', source: 'AC-LILLE' });
    });
    after(async () => {
      await hub?.stop();
      await idp?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const pupil = { [`${OID}57`]: ['aes-1'], [`${OID}7`]: ['eleve2d'], FrEduCtRefId: ['{AAF}09|X|4242'] };

    it('refuses a 3DES-encrypted assertion when the connector accepts AES only', async () => {
      await idp.scenario({ attributes: pupil, name_id: 'aes-1', data_encryption: 'tripledes-cbc' });
      const s = await openLoginPage(portal);
      const form = await toIdpForm(s, EDUCONNECT);
      expect(Buffer.from(form.fields.SAMLResponse!, 'base64').toString()).to.include(TRIPLE_DES);
      const page = await postToAcs(s, form);
      expect(page.status).to.equal(400);
      expect(page.location).to.equal(null);
      expect(page.body).to.include('Connexion refusée').and.include('encryption_algorithm');
      expect(await lastAudit(hub.hub.store, null, 'federation.failure')).to.include({ connector: 'educonnect', reason: 'encryption_algorithm' });
    });

    for (const alg of ['aes256-cbc', 'aes128-gcm'] as const) {
      it(`accepts an ${alg} assertion (from signed metadata)`, async () => {
        await idp.scenario({ attributes: pupil, name_id: 'aes-1', data_encryption: alg });
        const s = await openLoginPage(portal);
        const page = await postToAcs(s, await toIdpForm(s, EDUCONNECT));
        expect(page.location, page.body.slice(0, 400)).to.match(new RegExp(`^${REDIRECT}`));
      });
    }

    describe('signed IdP metadata', () => {
      const open = (file: string, cert: string) => openIdpMetadata({ file, signingCertFile: cert }, () => undefined);

      it('reads metadata signed with the configured certificate', async () => {
        const source = await open(signedMetadata, operator.certFile);
        expect(source.current().entityMeta.getEntityID()).to.equal(idp.entityId);
      });

      it('refuses unsigned metadata when a certificate is configured', async () => {
        await expectRejected(open(idp.metadataFile, operator.certFile), 'not signed');
      });

      it('refuses metadata signed by another key', async () => {
        await expectRejected(open(signedMetadata, idp.keys.certFile), 'signature');
      });

      it('refuses signed metadata altered after signing (another SSO endpoint)', async () => {
        const altered = join(dir, 'altered.xml');
        writeFileSync(altered, readFileSync(signedMetadata, 'utf8').replace(`${idp.url}/sso`, 'https://evil.example/sso'));
        await expectRejected(open(altered, operator.certFile), 'digest');
      });
    });
  });
});

async function expectRejected(promise: Promise<unknown>, message: string): Promise<void> {
  const err = await promise.then(() => null, (e: Error) => e);
  expect(err, 'should have been refused').to.be.instanceOf(Error);
  expect(err!.message).to.include(message);
}
