/**
 * The client operations (src/oidc/client-service.ts) against a real SQLite store: the secret is
 * returned once and only its hash kept; changes are validated, and audited with the actor in the
 * client's tenant, or the platform's.
 */
import { expect } from 'chai';
import { configSchema } from '../../src/config/schema.js';
import type { Actor } from '../../src/identity/actor.js';
import { CLI_OPERATOR } from '../../src/identity/actor.js';
import { addClient, updateClient, type ClientPorts } from '../../src/oidc/client-service.js';
import { Conflict, HubError } from '../../src/shared/errors.js';
import { sha256Hex } from '../../src/shared/ids.js';
import { openSqlStore, type SqlStore } from '../../src/storage/sql/index.js';

const ADMIN: Actor = { kind: 'admin', accountId: 'admin-1', clientId: 'hub-admin', role: 'tenant-admin', tenantId: 'lille' };
const settings = { name: 'Partner X', redirectUris: ['https://x.example/cb'] };

describe('services: clients', () => {
  let store: SqlStore;
  let ports: ClientPorts;

  beforeEach(async () => {
    store = await openSqlStore('sqlite::memory:');
    for (const [id, code] of [['lille', '09'], ['amiens', '20']] as const) await store.tenants.upsert({ id, name: id, academyCode: code });
    ports = { store, config: configSchema.parse({ mode: 'production', clients: [{ clientId: 'neo', name: 'NEO', redirectUris: ['https://neo.example/cb'] }] }) };
  });
  afterEach(() => store.close());

  const auditOf = async (tenant: string | null) => (tenant === null ? store.audit : store.forTenant(tenant).audit).list();

  it('registers a tenant client for an admin: secret returned once, its hash stored, audited in the tenant', async () => {
    const { secret } = await addClient(ports, ADMIN, { clientId: 'partner-x', tenantId: 'lille', public: false, settings });
    const record = await store.clients.get('partner-x');
    expect(record).to.include({ tenantId: 'lille', origin: 'cli', secretHash: sha256Hex(secret!) });
    const [event] = await auditOf('lille');
    expect(event).to.include({ type: 'client.created', clientId: 'partner-x' });
    expect(event!.details).to.deep.equal({ by: 'admin', admin: 'admin-1', client: 'hub-admin', role: 'tenant-admin', adminTenant: 'lille', public: false });
    expect(await auditOf(null)).to.deep.equal([]);
  });

  it('registers a public platform client without a secret, audited on the platform as today (by: cli)', async () => {
    expect(await addClient(ports, CLI_OPERATOR, { clientId: 'spa', tenantId: null, public: true, settings })).to.deep.equal({ secret: null });
    expect((await store.clients.get('spa'))!.secretHash).to.equal(null);
    expect((await auditOf(null))[0]!.details).to.deep.equal({ by: 'cli', public: true });
  });

  it('refuses a taken id, a first-party tenant client, an unknown scope or served tenant', async () => {
    await addClient(ports, CLI_OPERATOR, { clientId: 'partner-x', tenantId: null, public: true, settings });
    const refusals = [
      { clientId: 'partner-x', tenantId: null, public: true, settings },
      { clientId: 'y', tenantId: 'lille', public: true, settings: { ...settings, firstParty: true } },
      { clientId: 'y', tenantId: null, public: true, settings: { ...settings, scopes: ['openid', 'nope'] } },
      { clientId: 'y', tenantId: null, public: true, settings: { ...settings, servedTenants: ['atlantis'] } },
    ];
    for (const client of refusals) {
      const err = await addClient(ports, CLI_OPERATOR, client).then(() => null, (e: unknown) => e);
      expect(err, JSON.stringify(client)).to.be.instanceOf(HubError);
    }
    expect(await addClient(ports, CLI_OPERATOR, refusals[0]!).catch((e: unknown) => e)).to.be.instanceOf(Conflict);
    expect(await store.clients.get('y')).to.equal(null);
  });

  it('updates some settings, audits the changed fields; an unchanged client writes nothing', async () => {
    await addClient(ports, CLI_OPERATOR, { clientId: 'partner-x', tenantId: 'lille', public: false, settings });
    const change = { settings: { redirectUris: ['https://x.example/cb2'] }, removeBackchannelLogoutUri: false, removeServedTenants: false };
    expect(await updateClient(ports, ADMIN, 'partner-x', change)).to.deep.equal({ changed: ['redirect_uris'] });
    expect((await store.clients.get('partner-x'))!.metadata.redirect_uris).to.deep.equal(['https://x.example/cb2']);
    expect(await updateClient(ports, ADMIN, 'partner-x', change)).to.deep.equal({ changed: [] });
    const events = await auditOf('lille');
    expect(events.map((e) => e.type)).to.deep.equal(['client.updated', 'client.created']);
    expect(events[0]!.details).to.deep.equal({ by: 'admin', admin: 'admin-1', client: 'hub-admin', role: 'tenant-admin', adminTenant: 'lille', changed: ['redirect_uris'] });
  });

  it('refuses to update a client the configuration declares', async () => {
    const change = { settings: { name: 'Other' }, removeBackchannelLogoutUri: false, removeServedTenants: false };
    const err = await updateClient(ports, CLI_OPERATOR, 'neo', change).then(() => null, (e: unknown) => e);
    expect(err).to.be.instanceOf(HubError).with.property('message').that.matches(/declared in the hub configuration/);
  });
});
