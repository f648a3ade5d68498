/**
 * The authorization matrix: every admin route × every role × (its own scope, another structure
 * of the tenant, another tenant), over HTTP with each role's own token. Expected outcomes come
 * from the role table (src/identity/admin-roles.ts) and the route's declaration; a refusal must
 * be a 403 or 404 (or a list without the foreign items) and must write nothing: no audit event,
 * no changed account. A route without a fixture here fails the test, so new routes join the matrix.
 */
import { expect } from 'chai';
import type { AdminRoute } from '../../src/admin/api/kit.js';
import { ROLE_PERMISSIONS, type AdminRole } from '../../src/identity/admin-roles.js';
import { hashActivationCode } from '../../src/identity/activation-code.js';
import type { Account, NewServiceProvider, PlatformStore } from '../../src/storage/ports/index.js';
import { startTestHub, type TestHub } from '../../testing/harness/hub.js';
import { api, grantTo, scriptClient } from './kit.js';

type Target = 'own' | 'otherStructure' | 'otherTenant';
const TARGETS: Target[] = ['own', 'otherStructure', 'otherTenant'];

/** Each role, where it is granted for the matrix. Helpdesk and structure admin hold the own school only. */
const ROLES: Array<{ role: AdminRole; tenant: string | null; uais: string[] }> = [
  { role: 'platform-admin', tenant: null, uais: [] },
  { role: 'tenant-admin', tenant: 'lille', uais: [] },
  { role: 'structure-admin', tenant: 'lille', uais: ['0599991A'] },
  { role: 'import-operator', tenant: 'lille', uais: [] },
  { role: 'helpdesk', tenant: 'lille', uais: ['0599991A'] },
  { role: 'auditor', tenant: 'lille', uais: [] },
];

interface Place {
  tenant: string;
  uai: string;
  account: Account;
  /** An import run of the tenant. */
  run: string;
  /** A SAML SP of the tenant. */
  sp: string;
}

interface World {
  store: PlatformStore;
  places: Record<Target, Place>;
  /** A fresh number for ids that must not collide between calls. */
  next(): number;
}

interface Call {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
}

/**
 * How to call each route against a target; `seen`: for an answer that lists things, the account
 * ids and UAIs it shows (the own place's must be there, a foreign place's never).
 */
type Fixture = { seen?: (body: any) => string[]; call(place: Place, world: World): Promise<Call> | Call };

/** The place's account login now: changeLogin renames it along the way. */
const loginOf = async (place: Place, world: World) => (await world.store.accounts.findById(place.account.id))!.login;

