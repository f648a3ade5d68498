/**
 * The configuration's `clients` is a declaration: the real `hub serve` starts with a HUB_CONFIG
 * declaring `portal` and `neo` (with the published demo secret, as config/default.yaml has it),
 * then restarts with `neo` removed. `neo` must get no token at all, its refresh token of the
 * first run included, while the clients still declared and those the CLI registered keep
 * working; `hub clients list` tells where each client comes from and whether it is enabled.
 * Sessions and tokens live in Redis (one key prefix for both runs), so they survive the restart.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import * as oidc from 'openid-client';
import { mirrorDeclaredClients } from '../../src/wiring/declarations.js';
import { PROJECT_ROOT } from '../../src/config/load.js';
import { configSchema } from '../../src/config/schema.js';
import { DEMO_PASSWORD } from '../../src/dev/demo-seed.js';
import { sha256Hex } from '../../src/shared/ids.js';
import { openSqlStore } from '../../src/storage/sql/database.js';
import { demoClientRecord } from '../../src/dev/demo-rp.js';
import { Browser } from '../../testing/harness/browser.js';
import { CliSandbox, expectFailure, serveHub, type ServingHub } from '../../testing/harness/cli.js';
import { REDIRECT } from '../../testing/harness/fixtures.js';
import { randomPrefix, testRedisUrl } from '../../testing/harness/redis.js';
import { exchange, signIn } from '../../testing/harness/rp.js';

const API = 'https://api.neo.example/';
const SECRETS = { portal: 'portal-secret-of-this-test', neo: 'neo-demo-secret' } as const;
type Declared = keyof typeof SECRETS;

function declaration(clientId: Declared) {
  return {
    clientId, name: clientId.toUpperCase(), firstParty: true, secretSha256: sha256Hex(SECRETS[clientId]),
    redirectUris: [REDIRECT], grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
    scopes: ['openid', 'profile', 'ent', 'timetable.read'],
  };
}

interface TokenAnswer {
  status: number;
  body: { access_token?: string; refresh_token?: string; error?: string };
}

/** A token request as any RP library sends it: client_secret_basic and a form. */
async function tokenRequest(hub: ServingHub, clientId: string, secret: string, form: Record<string, string>): Promise<TokenAnswer> {
  const res = await fetch(`${hub.url}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
  return { status: res.status, body: (await res.json()) as TokenAnswer['body'] };
}

const clientCredentials = (hub: ServingHub, clientId: string, secret: string) =>
  tokenRequest(hub, clientId, secret, { grant_type: 'client_credentials', scope: 'timetable.read', resource: API });
const refresh = (hub: ServingHub, clientId: string, secret: string, refreshToken: string) =>
  tokenRequest(hub, clientId, secret, { grant_type: 'refresh_token', refresh_token: refreshToken });

describe('declared clients: a client the configuration no longer declares is disabled at start', function () {
  this.timeout(180_000);
  let box: CliSandbox;
  let env: Record<string, string>;
  let hub: ServingHub | undefined;
  const configFile = () => join(box.dir, 'hub.yaml');

  /** The operator's HUB_CONFIG: its `clients` replaces the default file's. */
  function declare(clients: Declared[], keyPrefix: string): void {
    writeFileSync(configFile(), JSON.stringify({ redis: { keyPrefix }, clients: clients.map(declaration) }));
  }

  async function refreshTokenOf(running: ServingHub, clientId: Declared): Promise<string> {
    const rp = await oidc.discovery(new URL(running.url), clientId, undefined, oidc.ClientSecretBasic(SECRETS[clientId]), { execute: [oidc.allowInsecureRequests] });
    const tokens = await exchange(rp, await signIn(new Browser(), rp, 'lea.martin', DEMO_PASSWORD));
    expect(tokens.refresh_token, `${clientId}: refresh token`).to.be.a('string');
    return tokens.refresh_token!;
  }

  before(async () => {
    box = new CliSandbox();
    // HOST: the issuer is then http://127.0.0.1:<port>, the address the tests call.
    env = { HUB_CONFIG: configFile(), REDIS_URL: await testRedisUrl(), HOST: '127.0.0.1' };
  });
  after(async () => {
    await hub?.stop();
    box?.cleanup();
  });

  it('refuses every token to the removed client, keeps the others, and lists origins and states', async () => {
    const keyPrefix = randomPrefix();
    declare(['portal', 'neo'], keyPrefix);
    const added = await box.run(['clients', 'add', '--id', 'partner-x', '--name', 'Partner X', '--redirect-uri', 'https://x.example/cb',
      '--grant-type', 'client_credentials', '--scope', 'timetable.read'], { env });
    expect(added.code, added.rawStderr).to.equal(0);
    const partnerSecret = /^client_secret: (\S+)$/m.exec(added.stdout)![1]!;
    const tenantAdded = await box.run(['clients', 'add', '--id', 'lille-app', '--name', 'Lille App', '--redirect-uri', 'https://app.lille.example/cb', '--tenant', 'lille'], { env });
    expect(tenantAdded.code, tenantAdded.rawStderr).to.equal(0);

    hub = await serveHub(box, env);
    expect((await clientCredentials(hub, 'neo', SECRETS.neo)).status, 'neo works while declared').to.equal(200);
    const neoRefresh = await refreshTokenOf(hub, 'neo');
    const portalRefresh = await refreshTokenOf(hub, 'portal');
    await hub.stop();

    declare(['portal'], keyPrefix);
    hub = await serveHub(box, env);

    const cc = await clientCredentials(hub, 'neo', SECRETS.neo);
    expect(cc.status, 'neo: client_credentials').to.equal(401);
    expect(cc.body.error).to.equal('invalid_client');
    const refreshed = await refresh(hub, 'neo', SECRETS.neo, neoRefresh);
    expect(refreshed.status, 'neo: its refresh token of the first run').to.equal(401);
    expect(refreshed.body.error).to.equal('invalid_client');

    // The refresh token of a client still declared survived the restart: neo's was refused for being neo's.
    const portal = await refresh(hub, 'portal', SECRETS.portal, portalRefresh);
    expect(portal.status, JSON.stringify(portal.body)).to.equal(200);
    expect(portal.body.access_token).to.be.a('string');
    expect((await clientCredentials(hub, 'portal', SECRETS.portal)).status).to.equal(200);
    expect((await clientCredentials(hub, 'partner-x', partnerSecret)).status, 'a CLI client is not the configuration\'s').to.equal(200);
    // Said at start, as a warning.
    const disabledLog = await hub.waitForLog((l) => l.clientId === 'neo', 5_000);
    expect(disabledLog).to.include({ msg: 'client neo disabled: no longer declared in the configuration (clients)', origin: 'config', level: 40 });
    await hub.stop();
    hub = undefined;

    const list = await box.run(['clients', 'list', '--json'], { env });
    expect(list.code, list.rawStderr).to.equal(0);
    const rows = JSON.parse(list.stdout) as { clientId: string; tenant: string | null; origin: string; state: string; disabledAt: string | null }[];
    const summary = Object.fromEntries(rows.map((r) => [r.clientId, `${r.tenant ?? 'platform'} ${r.origin} ${r.state}`]));
    expect(summary).to.deep.equal({
      demo: 'platform development enabled',
      'hub-admin-console': 'platform hub enabled',
      neo: 'platform config disabled',
      'partner-x': 'platform cli enabled',
      portal: 'platform config enabled',
      'lille-app': 'lille cli enabled',
    });
    expect(rows.find((r) => r.clientId === 'neo')!.disabledAt).to.match(/^\d{4}-\d\d-\d\dT/);
    const text = await box.run(['clients', 'list'], { env });
    expect(text.stdout).to.match(/^neo\tplatform\tconfig\tdisabled\tconfidential\tfirst-party\tNEO$/m);
    expect(text.stdout).to.match(/^partner-x\tplatform\tcli\tenabled\tconfidential\tPartner X$/m);

    // The disabling is in the platform's audit trail, once.
    const store = await openSqlStore(`sqlite:${box.databaseFile}`, { migrate: false });
    try {
      const events = (await store.audit.list()).filter((e) => e.type === 'client.disabled');
      expect(events.map((e) => e.clientId)).to.deep.equal(['neo']);
      expect(events.find((e) => e.clientId === 'neo')!.details).to.deep.equal({ by: 'config', origin: 'config', reason: 'no longer declared in the configuration (clients)' });
    } finally {
      await store.close();
    }

    // The CLI does not bring it back behind the configuration's back.
    expectFailure(await box.run(['clients', 'update', '--id', 'neo', '--name', 'NEO again'], { env }),
      /^hub: client "neo" is disabled: the hub configuration no longer declares it \(clients\); declare it there again to use it/);
    expectFailure(await box.run(['clients', 'add', '--id', 'neo', '--name', 'NEO', '--redirect-uri', 'https://evil.example/cb'], { env }), /client id "neo" is already taken/);
  });

  it('disables the development demo client when the hub starts in production mode', async () => {
    const store = await openSqlStore('sqlite::memory:');
    try {
      const development = configSchema.parse({ tenants: { dir: join(PROJECT_ROOT, 'tenants') } });
      await mirrorDeclaredClients(development, store);
      await store.clients.upsert(demoClientRecord('http://localhost:3000'), 'development');
      await mirrorDeclaredClients(development, store);
      expect(await store.clients.find('demo'), 'kept in development').to.not.equal(null);
      await mirrorDeclaredClients({ ...development, mode: 'production' }, store);
      expect(await store.clients.find('demo')).to.equal(null);
      expect((await store.clients.get('demo'))?.disabledAt).to.be.instanceOf(Date);
      expect((await store.audit.list()).map((e) => [e.type, e.clientId])).to.deep.equal([['client.disabled', 'demo']]);
    } finally {
      await store.close();
    }
  });
});
