/**
 * A federation connector's IdP metadata URL failing at a refresh: whatever the failure (an HTTP
 * error, a dropped connection, a page that is not metadata, a copy not signed by the operator),
 * the last good copy stays in use and the failure is reported; a good copy replaces it. The
 * SAML IdP's own SP metadata URLs and aggregates are covered by test/saml/sp-refresh.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { openIdpMetadata, type IdpMetadataSource } from '../../src/federation/connectors/saml/metadata.js';
import { warmUpSchemaValidator } from '../../src/saml/core/schema-validator.js';
import { startLoopbackServer, type LoopbackServer } from '../../testing/harness/loopback-server.js';
import { makeKeyPair, preparePysaml2Idp, type KeyFiles, type Pysaml2Idp } from '../../testing/harness/pysaml2.js';

const ssoOf = (source: IdpMetadataSource) => source.current().entityMeta.getSingleSignOnService('redirect') as string;

describe('the IdP metadata URL of a federation connector failing', function () {
  this.timeout(30_000);
  let idp: Pysaml2Idp;
  let dir: string;
  let operator: KeyFiles;
  let server: LoopbackServer;
  let answer: (res: ServerResponse) => void;
  let unsigned: string;
  let signed: string;
  const errors: string[] = [];
  const serve = (xml: string) => (answer = (res) => res.end(xml));

  before(async () => {
    idp = await preparePysaml2Idp();
    dir = mkdtempSync(join(tmpdir(), 'idp-refresh-'));
    operator = await makeKeyPair(dir, 'operator');
    await idp.writeSignedMetadata(operator, join(dir, 'signed.xml'));
    unsigned = readFileSync(idp.metadataFile, 'utf8');
    signed = readFileSync(join(dir, 'signed.xml'), 'utf8');
    server = await startLoopbackServer((_req, res) => answer(res));
    // Signature checks use libxml2 (WebAssembly), loaded once.
    await warmUpSchemaValidator();
  });
  after(async () => {
    await server?.close();
    await idp?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => void errors.splice(0));

  const open = (trust: { signingCertFile?: string } = {}) =>
    openIdpMetadata({ url: `${server.base}/idp.xml`, refreshMinutes: 60, ...trust }, (err) => errors.push(err.message));

  it('keeps the last good copy through an HTTP error, a dropped connection and a page that is not metadata; takes a good new copy', async () => {
    serve(unsigned);
    const source = await open();
    try {
      const first = source.current();
      expect(ssoOf(source)).to.equal(`${idp.url}/sso`);

      answer = (res) => res.writeHead(500).end('oops');
      await source.refresh();
      answer = (res) => res.destroy();
      await source.refresh();
      serve('<html><body>maintenance</body></html>');
      await source.refresh();
      expect(source.current()).to.equal(first);
      expect(errors).to.have.length(3);
      expect(errors[0]).to.equal(`IdP metadata at ${server.base}/idp.xml: HTTP 500`);
      expect(errors[1]).to.match(/cannot be reached/);

      serve(unsigned.replaceAll(`${idp.url}/sso`, `${idp.url}/sso-new`));
      await source.refresh();
      expect(errors).to.have.length(3);
      expect(ssoOf(source)).to.equal(`${idp.url}/sso-new`);
    } finally {
      source.close();
    }
  });

  it('with an operator certificate, keeps the signed copy when an unsigned or altered one is served', async () => {
    serve(signed);
    const source = await open({ signingCertFile: operator.certFile });
    try {
      const first = source.current();
      serve(unsigned);
      await source.refresh();
      serve(signed.replace(`${idp.url}/sso`, 'https://evil.example/sso'));
      await source.refresh();
      expect(source.current()).to.equal(first);
      expect(ssoOf(source)).to.equal(`${idp.url}/sso`);
      expect(errors).to.have.length(2);
      expect(errors[0]).to.include('not signed');
      expect(errors[1]).to.include('digest');
    } finally {
      source.close();
    }
  });
});
