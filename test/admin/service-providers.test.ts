/**
 * SAML service providers and the GAR switch per school through the admin API, over HTTP on a
 * running hub: SPs added from metadata served by a real HTTP server (written by pysaml2), their
 * settings changed and audited, removed, for a tenant and for the platform; the GAR switch of a
 * school over the tenant file's list; and the refusals (roles, another tenant, a role limited to
 * schools, bad URLs and bodies, unknown SPs and schools, a tenant without the GAR or with all).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { startLoopbackServer, type LoopbackServer } from '../../testing/harness/loopback-server.js';
import { startTestHub, type TestHub } from '../../testing/harness/hub.js';
import { writeSpMetadata } from '../../testing/harness/pysaml2-sp.js';
import { consoleSession } from './console-session.js';
import { api, grantTo, scriptClient, type ScriptClient } from './kit.js';

const GAR_KEY_ENV = 'ADMIN_SP_TEST_GAR_KEY';
const RESOURCE = 'https://ressource.example/metadata';
const MANUALS = 'https://manuels.example/metadata';
const PLATFORM = 'https://gar.example/metadata';
/** In lille's file and in its store; in its file only; in its store only. */
const [LISTED, LISTED_TOO, NOT_IMPORTED, UNLISTED] = ['0590011A', '0590012B', '0599999Z', '0590013C'];

const tenantFiles: Record<string, string> = {
  'lille.yaml': `id: lille\nname: Académie de Lille\nacademyCode: "09"\ngar:\n  projectId: ENT-TEST\n  structures: [${LISTED}, ${LISTED_TOO}, ${NOT_IMPORTED}]\n  identifierKey: { env: ${GAR_KEY_ENV} }\n`,
  'amiens.yaml': 'id: amiens\nname: Académie d\'Amiens\nacademyCode: "20"\n',
  'nancy.yaml': `id: nancy\nname: Académie de Nancy-Metz\nacademyCode: "12"\ngar:\n  projectId: ENT-NANCY\n  structures: all\n  identifierKey: { env: ${GAR_KEY_ENV} }\n`,
};

const sp = (owner: string, entityId?: string) => `${owner}/service-providers${entityId ? `/${encodeURIComponent(entityId)}` : ''}`;

