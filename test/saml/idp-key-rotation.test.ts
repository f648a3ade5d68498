/**
 * A SAML IdP key rotation as an SP lives it (issue 19, keys as data): pysaml2, the real SP, holds
 * the IdP metadata it fetched at some moment. One fetched before the rotation knows only the old
 * certificate; one fetched while the next key was published knows both. Responses signed before
 * the switch are accepted with either; after the switch, only an SP that refreshed its metadata
 * during the publication delay accepts them, which is what the delay is for.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { CLI_OPERATOR } from '../../src/identity/actor.js';
import { addServiceProvider } from '../../src/saml/idp/sp-service.js';
import { keyKind, signingKeyRing } from '../../src/wiring/signing-keys.js';
import { Browser, formAction, hiddenInputs } from '../../testing/harness/browser.js';
import { PASSWORD, seedPeople } from '../../testing/harness/fixtures.js';
import { startTestHub, type TestHub } from '../../testing/harness/hub.js';
import { pysaml2Acs } from '../../testing/harness/pysaml2-acs.js';
import { writeSpMetadata } from '../../testing/harness/pysaml2-sp.js';

const SP_BASE = 'http://127.0.0.1:9/rotation-sp';
const PUBLISH_DELAY_SECONDS = 3600;

const signingCerts = (xml: string): string[] => [...xml.matchAll(/<md:KeyDescriptor use="signing">.*?<ds:X509Certificate>([^<]+)</g)].map((m) => m[1]!);

describe('SAML IdP: a key rotation seen by pysaml2 as the SP', function () {
  this.timeout(60_000);
  let hub: TestHub;
  let dir: string;
  let now = Date.now();
  const clock = () => new Date(now);
  const sp = { dir: '', file: 'sp.xml', base: SP_BASE };

  before(async () => {
    hub = await startTestHub({ redis: 'memory', clock, config: { keys: { refreshSeconds: 0.1 } } });
    await seedPeople(hub.hub.store);
    dir = mkdtempSync(join(tmpdir(), 'idp-rotation-'));
    sp.dir = dir;
    const spFile = await writeSpMetadata(dir, sp.file, { base: SP_BASE });
    await addServiceProvider({ store: hub.hub.store, production: false }, CLI_OPERATOR, { owner: null, from: { file: spFile }, releasePolicy: 'generic', encryptAssertions: false });
  });
  after(async () => {
    await hub?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The IdP metadata once `check` holds of its signing certificates (the hub reads its keys every 0.1 s), saved as an SP would keep it. */
  async function metadataWhen(name: string, check: (certs: string[]) => boolean): Promise<{ file: string; certs: string[] }> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const xml = await (await fetch(`${hub.url}/saml/metadata`)).text();
      const certs = signingCerts(xml);
      if (check(certs)) {
        const file = join(dir, `${name}.xml`);
        writeFileSync(file, xml);
        return { file, certs };
      }
      if (Date.now() > deadline) throw new Error(`the metadata did not change: ${certs.length} signing certificates`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** A sign-in from the ENT portal's link to the SP: the login page, then the Response it posts. */
  async function responseAfterSignIn(): Promise<string> {
    const browser = new Browser();
    const loginPage = await browser.follow(`${hub.url}/saml/sso/${encodeURIComponent(`${SP_BASE}/metadata`)}`, SP_BASE);
    expect(loginPage.status, loginPage.body.slice(0, 300)).to.equal(200);
    const answer = await browser.follow(formAction(loginPage, /\/login/), SP_BASE, { form: { login: 'zoe.test', password: PASSWORD } });
    const response = hiddenInputs(answer).SAMLResponse;
    if (!response) throw new Error(`no SAMLResponse: ${answer.status} ${answer.body.slice(0, 300)}`);
    return response;
  }

  /** pysaml2's verdict: accepted, or refused for the signature (any other refusal fails the test). */
  async function accepts(idpMetadata: string, response: string): Promise<boolean> {
    const verdict = await pysaml2Acs({ ...sp, idpMetadata, response });
    if (!verdict.accepted) expect(verdict.error, verdict.message).to.equal('SignatureError');
    return verdict.accepted;
  }

  it('an SP that fetched the metadata while the next key was published accepts the Responses of both keys; one that did not, only the old key\'s', async () => {
    const before = await metadataWhen('idp-before', (certs) => certs.length === 1);
    await signingKeyRing(hub.config, hub.hub.store, clock).rotate(keyKind(hub.config, 'saml'), PUBLISH_DELAY_SECONDS);
    const during = await metadataWhen('idp-during', (certs) => certs.length === 2);
    expect(during.certs[0], 'the old key still signs').to.equal(before.certs[0]);

    const signedByOld = await responseAfterSignIn();
    expect(await accepts(before.file, signedByOld), 'old metadata, old key').to.equal(true);
    expect(await accepts(during.file, signedByOld), 'both certificates, old key').to.equal(true);

    now += (PUBLISH_DELAY_SECONDS + 1) * 1000;
    await metadataWhen('idp-after', (certs) => certs[0] === during.certs[1]);
    const signedByNew = await responseAfterSignIn();
    expect(await accepts(during.file, signedByNew), 'metadata fetched during the publication delay, new key').to.equal(true);
    expect(await accepts(before.file, signedByNew), 'metadata older than the rotation, new key').to.equal(false);
  });
});
