/**
 * Import runs through the admin API, over HTTP on a running hub whose tenant file points at a
 * throwaway slapd loaded with generated SDET data: a dry run and a real run started in the
 * background (202 once recorded), their counters, quarantine and JSON report, the list by key;
 * and the refusals: a second run at once, unknown or disabled sources, bad bodies, unknown runs,
 * roles that do not allow it, another tenant, a role limited to schools.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { startSlapd, type Slapd } from '../../testing/harness/slapd.js';
import { startTestHub, type TestHub } from '../../testing/harness/hub.js';
import { writeSdet } from '../../testing/sdet/sdet.js';
import { consoleSession } from './console-session.js';
import { api, grantTo, scriptClient, type ApiAnswer, type ScriptClient } from './kit.js';

const SUFFIX = 'dc=ac-lille,dc=fr';
const PEOPLE = 300;
const BAD = 4;
const PASSWORD_ENV = 'ADMIN_IMPORTS_TEST_LDAP_PASSWORD';

function lilleFile(slapd: Slapd): string {
  const source = (id: string, enabled: boolean) => `  - id: ${id}
    type: ldap
    url: ${slapd.url}
    enabled: ${enabled}
    bindDn: ${slapd.rootDn}
    bindPassword: { env: ${PASSWORD_ENV} }
    baseDn:
      people: ou=people,${SUFFIX}
      structures: ou=structures,${SUFFIX}
      groups: ou=groups,${SUFFIX}
    pageSize: 100
    batchSize: 100
`;
  return `id: lille\nname: Académie de Lille\nacademyCode: "09"\ndirectorySources:\n${source('AC-LILLE', true)}${source('AC-LILLE-TEST', false)}`;
}

interface RunView { id: string; tenant: string; source: string; status: string; dryRun: boolean; mode: string; counters: Record<'read' | 'created' | 'updated' | 'quarantined', number>; finishedAt: string | null }

describe('admin API: import runs (real slapd)', function () {
  this.timeout(120_000);
  let dir: string;
  let slapd: Slapd;
  let hub: TestHub;
  let operator: ScriptClient;
  const runs = '/tenants/lille/imports';

  /** The run once it has ended (the API is asked every 100 ms). */
  async function ended(runId: string): Promise<RunView> {
    for (const started = Date.now(); Date.now() - started < 60_000;) {
      const answer = await api(hub, operator.token, 'GET', `${runs}/${runId}`);
      expect(answer.status, answer.text).to.equal(200);
      if (answer.body.run.status !== 'running') return answer.body.run as RunView;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`run ${runId} still running after 60 s`);
  }

  const start = (body: unknown, token = operator.token): Promise<ApiAnswer> => api(hub, token, 'POST', runs, body);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'admin-imports-'));
    await writeSdet({ entries: PEOPLE, bad: BAD, seed: 11, suffix: SUFFIX }, join(dir, 'data.ldif'));
    slapd = await startSlapd({ ldif: join(dir, 'data.ldif'), suffix: SUFFIX });
    process.env[PASSWORD_ENV] = slapd.rootPassword;
    mkdirSync(join(dir, 'tenants'));
    writeFileSync(join(dir, 'tenants', 'lille.yaml'), lilleFile(slapd));
    writeFileSync(join(dir, 'tenants', 'amiens.yaml'), 'id: amiens\nname: Académie d\'Amiens\nacademyCode: "20"\n');
    hub = await startTestHub({ config: { tenants: { dir: join(dir, 'tenants') } } });
    operator = await scriptClient(hub, 'script-lille-imports');
    await grantTo(hub, operator.clientId, 'import-operator', 'lille');
  });
  after(async () => {
    await hub?.stop();
    await slapd?.stop();
    delete process.env[PASSWORD_ENV];
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts a dry run, answers 202 once it is recorded, and the run completes writing no account', async () => {
    const answer = await start({ source: 'AC-LILLE', dryRun: true });
    expect(answer.status, answer.text).to.equal(202);
    expect(answer.body).to.include({ tenant: 'lille', source: 'AC-LILLE', dryRun: true, mode: 'full', status: 'running', finishedAt: null });
    const run = await ended(answer.body.id);
    expect(run.status).to.equal('completed');
    expect(run.counters.read).to.be.greaterThan(PEOPLE);
    expect(run.counters.created).to.be.within(PEOPLE - 10, PEOPLE);
    expect(run.counters.quarantined).to.be.at.least(BAD);
    expect(await hub.hub.store.forTenant('lille').accounts.count()).to.equal(0);
    const [event] = await hub.hub.store.forTenant('lille').audit.list();
    expect(event).to.deep.include({ type: 'import.started' });
    expect(event!.details).to.deep.include({ run: run.id, source: 'AC-LILLE', mode: 'full', dryRun: true, by: 'admin', client: operator.clientId, role: 'import-operator' });
  });

  it('runs the import: accounts written, counters and quarantine reasons in the detail, every quarantined entry in the report file', async () => {
    const answer = await start({ source: 'AC-LILLE', dryRun: false });
    expect(answer.status, answer.text).to.equal(202);
    const run = await ended(answer.body.id);
    expect(run).to.include({ status: 'completed', dryRun: false });
    expect(await hub.hub.store.forTenant('lille').accounts.count()).to.equal(run.counters.created);
    expect(run.counters.created).to.be.within(PEOPLE - 10, PEOPLE);

    const detail = await api(hub, operator.token, 'GET', `${runs}/${run.id}`);
    expect(detail.body.quarantinedTotal).to.equal(run.counters.quarantined);
    expect(detail.body.quarantined).to.have.length(run.counters.quarantined);
    for (const entry of detail.body.quarantined) {
      expect(entry.dn).to.match(/,ou=people,dc=ac-lille,dc=fr$/i);
      expect(entry.reason).to.be.a('string').that.is.not.empty;
    }
    const dns = detail.body.quarantined.map((e: { dn: string }) => e.dn);
    expect(dns).to.deep.equal([...dns].sort());

    const response = await fetch(`${hub.url}/admin/api${runs}/${run.id}/report`, { headers: { authorization: `Bearer ${operator.token}` } });
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.match(/^application\/json/);
    expect(response.headers.get('content-disposition')).to.match(new RegExp(`attachment; filename="import-lille-AC-LILLE-\\d{8}T\\d{6}Z-${run.id}\\.json"`));
    const report = JSON.parse(await response.text());
    expect(report.run).to.deep.include({ id: run.id, status: 'completed', counters: run.counters });
    expect(report.quarantinedTotal).to.equal(run.counters.quarantined);
    expect(report.quarantined).to.deep.equal(detail.body.quarantined);
  });

  it('lists the runs newest first by key, with their counters, filtered by status and source', async () => {
    const all = await api(hub, operator.token, 'GET', runs);
    expect(all.status).to.equal(200);
    expect(all.body.items.map((r: RunView) => r.dryRun)).to.deep.equal([false, true]);
    expect(all.body.items[0].counters.created).to.be.greaterThan(0);
    expect(all.body.next).to.equal(null);
    const first = await api(hub, operator.token, 'GET', `${runs}?limit=1`);
    expect(first.body.items).to.have.length(1);
    const second = await api(hub, operator.token, 'GET', `${runs}?limit=1&after=${encodeURIComponent(first.body.next)}`);
    expect([...first.body.items, ...second.body.items].map((r: RunView) => r.id)).to.deep.equal(all.body.items.map((r: RunView) => r.id));
    expect(second.body.next).to.equal(null);
    expect((await api(hub, operator.token, 'GET', `${runs}?status=failed`)).body.items).to.deep.equal([]);
    expect((await api(hub, operator.token, 'GET', `${runs}?source=AC-AMIENS`)).body.items).to.deep.equal([]);
    expect((await api(hub, operator.token, 'GET', `${runs}?status=completed&source=AC-LILLE`)).body.items).to.have.length(2);
    const badCursor = await api(hub, operator.token, 'GET', `${runs}?after=nope`);
    expect(badCursor.status).to.equal(400);
    expect(badCursor.body.code).to.equal('invalid_cursor');
    expect((await api(hub, operator.token, 'GET', `${runs}?status=done`)).status).to.equal(400);
  });

  it('refuses a second run of the source while one is going on: 409 with a sentence saying so', async () => {
    const [a, b] = await Promise.all([start({ source: 'AC-LILLE', dryRun: true }), start({ source: 'AC-LILLE', dryRun: true })]);
    const statuses = [a.status, b.status].sort();
    expect(statuses, `${a.text} ${b.text}`).to.deep.equal([202, 409]);
    const [accepted, refused] = a.status === 202 ? [a, b] : [b, a];
    expect(refused.type).to.match(/problem\+json/);
    expect(refused.body).to.include({ code: 'import_locked', status: 409 });
    expect(refused.body.detail).to.equal('an import of AC-LILLE for lille is already running: wait for it to end (its run is in the list) before starting another');
    expect((await ended(accepted.body.id)).status).to.equal('completed');
    // Over: a new run may start.
    const again = await start({ source: 'AC-LILLE', dryRun: true });
    expect(again.status, again.text).to.equal(202);
    await ended(again.body.id);
  });

  it('refuses an unknown source naming the known ones, a disabled source, and bad bodies, starting nothing', async () => {
    const before = (await api(hub, operator.token, 'GET', `${runs}?limit=200`)).body.items.length;
    const unknown = await start({ source: 'AC-NOWHERE', dryRun: true });
    expect(unknown.status).to.equal(400);
    expect(unknown.body).to.include({ code: 'unknown_source', detail: 'tenant lille has no directory source "AC-NOWHERE"; its sources are: AC-LILLE, AC-LILLE-TEST' });
    const disabled = await start({ source: 'AC-LILLE-TEST', dryRun: true });
    expect(disabled.status).to.equal(409);
    expect(disabled.body.detail).to.match(/AC-LILLE-TEST of tenant lille is disabled/);
    const bad = await start({ source: 'AC-LILLE', dryRun: 'yes', mode: 'sometimes' });
    expect(bad.status).to.equal(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).to.deep.equal(['dryRun', 'mode']);
    expect((await start({ dryRun: true })).status).to.equal(400);
    expect((await start(undefined)).status).to.equal(400);
    const delta = await start({ source: 'AC-LILLE', dryRun: true, mode: 'delta' });
    expect(delta.status, delta.text).to.equal(202);
    await ended(delta.body.id);
    expect((await api(hub, operator.token, 'GET', `${runs}?limit=200`)).body.items.length).to.equal(before + 1);
  });

  it('answers 404 for a run it does not have, and for another tenant\'s run', async () => {
    const [run] = (await api(hub, operator.token, 'GET', runs)).body.items as RunView[];
    expect((await api(hub, operator.token, 'GET', `${runs}/01NOSUCHRUN`)).status).to.equal(404);
    expect((await api(hub, operator.token, 'GET', `${runs}/01NOSUCHRUN/report`)).status).to.equal(404);
    const amiens = await scriptClient(hub, 'script-amiens-imports');
    await grantTo(hub, amiens.clientId, 'import-operator', 'amiens');
    const elsewhere = await api(hub, amiens.token, 'GET', `/tenants/amiens/imports/${run!.id}`);
    expect(elsewhere.status).to.equal(404);
    expect((await api(hub, amiens.token, 'GET', `/tenants/amiens/imports/${run!.id}/report`)).status).to.equal(404);
    expect((await api(hub, amiens.token, 'GET', '/tenants/amiens/imports')).body.items).to.deep.equal([]);
    const none = await api(hub, amiens.token, 'POST', '/tenants/amiens/imports', { source: 'AC-LILLE', dryRun: true });
    expect(none.status).to.equal(400);
    expect(none.body.detail).to.equal('tenant amiens has no directory source: its tenant file declares none');
  });

  it('the console lists the runs, starts a dry run from a source, shows the run with its quarantine and downloads its report', async () => {
    const console = await consoleSession(hub, operator.token);
    const list = await console.page('GET', '/admin/t/lille/imports');
    expect(list.status, list.text).to.equal(200);
    expect(list.text).to.include('Lancer un essai').and.include('Lancer l’import').and.include('<option value="AC-LILLE">AC-LILLE</option>');
    expect(list.text).not.to.include('<option value="AC-LILLE-TEST">');
    expect(list.text).to.include('terminé').and.include('En quarantaine');
    const refused = await console.page('POST', '/admin/t/lille/imports', { source: 'AC-LILLE', dryRun: 'true' }, { csrf: 'forged' });
    expect(refused.status).to.equal(403);
    const started = await console.page('POST', '/admin/t/lille/imports', { source: 'AC-LILLE', dryRun: 'true' });
    expect(started.status, started.text).to.equal(302);
    const runId = /\/admin\/t\/lille\/imports\/([^/?]+)\?started=1/.exec(started.location ?? '')?.[1];
    expect(runId, started.location ?? '').to.be.a('string');
    const run = await ended(runId!);
    expect(run.dryRun).to.equal(true);
    const detail = await console.page('GET', `/admin/t/lille/imports/${runId}?lang=en`);
    expect(detail.status).to.equal(200);
    expect(detail.text).to.include('Quarantined entries').and.include(`/admin/t/lille/imports/${runId}/report`).and.include('completed');
    const quarantined = (await api(hub, operator.token, 'GET', `${runs}/${runId}`)).body.quarantined as Array<{ reason: string }>;
    expect(detail.text).to.include(quarantined[0]!.reason.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;'));
    const report = await console.page('GET', `/admin/t/lille/imports/${runId}/report`);
    expect(report.status).to.equal(200);
    expect(report.headers.get('content-disposition')).to.match(/^attachment; filename="import-lille-AC-LILLE-/);
    expect(JSON.parse(report.text).run.id).to.equal(runId);
    const unknown = await console.page('POST', '/admin/t/lille/imports', { source: 'AC-NOWHERE', dryRun: 'true' });
    expect(unknown.status).to.equal(400);
    expect(unknown.text).to.include('its sources are: AC-LILLE, AC-LILLE-TEST');
  });

  it('refuses roles that do not allow it, another tenant, and a role limited to schools: 403', async () => {
    const helpdesk = await scriptClient(hub, 'script-lille-helpdesk');
    await grantTo(hub, helpdesk.clientId, 'helpdesk', 'lille');
    expect((await api(hub, helpdesk.token, 'GET', runs)).status).to.equal(403);
    expect((await start({ source: 'AC-LILLE', dryRun: true }, helpdesk.token)).status).to.equal(403);

    const auditor = await scriptClient(hub, 'script-lille-auditor');
    await grantTo(hub, auditor.clientId, 'auditor', 'lille');
    expect((await api(hub, auditor.token, 'GET', runs)).status).to.equal(200);
    expect((await api(hub, auditor.token, 'GET', '/tenants/lille/import-sources')).body.items).to.deep.equal([{ id: 'AC-LILLE', enabled: true }, { id: 'AC-LILLE-TEST', enabled: false }]);
    const readOnly = await start({ source: 'AC-LILLE', dryRun: true }, auditor.token);
    expect(readOnly.status).to.equal(403);
    expect(readOnly.body.detail).to.match(/imports\.run/);

    const [school] = await hub.hub.store.forTenant('lille').structures.list();
    const schoolAuditor = await scriptClient(hub, 'script-lille-school-auditor');
    await grantTo(hub, schoolAuditor.clientId, 'auditor', 'lille', [school!.uai]);
    const limited = await api(hub, schoolAuditor.token, 'GET', runs);
    expect(limited.status).to.equal(403);
    expect(limited.body.detail).to.match(/whole tenant/);
    expect((await api(hub, schoolAuditor.token, 'GET', '/tenants/lille/import-sources')).status).to.equal(403);

    const amiens = await scriptClient(hub, 'script-amiens-operator');
    await grantTo(hub, amiens.clientId, 'import-operator', 'amiens');
    expect((await api(hub, amiens.token, 'GET', runs)).status).to.equal(403);
    expect((await start({ source: 'AC-LILLE', dryRun: true }, amiens.token)).status).to.equal(403);
  });
});