describe('admin API: SAML service providers and the GAR switch per school', function () {
  this.timeout(60_000);
  let dir: string;
  let hub: TestHub;
  let server: LoopbackServer;
  let metadata: Record<string, string>;
  let lilleAdmin: ScriptClient;
  let platformAdmin: ScriptClient;
  let amiensAdmin: ScriptClient;
  const lille = '/tenants/lille';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'admin-sps-'));
    metadata = {
      '/resource': readFileSync(await writeSpMetadata(dir, 'resource.xml', { base: 'https://ressource.example', name: 'Ressource' }), 'utf8'),
      '/manuals': readFileSync(await writeSpMetadata(dir, 'manuals.xml', { base: 'https://manuels.example', encrypt: false }), 'utf8'),
      '/gar': readFileSync(await writeSpMetadata(dir, 'gar.xml', { base: 'https://gar.example', name: 'GAR' }), 'utf8'),
    };
    server = await startLoopbackServer((req, res) => {
      const body = metadata[req.url ?? ''];
      res.statusCode = body ? 200 : 404;
      res.end(body ?? 'no such metadata');
    });
    mkdirSync(join(dir, 'tenants'));
    for (const [file, text] of Object.entries(tenantFiles)) writeFileSync(join(dir, 'tenants', file), text);
    process.env[GAR_KEY_ENV] = 'a GAR identifier key of at least 32 characters';
    hub = await startTestHub({ config: { tenants: { dir: join(dir, 'tenants') } } });
    for (const uai of [LISTED, LISTED_TOO, UNLISTED]) await hub.hub.store.forTenant('lille').structures.upsert({ uai, name: `Collège ${uai}` });
    lilleAdmin = await scriptClient(hub, 'script-lille-sps');
    await grantTo(hub, lilleAdmin.clientId, 'tenant-admin', 'lille');
    platformAdmin = await scriptClient(hub, 'script-platform-sps');
    await grantTo(hub, platformAdmin.clientId, 'platform-admin', null);
    amiensAdmin = await scriptClient(hub, 'script-amiens-sps');
    await grantTo(hub, amiensAdmin.clientId, 'tenant-admin', 'amiens');
  });
  after(async () => {
    await hub?.stop();
    await server?.close();
    delete process.env[GAR_KEY_ENV];
    rmSync(dir, { recursive: true, force: true });
  });

  describe('service providers', () => {
    it('adds a tenant SP from its metadata URL, lists it and shows it, audited in the tenant\'s log', async () => {
      const added = await api(hub, lilleAdmin.token, 'POST', sp(lille), { metadataUrl: `${server.base}/resource`, releasePolicy: 'generic' });
      expect(added.status, added.text).to.equal(201);
      expect(added.body).to.deep.include({
        entityId: RESOURCE, tenant: 'lille', displayName: 'Ressource', enabled: true, releasePolicy: 'generic', signatures: 'both', encryptAssertions: true,
        encryptionKey: true, source: { kind: 'url', location: `${server.base}/resource` },
      });
      expect(added.body.assertionConsumerServices).to.include('https://ressource.example/acs/post');
      const list = await api(hub, lilleAdmin.token, 'GET', sp(lille));
      expect(list.body).to.deep.equal({ items: [added.body], next: null });
      expect((await api(hub, lilleAdmin.token, 'GET', sp(lille, RESOURCE))).body).to.deep.equal(added.body);
      const [event] = await hub.hub.store.forTenant('lille').audit.list();
      expect(event).to.deep.include({ type: 'saml_sp.added' });
      expect(event!.details).to.deep.include({ entityId: RESOURCE, by: 'admin', client: lilleAdmin.clientId, role: 'tenant-admin', adminTenant: 'lille' });
    });

    it('changes an SP\'s settings, only those given, audited with what they were and what they are', async () => {
      const patched = await api(hub, lilleAdmin.token, 'PATCH', sp(lille, RESOURCE), { releasePolicy: 'gar', enabled: false, signatures: 'assertion', encryptAssertions: true });
      expect(patched.status, patched.text).to.equal(200);
      expect(patched.body.changed).to.deep.equal(['enabled', 'releasePolicy', 'signatures']);
      expect(patched.body.serviceProvider).to.deep.include({ releasePolicy: 'gar', enabled: false, signatures: 'assertion', encryptAssertions: true, displayName: 'Ressource' });
      expect(await hub.hub.store.serviceProviders.find(RESOURCE)).to.deep.include({ enabled: false, releasePolicy: 'gar', signatures: 'assertion' });
      const [event] = await hub.hub.store.forTenant('lille').audit.list();
      expect(event).to.deep.include({ type: 'saml_sp.settings_changed' });
      expect(event!.details).to.deep.include({
        entityId: RESOURCE, before: { enabled: true, releasePolicy: 'generic', signatures: 'both' }, after: { enabled: false, releasePolicy: 'gar', signatures: 'assertion' },
      });
      const same = await api(hub, lilleAdmin.token, 'PATCH', sp(lille, RESOURCE), { enabled: false });
      expect(same.body.changed).to.deep.equal([]);
      expect((await hub.hub.store.forTenant('lille').audit.list())[0]!.id).to.equal(event!.id);
      const renamed = await api(hub, lilleAdmin.token, 'PATCH', sp(lille, RESOURCE), { displayName: '  Manuels numériques ', enabled: true });
      expect(renamed.body.changed).to.deep.equal(['displayName', 'enabled']);
      expect(renamed.body.serviceProvider).to.include({ displayName: 'Manuels numériques', enabled: true });
    });

    it('refuses bad settings: an unknown release policy, unknown signatures, a blank name', async () => {
      const policy = await api(hub, lilleAdmin.token, 'PATCH', sp(lille, RESOURCE), { releasePolicy: 'everything' });
      expect(policy.status).to.equal(400);
      expect(policy.body).to.include({ code: 'unknown_release_policy' });
      expect(policy.body.detail).to.match(/the known ones are gar, generic/);
      const signatures = await api(hub, lilleAdmin.token, 'PATCH', sp(lille, RESOURCE), { signatures: 'none', enabled: 'no' });
      expect(signatures.status).to.equal(400);
      expect(signatures.body.errors.map((e: { path: string }) => e.path).sort()).to.deep.equal(['enabled', 'signatures']);
      expect((await api(hub, lilleAdmin.token, 'PATCH', sp(lille, RESOURCE), { displayName: '   ' })).status).to.equal(400);
      expect(await hub.hub.store.serviceProviders.find(RESOURCE)).to.deep.include({ releasePolicy: 'gar', displayName: 'Manuels numériques' });
    });

    it('refuses a metadata URL it will not read (400), one that does not answer with metadata (502), and a taken entityID (409)', async () => {
      for (const metadataUrl of ['not a url', 'ftp://ressource.example/metadata', 'file:///etc/passwd']) {
        const answer = await api(hub, lilleAdmin.token, 'POST', sp(lille), { metadataUrl });
        expect(answer.status, `${metadataUrl}: ${answer.text}`).to.equal(400);
        expect(answer.body.detail).to.match(/SP metadata URL .* (is not a URL|must be https or http)/);
      }
      const missing = await api(hub, lilleAdmin.token, 'POST', sp(lille), { metadataUrl: `${server.base}/nothing` });
      expect(missing.status).to.equal(502);
      expect(missing.body.detail).to.match(/HTTP 404/);
      expect((await api(hub, lilleAdmin.token, 'POST', sp(lille), {})).status).to.equal(400);
      expect((await api(hub, lilleAdmin.token, 'POST', sp(lille), { metadataUrl: `${server.base}/manuals`, releasePolicy: 'all' })).status).to.equal(400);
      expect((await api(hub, amiensAdmin.token, 'POST', sp('/tenants/amiens'), { metadataUrl: `${server.base}/resource` })).status).to.equal(409);
      expect((await api(hub, lilleAdmin.token, 'GET', sp(lille))).body.items.map((s: { entityId: string }) => s.entityId)).to.deep.equal([RESOURCE]);
    });

    it('keeps the platform\'s SPs on the platform routes, for platform admins only', async () => {
      const added = await api(hub, platformAdmin.token, 'POST', sp('/platform'), { metadataUrl: `${server.base}/gar`, releasePolicy: 'gar' });
      expect(added.status, added.text).to.equal(201);
      expect(added.body).to.include({ entityId: PLATFORM, tenant: null, releasePolicy: 'gar' });
      expect((await api(hub, platformAdmin.token, 'GET', sp('/platform'))).body.items.map((s: { entityId: string }) => s.entityId)).to.deep.equal([PLATFORM]);
      expect((await api(hub, platformAdmin.token, 'GET', sp('/platform', RESOURCE))).status).to.equal(404);
      expect((await api(hub, platformAdmin.token, 'GET', sp(lille, RESOURCE))).status).to.equal(200);
      expect((await api(hub, platformAdmin.token, 'GET', sp(lille, PLATFORM))).status).to.equal(404);
      expect((await api(hub, lilleAdmin.token, 'GET', sp(lille, PLATFORM))).status).to.equal(404);
      expect((await api(hub, lilleAdmin.token, 'GET', sp('/platform'))).status).to.equal(403);
      expect((await api(hub, lilleAdmin.token, 'PATCH', sp('/platform', PLATFORM), { enabled: false })).status).to.equal(403);
      const changed = await api(hub, platformAdmin.token, 'PATCH', sp('/platform', PLATFORM), { encryptAssertions: false });
      expect(changed.body.changed).to.deep.equal(['encryptAssertions']);
      expect((await hub.hub.store.audit.list())[0]).to.deep.include({ type: 'saml_sp.settings_changed' });
    });

    it('refuses another tenant\'s admin (403), and shows no other tenant\'s SP through its own tenant (404)', async () => {
      expect((await api(hub, amiensAdmin.token, 'GET', sp(lille))).status).to.equal(403);
      expect((await api(hub, amiensAdmin.token, 'PATCH', sp(lille, RESOURCE), { enabled: false })).status).to.equal(403);
      expect((await api(hub, amiensAdmin.token, 'DELETE', sp(lille, RESOURCE))).status).to.equal(403);
      for (const [method, body] of [['GET', undefined], ['PATCH', { enabled: false }], ['DELETE', undefined]] as const) {
        expect((await api(hub, amiensAdmin.token, method, sp('/tenants/amiens', RESOURCE), body)).status, method).to.equal(404);
      }
      expect((await api(hub, amiensAdmin.token, 'GET', sp('/tenants/amiens'))).body.items).to.deep.equal([]);
      expect(await hub.hub.store.serviceProviders.find(RESOURCE)).to.deep.include({ enabled: true });
    });

    it('refuses roles without the permission, and a role limited to schools (403)', async () => {
      const helpdesk = await scriptClient(hub, 'script-lille-helpdesk-sps');
      await grantTo(hub, helpdesk.clientId, 'helpdesk', 'lille');
      expect((await api(hub, helpdesk.token, 'GET', sp(lille))).status).to.equal(403);
      const auditor = await scriptClient(hub, 'script-lille-auditor-sps');
      await grantTo(hub, auditor.clientId, 'auditor', 'lille');
      expect((await api(hub, auditor.token, 'GET', sp(lille))).status).to.equal(200);
      expect((await api(hub, auditor.token, 'PATCH', sp(lille, RESOURCE), { enabled: false })).status).to.equal(403);
      expect((await api(hub, auditor.token, 'PUT', `${lille}/gar/schools/${LISTED}`, { enabled: false })).status).to.equal(403);
      const schoolAuditor = await scriptClient(hub, 'script-lille-school-auditor-sps');
      await grantTo(hub, schoolAuditor.clientId, 'auditor', 'lille', [LISTED]);
      for (const path of [sp(lille), sp(lille, RESOURCE), `${lille}/gar/schools`, `${lille}/gar/schools/${LISTED}`]) {
        const answer = await api(hub, schoolAuditor.token, 'GET', path);
        expect(answer.status, path).to.equal(403);
        expect(answer.body.detail).to.match(/whole tenant/);
      }
    });

    it('removes an SP (204), audited; then it is gone (404)', async () => {
      expect((await api(hub, lilleAdmin.token, 'DELETE', sp(lille, RESOURCE))).status).to.equal(204);
      expect(await hub.hub.store.serviceProviders.find(RESOURCE)).to.equal(null);
      expect((await hub.hub.store.forTenant('lille').audit.list())[0]).to.deep.include({ type: 'saml_sp.removed' });
      expect((await api(hub, lilleAdmin.token, 'DELETE', sp(lille, RESOURCE))).status).to.equal(404);
      expect((await api(hub, lilleAdmin.token, 'GET', sp(lille, RESOURCE))).status).to.equal(404);
      expect((await api(hub, platformAdmin.token, 'DELETE', sp('/platform', PLATFORM))).status).to.equal(204);
    });
  });

  describe('the GAR switch per school', () => {
    const school = (uai: string) => `${lille}/gar/schools/${uai}`;

    it('shows the schools the tenant file lists, whether they are in the store or not', async () => {
      const overview = await api(hub, lilleAdmin.token, 'GET', `${lille}/gar/schools`);
      expect(overview.status, overview.text).to.equal(200);
      expect(overview.body).to.deep.equal({
        projectId: 'ENT-TEST', declared: 'list',
        schools: [
          { uai: LISTED, name: `Collège ${LISTED}`, enabled: true, origin: 'file', switchedAt: null },
          { uai: LISTED_TOO, name: `Collège ${LISTED_TOO}`, enabled: true, origin: 'file', switchedAt: null },
          { uai: NOT_IMPORTED, name: null, enabled: true, origin: 'file', switchedAt: null },
        ],
      });
      expect((await api(hub, lilleAdmin.token, 'GET', school(UNLISTED))).body).to.include({ uai: UNLISTED, enabled: false, origin: 'file' });
    });

    it('turns the GAR off for a listed school and on for an unlisted one, audited; a switch to the same state writes nothing', async () => {
      const off = await api(hub, lilleAdmin.token, 'PUT', school(LISTED), { enabled: false });
      expect(off.status, off.text).to.equal(200);
      expect(off.body).to.include({ uai: LISTED, enabled: false, origin: 'switch' });
      expect(off.body.switchedAt).to.be.a('string');
      const on = await api(hub, lilleAdmin.token, 'PUT', school(UNLISTED.toLowerCase()), { enabled: true });
      expect(on.body).to.include({ uai: UNLISTED, enabled: true, origin: 'switch' });
      const events = (await hub.hub.store.forTenant('lille').audit.list()).filter((e) => e.type === 'gar.school_switched');
      expect(events.map((e) => [e.details.uai, e.details.before, e.details.after])).to.deep.equal([[UNLISTED, false, true], [LISTED, true, false]]);
      const again = await api(hub, lilleAdmin.token, 'PUT', school(LISTED), { enabled: false });
      expect(again.body).to.deep.equal(off.body);
      expect((await hub.hub.store.forTenant('lille').audit.list()).filter((e) => e.type === 'gar.school_switched')).to.have.length(2);
      const overview = await api(hub, lilleAdmin.token, 'GET', `${lille}/gar/schools`);
      expect(overview.body.schools.map((s: { uai: string; enabled: boolean; origin: string }) => [s.uai, s.enabled, s.origin])).to.deep.equal([
        [LISTED, false, 'switch'], [LISTED_TOO, true, 'file'], [UNLISTED, true, 'switch'], [NOT_IMPORTED, true, 'file'],
      ]);
      expect((await hub.hub.store.forTenant('lille').garSchools.list()).map((s) => [s.uai, s.enabled])).to.deep.equal([[LISTED, false], [UNLISTED, true]]);
    });

    it('refuses a tenant without the GAR in its file and one whose file turns it on for all schools (409)', async () => {
      await hub.hub.store.forTenant('amiens').structures.upsert({ uai: '0800001A', name: 'Collège d\'Amiens' });
      const none = await api(hub, amiensAdmin.token, 'PUT', '/tenants/amiens/gar/schools/0800001A', { enabled: true });
      expect(none.status).to.equal(409);
      expect(none.body).to.include({ code: 'gar_not_declared' });
      expect((await api(hub, amiensAdmin.token, 'GET', '/tenants/amiens/gar/schools')).body).to.deep.equal({ projectId: null, declared: 'none', schools: [] });
      const nancyAdmin = await scriptClient(hub, 'script-nancy-sps');
      await grantTo(hub, nancyAdmin.clientId, 'tenant-admin', 'nancy');
      await hub.hub.store.forTenant('nancy').structures.upsert({ uai: '0540001A', name: 'Collège de Nancy' });
      const all = await api(hub, nancyAdmin.token, 'PUT', '/tenants/nancy/gar/schools/0540001A', { enabled: false });
      expect(all.status).to.equal(409);
      expect(all.body.detail).to.match(/gar\.structures: all/);
      expect((await api(hub, nancyAdmin.token, 'GET', '/tenants/nancy/gar/schools/0540001A')).body).to.include({ enabled: true, origin: 'all' });
      expect(await hub.hub.store.forTenant('nancy').garSchools.list()).to.deep.equal([]);
    });

    it('refuses a UAI that is none (400), a school the tenant does not have (404), a bad body (400), another tenant\'s admin (403)', async () => {
      const shape = await api(hub, lilleAdmin.token, 'PUT', school('XYZ'), { enabled: true });
      expect(shape.status).to.equal(400);
      expect(shape.body.code).to.equal('invalid_uai');
      expect((await api(hub, lilleAdmin.token, 'PUT', school(NOT_IMPORTED), { enabled: false })).status).to.equal(404);
      expect((await api(hub, lilleAdmin.token, 'PUT', school('0800001A'), { enabled: true })).status).to.equal(404);
      expect((await api(hub, lilleAdmin.token, 'GET', school('0800001A'))).status).to.equal(404);
      const body = await api(hub, lilleAdmin.token, 'PUT', school(LISTED_TOO), { enabled: 'off' });
      expect(body.status).to.equal(400);
      expect((await api(hub, lilleAdmin.token, 'PUT', school(LISTED_TOO))).status).to.equal(400);
      expect((await api(hub, amiensAdmin.token, 'PUT', school(LISTED_TOO), { enabled: false })).status).to.equal(403);
      expect((await api(hub, amiensAdmin.token, 'GET', `${lille}/gar/schools`)).status).to.equal(403);
      expect((await hub.hub.store.forTenant('lille').garSchools.list()).map((s) => s.uai)).to.deep.equal([LISTED, UNLISTED]);
    });
  });

  describe('the console', () => {
    it('shows the SPs and the GAR schools, adds an SP, changes its settings, turns a school\'s GAR on, removes the SP', async () => {
      const console = await consoleSession(hub, lilleAdmin.token);
      const base = '/admin/t/lille/service-providers';
      const added = await console.page('POST', base, { metadataUrl: `${server.base}/manuals`, releasePolicy: 'generic', displayName: '' });
      expect(added.status, added.text).to.equal(302);
      expect(added.location).to.match(/\/admin\/t\/lille\/service-providers\?done=1/);
      const page = await console.page('GET', base);
      expect(page.status, page.text).to.equal(200);
      expect(page.text).to.include(MANUALS).and.include('Le GAR, établissement par établissement').and.include('Projet GAR : ENT-TEST');
      expect(page.text).to.include('Ses métadonnées ne donnent pas de clé de chiffrement');
      expect(page.text).to.include(`<td>${UNLISTED}</td>`).and.include('établissement inconnu (pas encore importé)');
      const changed = await console.page('POST', `${base}/settings`, { entityId: MANUALS, releasePolicy: 'gar', signatures: 'response', encryptAssertions: 'false' });
      expect(changed.status, changed.text).to.equal(302);
      expect(await hub.hub.store.serviceProviders.find(MANUALS)).to.deep.include({ releasePolicy: 'gar', signatures: 'response', encryptAssertions: false, enabled: true });
      expect((await console.page('POST', `${base}/settings`, { entityId: MANUALS, enabled: 'false' })).status).to.equal(302);
      expect(await hub.hub.store.serviceProviders.find(MANUALS)).to.deep.include({ enabled: false, releasePolicy: 'gar' });
      const forged = await console.page('POST', '/admin/t/lille/gar/schools', { uai: LISTED, enabled: 'true' }, { csrf: 'forged' });
      expect(forged.status).to.equal(403);
      expect((await console.page('POST', '/admin/t/lille/gar/schools', { uai: LISTED, enabled: 'true' })).status).to.equal(302);
      expect((await api(hub, lilleAdmin.token, 'GET', `${lille}/gar/schools/${LISTED}`)).body).to.include({ enabled: true, origin: 'switch' });
      const unknown = await console.page('POST', '/admin/t/lille/gar/schools', { uai: '0800001A', enabled: 'true' });
      expect(unknown.status).to.equal(404);
      expect((await console.page('POST', `${base}/remove`, { entityId: MANUALS })).status).to.equal(302);
      expect(await hub.hub.store.serviceProviders.find(MANUALS)).to.equal(null);
      const english = await console.page('GET', `${base}?lang=en`);
      expect(english.text).to.include('The GAR, school by school').and.include('No SAML service for this space.');
    });
  });
});
