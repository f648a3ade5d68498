/**
 * `hub clients add|update` in a child process: everything a relying party needs, validated with
 * the config files' schema, and read back by oidc-provider itself from the same database.
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { openSqlStore } from '../../src/storage/sql/database.js';
import type { OidcClientRecord } from '../../src/storage/ports/index.js';
import { startTestHub } from '../../testing/harness/hub.js';
import { CliSandbox, expectFailure, expectUsageError } from '../../testing/harness/cli.js';

const ADD = ['clients', 'add', '--id', 'partner-x', '--name', 'Partner X', '--redirect-uri', 'https://x.example/cb'];

describe('cli: clients add and update', function () {
  this.timeout(180_000);
  let box: CliSandbox;

  beforeEach(() => {
    box = new CliSandbox();
  });
  afterEach(() => box.cleanup());

  async function stored(clientId: string): Promise<OidcClientRecord> {
    const store = await openSqlStore(`sqlite:${box.databaseFile}`, { migrate: false });
    try {
      const record = await store.clients.find(clientId);
      expect(record, clientId).to.not.equal(null);
      return record!;
    } finally {
      await store.close();
    }
  }

  async function auditOf(clientId: string, tenant?: string) {
    const store = await openSqlStore(`sqlite:${box.databaseFile}`, { migrate: false });
    try {
      return (await (tenant ? store.forTenant(tenant).audit : store.audit).list()).filter((e) => e.clientId === clientId);
    } finally {
      await store.close();
    }
  }

  it('add sets every setting a client needs, and oidc-provider reads them back', async () => {
    const r = await box.run([...ADD, '--redirect-uri', 'https://x.example/cb2',
      '--post-logout-redirect-uri', 'https://x.example/', '--backchannel-logout-uri', 'https://x.example/bcl',
      '--id-token-alg', 'ES256', '--first-party', '--scope', 'openid', 'profile', 'ent']);
    expect(r.code, r.rawStderr).to.equal(0);
    expect(r.stdout).to.match(/^client partner-x registered\nclient_secret: \S{43}\n/);
    const record = await stored('partner-x');
    expect(record).to.include({ name: 'Partner X', firstParty: true, tenantId: null });
    expect(record.metadata).to.deep.include({
      redirect_uris: ['https://x.example/cb', 'https://x.example/cb2'],
      post_logout_redirect_uris: ['https://x.example/'],
      backchannel_logout_uri: 'https://x.example/bcl',
      backchannel_logout_session_required: true,
      id_token_signed_response_alg: 'ES256',
      scope: 'openid profile ent',
    });
    expect((await auditOf('partner-x')).map((e) => e.type)).to.deep.equal(['client.created']);

    // The hub's own provider, on the database the CLI wrote: the metadata passes its validation.
    const hub = await startTestHub({ redis: 'memory', databaseUrl: `sqlite:${box.databaseFile}` });
    try {
      const client = await hub.hub.provider.Client.find('partner-x');
      expect(client).to.not.equal(undefined);
      expect(client!.idTokenSignedResponseAlg).to.equal('ES256');
      expect(client!.backchannelLogoutUri).to.equal('https://x.example/bcl');
      expect(client!.postLogoutRedirectUris).to.deep.equal(['https://x.example/']);
      expect(client!.redirectUris).to.deep.equal(['https://x.example/cb', 'https://x.example/cb2']);
    } finally {
      await hub.stop();
    }
  });

  it('a client added without --id-token-alg signs its ID tokens with RS256', async () => {
    expect((await box.run([...ADD, '--public'])).code).to.equal(0);
    expect((await stored('partner-x')).metadata.id_token_signed_response_alg).to.equal('RS256');
  });

  it('update changes only the options given, keeps the secret, and records what changed', async () => {
    expect((await box.run([...ADD, '--post-logout-redirect-uri', 'https://x.example/'])).code).to.equal(0);
    const before = await stored('partner-x');
    const r = await box.run(['clients', 'update', '--id', 'partner-x', '--id-token-alg', 'ES256', '--backchannel-logout-uri', 'https://x.example/bcl']);
    expect(r.code, r.rawStderr).to.equal(0);
    expect(r.stdout).to.equal('client partner-x updated (backchannel_logout_session_required, backchannel_logout_uri, id_token_signed_response_alg); the hub uses it within 30 s\n');
    const after = await stored('partner-x');
    expect(after.secretHash).to.equal(before.secretHash).and.to.match(/^[0-9a-f]{64}$/);
    expect(after).to.include({ name: 'Partner X', firstParty: false });
    expect(after.metadata).to.deep.equal({
      ...before.metadata,
      id_token_signed_response_alg: 'ES256',
      backchannel_logout_uri: 'https://x.example/bcl',
      backchannel_logout_session_required: true,
    });
    const audit = await auditOf('partner-x');
    expect(audit.map((e) => e.type)).to.deep.equal(['client.updated', 'client.created'], 'newest first');
    expect(audit[0]!.details).to.deep.equal({ by: 'cli', changed: ['backchannel_logout_session_required', 'backchannel_logout_uri', 'id_token_signed_response_alg'] });

    const more = await box.run(['clients', 'update', '--id', 'partner-x', '--name', 'Partner X2', '--redirect-uri', 'https://x.example/new', '--first-party',
      '--no-backchannel-logout-uri', '--no-post-logout-redirect-uri']);
    expect(more.code, more.rawStderr).to.equal(0);
    const last = await stored('partner-x');
    expect(last).to.include({ name: 'Partner X2', firstParty: true });
    expect(last.metadata.redirect_uris).to.deep.equal(['https://x.example/new']);
    expect(last.metadata.post_logout_redirect_uris).to.deep.equal([]);
    expect(last.metadata).not.to.have.any.keys('backchannel_logout_uri', 'backchannel_logout_session_required');
    expect(last.metadata.id_token_signed_response_alg).to.equal('ES256', 'kept');

    const same = await box.run(['clients', 'update', '--id', 'partner-x', '--name', 'Partner X2']);
    expect(same.stdout).to.equal('client partner-x unchanged\n');
  });

  it('updates a tenant\'s client in its tenant, and refuses to make it first-party', async () => {
    expect((await box.run([...ADD, '--tenant', 'lille'])).code).to.equal(0);
    const r = await box.run(['clients', 'update', '--id', 'partner-x', '--scope', 'openid', 'ent', '--no-first-party']);
    expect(r.code, r.rawStderr).to.equal(0);
    const after = await stored('partner-x');
    expect(after.tenantId).to.equal('lille');
    expect(after.metadata.scope).to.equal('openid ent');
    expect((await auditOf('partner-x', 'lille')).map((e) => e.type)).to.deep.equal(['client.updated', 'client.created']);
    expectFailure(await box.run(['clients', 'update', '--id', 'partner-x', '--first-party']), /--first-party is reserved to platform clients/);
    expect((await stored('partner-x')).firstParty).to.equal(false);
  });

  it('sets the tenants a client serves and the origins a public client calls from, and checks both', async () => {
    expect((await box.run([...ADD, '--tenant', 'lille', '--served-tenant', 'amiens'])).code).to.equal(0);
    expect((await stored('partner-x')).metadata.served_tenants).to.deep.equal(['amiens']);
    expectFailure(await box.run(['clients', 'update', '--id', 'partner-x', '--served-tenant', 'nowhere']), /unknown tenant "nowhere" in --served-tenant/);
    expect((await box.run(['clients', 'update', '--id', 'partner-x', '--no-served-tenant'])).code).to.equal(0);
    expect((await stored('partner-x')).metadata).not.to.have.property('served_tenants');
    expectFailure(await box.run(['clients', 'update', '--id', 'partner-x', '--web-origin', 'https://x.example']), /webOrigins: only a public client/);
    const spa = ['clients', 'add', '--id', 'spa-x', '--name', 'SPA', '--redirect-uri', 'https://spa.example/cb', '--public'];
    expectFailure(await box.run([...spa, '--web-origin', 'https://spa.example/app']), /webOrigins\.0: an origin/);
    expect((await box.run([...spa, '--web-origin', 'https://spa.example'])).code).to.equal(0);
    expect((await stored('spa-x')).metadata.web_origins).to.deep.equal(['https://spa.example']);
    expect((await box.run(['clients', 'update', '--id', 'spa-x', '--no-web-origin'])).code).to.equal(0);
    expect((await stored('spa-x')).metadata).not.to.have.property('web_origins');
  });

  it('refuses an unknown client, a client of the configuration, an invalid value; nothing is written', async () => {
    expectFailure(await box.run(['clients', 'update', '--id', 'nobody', '--name', 'N']), /^hub: client "nobody" \(see hub clients list\) not found/);
    expectFailure(await box.run(['clients', 'update', '--id', 'one', '--name', 'Fake ONE']), /client "one" is declared in the hub configuration \(clients\): edit that file/);
    expect((await box.run(ADD)).code).to.equal(0);
    const before = await stored('partner-x');
    const bad = await box.run(['clients', 'update', '--id', 'partner-x', '--redirect-uri', 'not-a-url', '--backchannel-logout-uri', 'nor-this', '--scope', 'openid', 'secrets.read']);
    expectFailure(bad, /^hub: invalid client:/);
    expect(bad.stderr).to.match(/^  - redirectUris\.0: /m);
    expect(bad.stderr).to.match(/^  - backchannelLogoutUri: /m);
    const scopes = await box.run(['clients', 'update', '--id', 'partner-x', '--scope', 'openid', 'secrets.read']);
    expectFailure(scopes, /^  - scopes: unknown scope\(s\) secrets\.read \(known: openid, /m);
    expectFailure(await box.run([...ADD.map((a) => (a === 'partner-x' ? 'partner-y' : a)), '--scope', 'openid', 'secrets.read']), /unknown scope\(s\) secrets\.read/);
    expect(await stored('partner-x')).to.deep.equal(before);
  });

  it('list tells where each client comes from and whether it is enabled; a client the configuration dropped is disabled', async () => {
    expect((await box.run([...ADD, '--public'])).code).to.equal(0);
    const listed = async (env: Record<string, string> = {}) => {
      const r = await box.run(['clients', 'list'], { env });
      expect(r.code, r.rawStderr).to.equal(0);
      return r.stdout;
    };
    expect(await listed()).to.equal([
      'neo\tplatform\tconfig\tenabled\tconfidential\tfirst-party\tNEO',
      'one\tplatform\tconfig\tenabled\tconfidential\tfirst-party\tONE',
      'partner-x\tplatform\tcli\tenabled\tpublic\tPartner X',
      '',
    ].join('\n'));
    // An operator's file keeping ONE only: NEO is disabled by the next command (or start).
    const file = `${box.dir}/hub.yaml`;
    writeFileSync(file, `clients:\n  - { clientId: one, name: ONE, firstParty: true, redirectUris: ["https://one.example/cb"] }\n`);
    expect(await listed({ HUB_CONFIG: file })).to.match(/^neo\tplatform\tconfig\tdisabled\tconfidential\tfirst-party\tNEO$/m)
      .and.match(/^partner-x\tplatform\tcli\tenabled\t/m);
    expect((await auditOf('neo')).map((e) => e.type)).to.deep.equal(['client.disabled']);
    expectFailure(await box.run(['clients', 'update', '--id', 'neo', '--name', 'N'], { env: { HUB_CONFIG: file } }), /client "neo" is disabled: the hub configuration no longer declares it/);
    // Declared again: enabled again, and audited.
    expect(await listed()).to.match(/^neo\tplatform\tconfig\tenabled\t/m);
    expect((await auditOf('neo')).map((e) => e.type)).to.deep.equal(['client.enabled', 'client.disabled']);
  });

  it('usage errors exit 2: nothing to update, an algorithm the key set cannot sign, a missing --id', async () => {
    expectUsageError(await box.run(['clients', 'update', '--id', 'partner-x']), /nothing to update/, 'hub clients update');
    expectUsageError(await box.run(['clients', 'update', '--id', 'partner-x', '--id-token-alg', 'PS256']), /argument 'PS256' is invalid.*ES256, RS256/s, 'hub clients update');
    expectUsageError(await box.run([...ADD, '--id-token-alg', 'HS256']), /HS256/, 'hub clients add');
    expectUsageError(await box.run(['clients', 'update', '--name', 'X']), /required option '--id <clientId>' not specified/, 'hub clients update');
  });
});
