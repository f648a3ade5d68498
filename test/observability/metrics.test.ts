/**
 * The hub's Prometheus metrics, scraped from its admin listener as Prometheus would, after real
 * traffic: a password login and its code exchange (openid-client), a failed login, a refused
 * token request, an import run in the store. Labels stay bounded whatever the requests carry.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import * as oidc from 'openid-client';
import { PROJECT_ROOT } from '../../src/config/load.js';
import { CLI_OPERATOR } from '../../src/identity/actor.js';
import { addServiceProvider } from '../../src/saml/idp/sp-service.js';
import { Browser, formAction } from '../../testing/harness/browser.js';
import { PASSWORD, PORTAL_SECRET, REDIRECT, seedPeople, testClients, testResources } from '../../testing/harness/fixtures.js';
import { startTestHub, type TestHub } from '../../testing/harness/hub.js';
import { scrape, valueOf, type Sample } from '../../testing/harness/prometheus.js';
import { writeSpMetadata } from '../../testing/harness/pysaml2-sp.js';
import { discover, exchange, signIn, startAuthorization } from '../../testing/harness/rp.js';

const random = () => randomBytes(6).toString('hex');

/** Submits the login form with a wrong password: the page comes back with the refusal. */
async function failLogin(hub: TestHub, portal: oidc.Configuration, login: string): Promise<void> {
  const browser = new Browser();
  const start = await startAuthorization(portal);
  const loginPage = await browser.follow(start.url.href, REDIRECT);
  const refused = await browser.follow(formAction(loginPage, /\/login/), REDIRECT, { form: { login, password: 'not the password' } });
  expect(refused.location, 'a refused login stays on the hub').to.equal(null);
  expect(refused.status).to.be.oneOf([200, 401]);
}

function tokenRequest(hub: TestHub, body: Record<string, string>): Promise<Response> {
  return fetch(`${hub.url}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`portal:${PORTAL_SECRET}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(body),
  });
}

/** What an upstream IdP would post to a connector's ACS, for a connector that does not exist. */
function upstreamAnswer(hub: TestHub, connector: string): Promise<Response> {
  return fetch(`${hub.url}/federation/${connector}/acs`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'SAMLResponse=PHNhbWxwOlJlc3BvbnNlLz4%3D' });
}

const hubSeries = (samples: Sample[]) => samples.filter((s) => s.name.startsWith('hub_'));

