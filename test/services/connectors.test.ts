/**
 * The stored connector operations (src/federation/connector-service.ts) against a real SQLite
 * store: validated before anything is written, never taking an id the YAML files declare, and
 * audited with the actor in the owner's log (a tenant's, or the platform's).
 */
import { defaultRegistry } from '../../src/federation/index.js';
import { expect } from 'chai';
import { tenantConnectorSchema } from '../../src/federation/config.js';
import { addConnector, removeConnector, type ConnectorPorts } from '../../src/federation/connector-service.js';
import type { Actor } from '../../src/identity/actor.js';
import { CLI_OPERATOR } from '../../src/identity/actor.js';
import { ConfigError, Conflict, HubError, NotFound } from '../../src/shared/errors.js';
import { openSqlStore, type SqlStore } from '../../src/storage/sql/index.js';

const ADMIN: Actor = { kind: 'admin', accountId: 'admin-1', clientId: 'hub-admin', role: 'tenant-admin', tenantId: 'lille' };
const document = { id: 'lille-fim', type: 'oidc', displayName: 'FIM', enabled: true, oidc: { issuer: 'https://fim.example', clientId: 'hub' } };

describe('services: stored connectors', () => {
  let store: SqlStore;
  let ports: ConnectorPorts;

  beforeEach(async () => {
    store = await openSqlStore('sqlite::memory:');
    await store.tenants.upsert({ id: 'lille', name: 'Lille', academyCode: '09' });
    const yaml = tenantConnectorSchema.parse({ id: 'lille-agents', type: 'saml', displayName: 'YAML', enabled: false });
    ports = { store, inFiles: [{ config: yaml, tenantId: 'lille', where: 'the tenant file of lille' }], registry: defaultRegistry() };
  });
  afterEach(() => store.close());

  it('adds then removes a tenant connector, audited with the admin in the tenant', async () => {
    const row = await addConnector(ports, ADMIN, { owner: 'lille', document, source: 'test document' });
    expect(row).to.include({ id: 'lille-fim', tenantId: 'lille', type: 'oidc', profile: 'academie' });
    await removeConnector(ports, ADMIN, 'lille', 'lille-fim');
    expect(await store.forTenant('lille').connectors.list()).to.deep.equal([]);
    const events = await store.forTenant('lille').audit.list();
    expect(events.map((e) => [e.type, e.details])).to.deep.equal([
      ['connector.removed', { by: 'admin', admin: 'admin-1', client: 'hub-admin', role: 'tenant-admin', adminTenant: 'lille', connector: 'lille-fim' }],
      ['connector.added', { by: 'admin', admin: 'admin-1', client: 'hub-admin', role: 'tenant-admin', adminTenant: 'lille', connector: 'lille-fim', type: 'oidc', profile: 'academie', enabled: true }],
    ]);
    expect(await store.audit.list()).to.deep.equal([]);
  });

  it('refuses an invalid document, an unknown tenant and an id the YAML declares, writing nothing', async () => {
    const refusals: Array<[Parameters<typeof addConnector>[2], new (...args: never[]) => HubError]> = [
      [{ owner: null, document, source: 'test document' }, ConfigError], // an OIDC connector belongs to a tenant
      [{ owner: 'atlantis', document, source: 'test document' }, HubError],
      [{ owner: 'lille', document: { ...document, id: 'lille-agents' }, source: 'test document' }, Conflict],
    ];
    for (const [connector, kind] of refusals) {
      const err = await addConnector(ports, CLI_OPERATOR, connector).then(() => null, (e: unknown) => e);
      expect(err, JSON.stringify(connector.owner)).to.be.instanceOf(kind);
    }
    expect(await store.forTenant('lille').connectors.list()).to.deep.equal([]);
    expect(await store.forTenant('lille').audit.list()).to.deep.equal([]);
  });

  it('refuses to remove an unknown connector, or one the YAML declares', async () => {
    expect(await removeConnector(ports, CLI_OPERATOR, 'lille', 'nope').catch((e: unknown) => e)).to.be.instanceOf(NotFound);
    const err = await removeConnector(ports, CLI_OPERATOR, 'lille', 'lille-agents').catch((e: unknown) => e);
    expect(err).to.be.instanceOf(HubError).with.property('message').that.matches(/declared in the tenant file of lille/);
  });
});