/** A SAML SP row as the store keeps it (the admin routes read it, nobody signs in there). */
function spRecord(entityId: string): NewServiceProvider {
  return {
    entityId, displayName: entityId, metadataXml: '<md:EntityDescriptor/>', source: { kind: 'url', location: `${entityId}/metadata` },
    metadata: { assertionConsumerServices: [{ binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST', location: `${entityId}/acs`, index: 0, isDefault: true }], singleLogoutServices: [], signingCertificates: [], encryptionCertificates: [], authnRequestsSigned: false, wantAssertionsSigned: false, nameIdFormats: [] },
    validUntil: null, fetchedAt: new Date(), enabled: true, releasePolicy: 'generic',
  };
}

const spStore = (world: World, tenant: string | null) => (tenant === null ? world.store.serviceProviders : world.store.forTenant(tenant).serviceProviders);

/** Another pupil of the place with the same names and birth date and another external id: a likely duplicate. */
async function twinOf(place: Place, world: World): Promise<Account> {
  const scope = world.store.forTenant(place.tenant);
  const n = world.next();
  const twin = await scope.accounts.create({ login: `matrix.twin${n}`, profile: 'Student', firstName: 'Matrix', lastName: place.account.lastName, birthDate: '2012-03-04', externalId: `TWIN-${n}`, status: 'pending', source: 'local' });
  const structure = await scope.structures.findByUai(place.uai);
  await scope.memberships.attachToStructure(twin.id, structure!.id);
  return twin;
}

/** A fresh stored connector row of the owner (the store keeps documents as they are). */
async function storedConnector(world: World, tenant: string | null): Promise<string> {
  const connectors = tenant === null ? world.store.connectors : world.store.forTenant(tenant).connectors;
  const row = await connectors.create({ id: `matrix-idp-${world.next()}`, type: 'oidc', profile: 'academie', displayName: 'IdP', enabled: false, config: {} });
  return row.id;
}

const plain = (): Fixture => ({ call: () => ({}) });
const onAccount = (extra: (place: Place, world: World) => Promise<Call> | Call = () => ({})): Fixture => ({
  call: async (place, world) => {
    const more = await extra(place, world);
    return { ...more, params: { id: place.account.id, ...more.params } };
  },
});

const FIXTURES: Record<string, Fixture> = {
  me: plain(),
  listTenants: plain(),
  searchAccounts: { seen: (body) => body.items.map((i: { id: string }) => i.id), call: (place) => ({ query: { q: place.uai, by: 'uai' } }) },
  getAccount: onAccount(),
  reissueActivationCode: onAccount(),
  blockAccount: onAccount(),
  unblockAccount: onAccount(),
  unlockAccount: onAccount(),
  revokeSessions: onAccount(),
  removeSecondFactor: onAccount(),
  unlinkIdentity: onAccount(async (place, world) => {
    const identity = await world.store.forTenant(place.tenant).identities.link(place.account.id, 'educonnect', `subject-${world.next()}`);
    return { params: { identity: identity.id } };
  }),
  changeLogin: onAccount((_place, world) => ({ body: { login: `matrix.login${world.next()}` } })),
  blockProfileOfSchool: { call: (place) => ({ params: { uai: place.uai }, body: { profile: 'Guest', block: true } }) },
  listClients: plain(),
  getClient: { call: (place) => ({ params: { clientId: `${place.tenant}-matrix-app` } }) },
  createClient: { call: (_place, world) => ({ body: { clientId: `matrix-new-${world.next()}`, name: 'New', public: true, redirectUris: ['https://new.example/cb'], scopes: ['openid'] } }) },
  updateClient: { call: (place) => ({ params: { clientId: `${place.tenant}-matrix-app` }, body: { name: `Renamed` } }) },
  rotateClientSecret: { call: (place) => ({ params: { clientId: `${place.tenant}-matrix-app` } }) },
  listClientsOfPlatform: plain(),
  getClientOfPlatform: { call: () => ({ params: { clientId: 'platform-matrix-app' } }) },
  createClientOfPlatform: { call: (_place, world) => ({ body: { clientId: `matrix-platform-${world.next()}`, name: 'New', public: true, redirectUris: ['https://new.example/cb'], scopes: ['openid'] } }) },
  updateClientOfPlatform: { call: () => ({ params: { clientId: 'platform-matrix-app' }, body: { name: 'Renamed' } }) },
  rotateClientSecretOfPlatform: { call: () => ({ params: { clientId: 'platform-matrix-app' } }) },
  listGrants: plain(),
  grantRole: { call: async (place, world) => ({ body: { subjectKind: 'account', subject: await loginOf(place, world), role: 'auditor', uais: [] } }) },
  revokeGrant: {
    call: async (place, world) => {
      const grant = await world.store.roleGrants.grant({ subjectKind: 'client', subjectId: `ghost-${world.next()}`, role: 'auditor', tenantId: place.tenant, structureIds: [], grantedBy: 'test' });
      return { params: { grant: grant.id } };
    },
  },
  searchAudit: { call: (place) => ({ query: { account: place.account.id } }) },
  exportAudit: plain(),
  searchAuditOfPlatform: plain(),
  exportAuditOfPlatform: plain(),
  exportAuditJsonl: plain(),
  exportAuditJsonlOfPlatform: plain(),
  getDashboard: { seen: (body) => body.activation.map((s: { uai: string }) => s.uai), call: () => ({}) },
  printLetters: { call: (place) => ({ body: { selection: { kind: 'profile', uai: place.uai, profile: 'Student' }, perPage: 8 } }) },
  listImportRuns: plain(),
  getImportRun: { call: (place) => ({ params: { run: place.run } }) },
  getImportReport: { call: (place) => ({ params: { run: place.run } }) },
  startImport: { call: (place) => ({ body: { source: place.tenant === 'lille' ? 'AC-LILLE' : 'AC-AMIENS', dryRun: true } }) },
  listImportSources: plain(),
  listServiceProviders: plain(),
  getServiceProvider: { call: (place) => ({ params: { entityId: place.sp } }) },
  addServiceProvider: { call: () => ({ body: { metadataUrl: 'https://sp.invalid/metadata' } }) },
  updateServiceProvider: { call: (place) => ({ params: { entityId: place.sp }, body: { releasePolicy: 'generic' } }) },
  removeServiceProvider: {
    call: async (place, world) => ({ params: { entityId: (await spStore(world, place.tenant).create(spRecord(`https://sp${world.next()}.${place.tenant}.example`))).entityId } }),
  },
  listServiceProvidersOfPlatform: plain(),
  getServiceProviderOfPlatform: { call: () => ({ params: { entityId: 'https://sp.platform.example' } }) },
  addServiceProviderOfPlatform: { call: () => ({ body: { metadataUrl: 'https://sp.invalid/metadata' } }) },
  updateServiceProviderOfPlatform: { call: () => ({ params: { entityId: 'https://sp.platform.example' }, body: { releasePolicy: 'generic' } }) },
  removeServiceProviderOfPlatform: {
    call: async (_place, world) => ({ params: { entityId: (await spStore(world, null).create(spRecord(`https://sp${world.next()}.platform.example`))).entityId } }),
  },
  listGarSchools: plain(),
  getGarSchool: { call: (place) => ({ params: { uai: place.uai } }) },
  switchGarSchool: { call: (place) => ({ params: { uai: place.uai }, body: { enabled: true } }) },
  listDuplicates: {
    seen: (body) => body.items.flatMap((g: { members: Array<{ account: { id: string } }> }) => g.members.map((m) => m.account.id)),
    call: async (place, world) => {
      await twinOf(place, world);
      return {};
    },
  },
  mergeDuplicates: { call: async (place, world) => ({ body: { keepId: (await twinOf(place, world)).id, otherId: (await twinOf(place, world)).id } }) },
  markNotDuplicates: { call: async (place, world) => ({ body: { keepId: (await twinOf(place, world)).id, otherId: (await twinOf(place, world)).id } }) },
  listMerges: plain(),
  undoMerge: {
    call: async (place, world) => {
      const merge = await world.store.forTenant(place.tenant).duplicates.merge((await twinOf(place, world)).id, (await twinOf(place, world)).id, 'test');
      return { params: { merge: merge.id } };
    },
  },
  undoNotDuplicates: {
    call: async (place, world) => {
      const mark = await world.store.forTenant(place.tenant).duplicates.markDistinct((await twinOf(place, world)).id, (await twinOf(place, world)).id, 'test');
      return { params: { mark: mark.id } };
    },
  },
  listConnectors: plain(),
  addConnector: { call: () => ({ body: { connector: { id: 'not-valid' } } }) },
  removeConnector: { call: async (place, world) => ({ params: { connector: await storedConnector(world, place.tenant) } }) },
  listConnectorsOfPlatform: plain(),
  addConnectorOfPlatform: { call: () => ({ body: { connector: { id: 'not-valid' } } }) },
  removeConnectorOfPlatform: { call: async (_place, world) => ({ params: { connector: await storedConnector(world, null) } }) },
  listGrantsOfPlatform: plain(),
  grantRoleOfPlatform: { call: async (place, world) => ({ body: { subjectKind: 'account', subject: await loginOf(place, world), role: 'auditor', tenant: null, uais: [] } }) },
  revokeGrantOfPlatform: {
    call: async (_place, world) => {
      const grant = await world.store.roleGrants.grant({ subjectKind: 'client', subjectId: `ghost-${world.next()}`, role: 'auditor', tenantId: null, structureIds: [], grantedBy: 'test' });
      return { params: { grant: grant.id } };
    },
  },
};

type Outcome = 'allowed' | 'refused';

/** What the role table says of this route, role and target. */
function expected(route: AdminRoute, grant: (typeof ROLES)[number], target: Target): Outcome {
  if (route.level === 'signed-in') return 'allowed';
  const permitted = ROLE_PERMISSIONS[grant.role].has(route.permission);
  if (route.level === 'platform') return permitted && grant.tenant === null ? 'allowed' : 'refused';
  if (!permitted) return 'refused';
  if (grant.tenant === null) return 'allowed';
  if (target === 'otherTenant') return 'refused';
  if (grant.uais.length > 0) return route.structureScoped && target === 'own' ? 'allowed' : 'refused';
  return 'allowed';
}

function pathOf(route: AdminRoute, params: Record<string, string>): string {
  return route.path.replace(/:(\w+)/g, (_whole, name: string) => encodeURIComponent(params[name] ?? `missing-${name}`));
}

/** Everything a refused request must not have changed: every audit log's size and the targets' accounts. */
async function footprint(world: World): Promise<string> {
  const logs = await Promise.all([world.store.audit.list({ limit: 100_000 }), ...['lille', 'amiens'].map((t) => world.store.forTenant(t).audit.list({ limit: 100_000 }))]);
  const accounts = await Promise.all(TARGETS.map((t) => world.store.accounts.findById(world.places[t].account.id)));
  const grants = await Promise.all([null, 'lille', 'amiens'].map((t) => world.store.roleGrants.listOn(t)));
  return JSON.stringify({ logs: logs.map((l) => l.length), accounts: accounts.map((a) => a && { ...a, updatedAt: null }), grants: grants.map((g) => g.length) });
}

describe('admin API: the authorization matrix', function () {
  this.timeout(180_000);
  let hub: TestHub;
  let world: World;
  const tokens = new Map<AdminRole, string>();

  before(async () => {
    hub = await startTestHub();
    const store = hub.hub.store;
    let counter = 0;
    const place = async (tenant: string, uai: string, login: string): Promise<Place> => {
      const scope = store.forTenant(tenant);
      const school = await scope.structures.upsert({ uai, name: `École ${uai}` });
      const account = await scope.accounts.create({
        login, profile: 'Student', firstName: 'Matrix', lastName: login, birthDate: '2012-03-04', externalId: `EXT-${login}`, status: 'pending', activationCodeHash: hashActivationCode('abcd-efgh'), source: 'local',
      });
      await scope.memberships.attachToStructure(account.id, school.id);
      const run = await scope.imports.startRun({ sourceId: 'MATRIX', mode: 'full', dryRun: true });
      const sp = (await scope.serviceProviders.create(spRecord(`https://sp.${login}.example`))).entityId;
      return { tenant, uai, account, run: run.id, sp };
    };
    world = {
      store,
      places: {
        own: await place('lille', '0599991A', 'matrix.own'),
        otherStructure: await place('lille', '0599992B', 'matrix.other'),
        otherTenant: await place('amiens', '0809991C', 'matrix.amiens'),
      },
      next: () => (counter += 1),
    };
    const { addClient } = await import('../../src/oidc/client-service.js');
    const { CLI_OPERATOR } = await import('../../src/identity/actor.js');
    await store.serviceProviders.create(spRecord('https://sp.platform.example'));
    for (const [id, tenantId] of [['lille-matrix-app', 'lille'], ['amiens-matrix-app', 'amiens'], ['platform-matrix-app', null]] as const) {
      await addClient({ store, config: hub.config }, CLI_OPERATOR, { clientId: id, tenantId, public: false, settings: { name: id, redirectUris: ['https://app.example/cb'] } });
    }
    for (const grant of ROLES) {
      const client = await scriptClient(hub, `matrix-${grant.role}`);
      await grantTo(hub, client.clientId, grant.role, grant.tenant, grant.uais);
      tokens.set(grant.role, client.token);
    }
  });
  after(() => hub?.stop());

  it('has a fixture for every route', () => {
    const missing = hub.hub.adminRoutes.map((r) => r.operationId).filter((id) => !FIXTURES[id]);
    expect(missing, 'routes without a matrix fixture').to.deep.equal([]);
  });

  it('allows exactly what the role table allows, and a refusal reads and writes nothing', async () => {
    const routes = hub.hub.adminRoutes;
    const wrong: string[] = [];
    let cases = 0;
    for (const route of routes) {
      const fixture = FIXTURES[route.operationId]!;
      const targets = route.level === 'tenant' ? TARGETS : (['own'] as Target[]);
      for (const grant of ROLES) {
        for (const target of targets) {
          cases += 1;
          const place = world.places[target];
          const call = await fixture.call(place, world);
          const params = { tenant: place.tenant, ...call.params };
          const query = call.query ? `?${new URLSearchParams(call.query)}` : '';
          const before = await footprint(world);
          const answer = await api(hub, tokens.get(grant.role)!, route.method.toUpperCase(), `${pathOf(route, params)}${query}`, call.body);
          const want = expected(route, grant, target);
          const label = `${route.operationId} as ${grant.role} on ${target}: ${answer.status} ${answer.body?.detail ?? ''}`;
          const names = (p: Place) => [p.account.id, p.uai];
          // What this role must never see: the places outside its reach.
          const reachable = (t: Target) => expected(route, grant, t) === 'allowed';
          const foreign = TARGETS.filter((t) => !reachable(t)).flatMap((t) => names(world.places[t]));
          const listed: string[] = fixture.seen && answer.status === 200 ? fixture.seen(answer.body) : [];
          if (listed.some((id) => foreign.includes(id))) wrong.push(`something outside its reach was listed: ${label}`);
          if (want === 'allowed') {
            // 502: the SP's metadata URL did not answer, which only an allowed request learns.
            if ([401, 403, 404].includes(answer.status) || (answer.status >= 500 && answer.status !== 502)) wrong.push(`expected allowed, got ${label}`);
            if (fixture.seen && target === 'own' && !names(place).some((n) => listed.includes(n))) wrong.push(`expected its own item listed: ${label}`);
          } else {
            const refusedList = fixture.seen !== undefined && answer.status === 200 && !names(place).some((n) => listed.includes(n));
            if (![403, 404].includes(answer.status) && !refusedList) wrong.push(`expected refused, got ${label}`);
            if ((await footprint(world)) !== before) wrong.push(`a refused request changed something: ${label}`);
          }
        }
      }
    }
    expect(wrong, `${wrong.length} of ${cases} cases`).to.deep.equal([]);
    expect(cases).to.be.greaterThan(200);
  });
});