describe('Prometheus metrics on the admin listener', function () {
  this.timeout(60_000);
  let hub: TestHub;
  let portal: oidc.Configuration;

  before(async () => {
    hub = await startTestHub({ config: { clients: testClients(), oidc: { resources: testResources }, metrics: { enabled: true, port: 0 } } });
    await seedPeople(hub.hub.store);
    portal = await discover(hub.url, 'portal');
  });
  after(() => hub?.stop());

  it('serves /metrics on the admin listener only: the public port answers 404, and so does any other admin path', async () => {
    expect(hub.metricsUrl).to.be.a('string');
    expect(hub.metricsUrl).not.to.include(new URL(hub.url).host);
    expect((await fetch(`${hub.url}/metrics`)).status).to.equal(404);
    expect((await fetch(hub.metricsUrl!.replace('/metrics', '/'))).status).to.equal(404);
    const res = await fetch(hub.metricsUrl!);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
  });

  it('counts a password login, its code exchange and the tokens issued, and times the routes by template', async () => {
    const before = await scrape(hub.metricsUrl!);
    const tokens = await exchange(portal, await signIn(new Browser(), portal, 'zoe.test', PASSWORD));
    expect(tokens.access_token).to.be.a('string');
    const after = await scrape(hub.metricsUrl!);
    const moved = (name: string, labels: Record<string, string>) => valueOf(after, name, labels) - valueOf(before, name, labels);
    expect(moved('hub_sign_ins_total', { method: 'password', connector: '', result: 'success' })).to.equal(1);
    expect(moved('hub_oidc_token_requests_total', { grant_type: 'authorization_code', result: 'success' })).to.equal(1);
    expect(moved('hub_oidc_tokens_issued_total', { kind: 'authorization_code' })).to.equal(1);
    expect(moved('hub_oidc_tokens_issued_total', { kind: 'access_token' })).to.equal(1);
    expect(moved('hub_oidc_tokens_issued_total', { kind: 'refresh_token' })).to.equal(1);
    expect(moved('hub_http_request_duration_seconds_count', { route: '/token', method: 'POST', status: '2xx' })).to.equal(1);
    expect(moved('hub_http_request_duration_seconds_count', { route: '/auth', method: 'GET', status: '3xx' })).to.be.at.least(1);
    const login = after.filter((s) => s.name === 'hub_http_request_duration_seconds_count' && s.labels.method === 'POST' && s.labels.route!.startsWith('/interaction/'));
    expect(login.map((s) => s.labels.route), 'the login form’s route, as its template').to.include('/interaction/:uid/login');
  });

  it('counts a failed login and a refused token request', async () => {
    const before = await scrape(hub.metricsUrl!);
    await failLogin(hub, portal, 'zoe.test');
    expect((await tokenRequest(hub, { grant_type: 'refresh_token', refresh_token: 'not-a-token' })).status).to.equal(400);
    const after = await scrape(hub.metricsUrl!);
    const moved = (name: string, labels: Record<string, string>) => valueOf(after, name, labels) - valueOf(before, name, labels);
    expect(moved('hub_sign_ins_total', { method: 'password', connector: '', result: 'failure' })).to.equal(1);
    expect(moved('hub_sign_ins_total', { method: 'password', connector: '', result: 'success' })).to.equal(0);
    expect(moved('hub_oidc_token_requests_total', { grant_type: 'refresh_token', result: 'error' })).to.equal(1);
  });

  it('counts a federated login refused, by reason, under a fixed label when no connector is known', async () => {
    const before = await scrape(hub.metricsUrl!);
    expect((await upstreamAnswer(hub, 'nowhere')).status).to.equal(400);
    const after = await scrape(hub.metricsUrl!);
    const labels = { connector: 'unknown', reason: 'unknown_connector' };
    expect(valueOf(after, 'hub_federation_failures_total', labels) - valueOf(before, 'hub_federation_failures_total', labels)).to.equal(1);
    const signIns = { method: 'federation', connector: 'unknown', result: 'failure' };
    expect(valueOf(after, 'hub_sign_ins_total', signIns) - valueOf(before, 'hub_sign_ins_total', signIns)).to.equal(1);
  });

  it('counts the SAML Responses posted to a registered SP', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'metrics-sp-'));
    try {
      const base = 'http://127.0.0.1:9/sp';
      const file = await writeSpMetadata(dir, 'sp.xml', { base });
      await addServiceProvider({ store: hub.hub.store, production: false }, CLI_OPERATOR, { owner: null, from: { file }, releasePolicy: 'generic' });
      const browser = new Browser();
      await signIn(browser, portal, 'zoe.test', PASSWORD);
      const before = await scrape(hub.metricsUrl!);
      const page = await browser.follow(`${hub.url}/saml/sso/${encodeURIComponent(`${base}/metadata`)}`, base);
      expect(page.body).to.include('SAMLResponse');
      const after = await scrape(hub.metricsUrl!);
      const labels = { sp: `${base}/metadata`, status: 'Success' };
      expect(valueOf(after, 'hub_saml_responses_total', labels) - valueOf(before, 'hub_saml_responses_total', labels)).to.equal(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports the database and Redis as up, and the process’s own metrics', async () => {
    const samples = await scrape(hub.metricsUrl!);
    expect(valueOf(samples, 'hub_dependency_up', { dependency: 'database' })).to.equal(1);
    expect(valueOf(samples, 'hub_dependency_up', { dependency: 'redis' })).to.equal(1);
    expect(samples.some((s) => s.name === 'process_cpu_user_seconds_total')).to.equal(true);
    expect(samples.some((s) => s.name === 'nodejs_heap_size_used_bytes')).to.equal(true);
  });

  it('reports the latest import run of each source from the store (runs of CLI processes included), dry runs left out', async () => {
    const imports = hub.hub.store.forTenant('lille').imports;
    const run = await imports.startRun({ sourceId: 'annuaire', mode: 'full', dryRun: false });
    const counters = { read: 12, created: 7, updated: 3, unchanged: 2, merged: 0, disappeared: 1, quarantined: 0 };
    await imports.finishRun(run.id, { status: 'completed', counters, highWaterMark: null });
    const dry = await imports.startRun({ sourceId: 'annuaire', mode: 'full', dryRun: true });
    await imports.finishRun(dry.id, { status: 'failed', highWaterMark: null, error: 'dry' });
    const samples = await scrape(hub.metricsUrl!);
    const labels = { tenant: 'lille', source: 'annuaire' };
    expect(valueOf(samples, 'hub_import_last_run_accounts', { ...labels, change: 'created' })).to.equal(7);
    expect(valueOf(samples, 'hub_import_last_run_accounts', { ...labels, change: 'updated' })).to.equal(3);
    expect(valueOf(samples, 'hub_import_last_run_accounts', { ...labels, change: 'disabled' })).to.equal(1);
    expect(valueOf(samples, 'hub_import_last_run_status', { ...labels, status: 'completed' })).to.equal(1);
    expect(valueOf(samples, 'hub_import_last_run_status', { ...labels, status: 'failed' })).to.equal(0);
    expect(valueOf(samples, 'hub_import_last_run_start_seconds', labels)).to.be.closeTo(run.startedAt.getTime() / 1000, 1);
    expect(valueOf(samples, 'hub_import_runs_unreadable')).to.equal(0);
  });

  it('has every metric the sample Grafana dashboard queries', async () => {
    const dashboard = readFileSync(join(PROJECT_ROOT, 'docs/grafana-dashboard.json'), 'utf8');
    const queried = new Set([...dashboard.matchAll(/\b((?:hub|process|nodejs)_[a-z0-9_]+)/g)].map(([, name]) => name!.replace(/_(bucket|count|sum)$/, '')));
    const text = await (await fetch(hub.metricsUrl!)).text();
    const served = new Set([...text.matchAll(/^# TYPE (\S+)/gm)].map(([, name]) => name!));
    expect([...queried].filter((name) => !served.has(name))).to.deep.equal([]);
    expect(queried.size).to.be.at.least(10);
  });

  it('keeps its labels bounded: random client ids, paths, logins and grant types add no series', async () => {
    const round = async () => {
      const id = random();
      await fetch(`${hub.url}/auth?client_id=${id}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(REDIRECT)}`);
      await fetch(`${hub.url}/${id}/${random()}`);
      await fetch(`${hub.url}/interaction/${id}/login`, { method: 'POST' });
      await upstreamAnswer(hub, id);
      await tokenRequest(hub, { grant_type: `urn:${id}`, code: id });
      await failLogin(hub, portal, `nobody.${id}`);
    };
    await round();
    const series = hubSeries(await scrape(hub.metricsUrl!)).length;
    await round();
    await round();
    const after = hubSeries(await scrape(hub.metricsUrl!));
    expect(after.length).to.equal(series);
    const text = JSON.stringify(after.map((s) => s.labels));
    expect(text).not.to.match(/nobody\.|urn:[0-9a-f]{12}/);
    expect(valueOf(after, 'hub_oidc_token_requests_total', { grant_type: 'other', result: 'error' })).to.equal(3);
  });
});
