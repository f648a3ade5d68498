/**
 * The SAML IdP's pairwise salt in the store: a first start stores a generated salt, sealed, or
 * the configured one; the persistent NameID an SP receives is computed with it and stays the
 * same across a restart, configured salt or not; a configured salt that differs from the stored
 * one refuses the start with one sentence rather than change every NameID.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { SecretBox } from '../../src/auth/secret-box.js';
import { SIGNING_KEYS_PURPOSE } from '../../src/auth/signing-keys.js';
import { CLI_OPERATOR } from '../../src/identity/actor.js';
import { pairwiseNameId } from '../../src/saml/idp/nameid.js';
import { addServiceProvider } from '../../src/saml/idp/sp-service.js';
import { ConfigError } from '../../src/shared/errors.js';
import type { SqlStore } from '../../src/storage/sql/index.js';
import { DEVELOPMENT_SECRETS_KEY } from '../../src/wiring/signing-keys.js';
import { Browser, formAction, hiddenInputs } from '../../testing/harness/browser.js';
import { PASSWORD, seedPeople } from '../../testing/harness/fixtures.js';
import { startTestHub, type TestHub } from '../../testing/harness/hub.js';
import { writeSpMetadata } from '../../testing/harness/pysaml2-sp.js';

const SP_BASE = 'http://127.0.0.1:9/pairwise-sp';
const SP_ENTITY = `${SP_BASE}/metadata`;
const PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';

describe('SAML IdP: the pairwise salt kept in the store', function () {
  this.timeout(60_000);
  let dir: string;
  let spFile: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pairwise-salt-'));
    spFile = await writeSpMetadata(dir, 'sp.xml', { base: SP_BASE });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const saltConfig = (file: string) => ({ samlIdp: { pairwiseSalt: { file } } });
  const saltFile = (name: string, salt: string): string => {
    const file = join(dir, name);
    writeFileSync(file, salt);
    return file;
  };

  /** A first hub on a fresh database: a pupil, and the SP registered (assertions in clear, to read the NameID). */
  async function firstHub(database: string, config: Record<string, unknown> = {}): Promise<{ hub: TestHub; pupilId: string }> {
    const hub = await startTestHub({ databaseUrl: database, config });
    const { pupilId } = await seedPeople(hub.hub.store);
    await addServiceProvider({ store: hub.hub.store, production: false }, CLI_OPERATOR, { owner: null, from: { file: spFile }, releasePolicy: 'generic', encryptAssertions: false });
    return { hub, pupilId };
  }

  /** The persistent NameID the SP receives for zoe.test (IdP-initiated sign-in). */
  async function persistentNameId(hub: TestHub): Promise<string> {
    const browser = new Browser();
    const login = await browser.follow(`${hub.url}/saml/sso/${encodeURIComponent(SP_ENTITY)}`, SP_BASE);
    expect(login.status, login.body.slice(0, 300)).to.equal(200);
    const answer = await browser.follow(formAction(login, /\/login/), SP_BASE, { form: { login: 'zoe.test', password: PASSWORD } });
    const xml = Buffer.from(hiddenInputs(answer).SAMLResponse!, 'base64').toString('utf8');
    const nameId = /<saml:NameID([^>]*)>([^<]+)<\/saml:NameID>/.exec(xml);
    expect(nameId?.[1], xml.slice(0, 500)).to.include(`Format="${PERSISTENT}"`);
    return nameId![2]!;
  }

  async function storedRows(hub: TestHub) {
    return (hub.hub.store as SqlStore).db.selectFrom('signing_keys').selectAll().where('use', '=', 'pairwise').execute();
  }

  const open = (sealed: string): string => new SecretBox(DEVELOPMENT_SECRETS_KEY, SIGNING_KEYS_PURPOSE).open(sealed);

  it('a first start without a configured salt stores 32 random bytes, sealed; the NameID is computed with it and survives a restart', async () => {
    const database = `sqlite:${join(dir, 'generated.sqlite')}`;
    const first = await firstHub(database);
    let hub = first.hub;
    try {
      const rows = await storedRows(hub);
      expect(rows).to.have.length(1);
      const salt = open(rows[0]!.sealed_private_key);
      expect(Buffer.from(salt, 'base64url')).to.have.length(32);
      expect(rows[0]!.public_key, 'no public part').to.equal('');
      expect(JSON.stringify(rows[0]), 'no clear salt in the row').not.to.include(salt);
      const nameId = await persistentNameId(hub);
      expect(nameId).to.equal(pairwiseNameId(salt, SP_ENTITY, { id: first.pupilId }));

      await hub.stop();
      hub = await startTestHub({ databaseUrl: database });
      expect(await persistentNameId(hub), 'the same NameID after a restart').to.equal(nameId);
      expect(await storedRows(hub)).to.have.length(1);
    } finally {
      await hub.stop();
    }
  });

  it('a configured salt is stored at the first start; later starts use the store\'s, and refuse a configured salt that differs', async () => {
    const database = `sqlite:${join(dir, 'configured.sqlite')}`;
    const configured = 'the salt a previous deployment configured';
    const first = await firstHub(database, saltConfig(saltFile('salt', configured)));
    let hub: TestHub | undefined = first.hub;
    try {
      const rows = await storedRows(hub);
      expect(rows.map((r) => open(r.sealed_private_key))).to.deep.equal([configured]);
      expect(rows[0]!.sealed_private_key).not.to.include(configured);
      const nameId = await persistentNameId(hub);
      expect(nameId, 'the NameIDs the SPs already know').to.equal(pairwiseNameId(configured, SP_ENTITY, { id: first.pupilId }));
      await hub.stop();

      hub = await startTestHub({ databaseUrl: database });
      expect(await persistentNameId(hub), 'without the configured salt: the stored one').to.equal(nameId);
      await hub.stop();
      hub = undefined;

      let refused: unknown;
      await startTestHub({ databaseUrl: database, config: saltConfig(saltFile('other-salt', 'another salt')) }).catch((error: unknown) => { refused = error; });
      expect(refused).to.be.instanceOf(ConfigError);
      expect((refused as ConfigError).issues).to.deep.equal(['pairwiseSalt: the configured salt is not the one in the store, which every persistent NameID was computed with; remove samlIdp.pairwiseSalt from the configuration (the store keeps the salt) rather than change every NameID']);

      hub = await startTestHub({ databaseUrl: database, config: saltConfig(saltFile('same-salt', configured)) });
      expect(await persistentNameId(hub), 'the same salt configured again: accepted').to.equal(nameId);
    } finally {
      await hub?.stop();
    }
  });
});
