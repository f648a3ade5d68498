/**
 * The README's first run, as a newcomer does it: the real `hub serve` in a child process with
 * the shipped config/default.yaml, only PORT changed (the sandbox keeps its SQLite file and key
 * folder out of the repository). Then the same with an issuer that points nowhere.
 */
import { expect } from 'chai';
import { DEMO_PASSWORD } from '../../src/dev/demo-seed.js';
import { Browser, formAction } from '../../testing/harness/browser.js';
import { CliSandbox, freePort, hasStackTrace, serveHub, type ServingHub } from '../../testing/harness/cli.js';

const msgOf = (line: Record<string, unknown>) => String(line.msg);

describe('first run: hub serve with only PORT set', function () {
  this.timeout(120_000);
  let box: CliSandbox;
  let hub: ServingHub;

  before(async () => {
    box = new CliSandbox();
    hub = await serveHub(box);
  });
  after(async () => {
    await hub?.stop();
    box?.cleanup();
  });

  it('derives the issuer from PORT: discovery names http://localhost:<PORT>', async () => {
    const metadata = (await (await fetch(`http://localhost:${hub.port}/.well-known/openid-configuration`)).json()) as { issuer: string; authorization_endpoint: string };
    expect(metadata.issuer).to.equal(`http://localhost:${hub.port}`);
    expect(metadata.authorization_endpoint).to.equal(`http://localhost:${hub.port}/auth`);
  });

  it('says once where it listens: the public URL and the bound address', async () => {
    const line = await hub.waitForLog((l) => msgOf(l).startsWith('listening on'), 2_000);
    expect(line.msg).to.equal(`listening on http://localhost:${hub.port} (bound to 0.0.0.0:${hub.port})`);
    expect(line).to.include({ url: `http://localhost:${hub.port}`, address: `0.0.0.0:${hub.port}`, level: 30 });
    expect(hub.logLines().filter((l) => msgOf(l).startsWith('listening on'))).to.have.length(1);
    expect(hub.logLines().some((l) => /is on this machine but the hub listens/.test(msgOf(l))), 'no issuer warning').to.equal(false);
  });

  it('GET /demo/login leads to the hub\'s login page, and the demo login completes', async () => {
    const browser = new Browser();
    const base = `http://localhost:${hub.port}`;
    const loginPage = await browser.follow(`${base}/demo/login`, 'no-stop:');
    expect(loginPage.status, loginPage.body.slice(0, 500)).to.equal(200);
    expect(new URL(loginPage.url).pathname).to.match(/^\/interaction\//);
    expect(loginPage.body).to.include('Application de démonstration').and.include('name="password"');
    const consent = await browser.follow(formAction(loginPage, /\/login/), 'no-stop:', { form: { login: 'lea.martin', password: DEMO_PASSWORD } });
    const done = await browser.follow(formAction(consent, /\/confirm/), 'no-stop:', { form: {} });
    expect(done.status, done.body.slice(0, 500)).to.equal(200);
    expect(done.url.startsWith(`${base}/demo/callback?`)).to.equal(true, done.url);
    expect(done.body).to.include('Bonjour Léa Martin');
  });

  it('writes a request\'s log line to stdout within 1.5 s, the process still running', async () => {
    const requestId = `first-run-${Date.now()}`;
    const res = await fetch(`${hub.url}/healthz`, { headers: { 'x-request-id': requestId } });
    expect(res.status).to.equal(200);
    const sent = Date.now();
    const line = await hub.waitForLog((l) => l.requestId === requestId, 1_500);
    expect(Date.now() - sent).to.be.below(1_500);
    expect(line).to.include({ path: '/healthz', status: 200, msg: 'request' });
    expect(hub.child.exitCode).to.equal(null);
  });

  it('flushes the last lines when stopped by SIGTERM', async () => {
    const result = await hub.stop();
    expect(result.code, result.rawStderr).to.equal(0);
    const messages = result.stdout.split('\n').filter(Boolean).map((l) => msgOf(JSON.parse(l) as Record<string, unknown>));
    expect(messages.slice(-2)).to.deep.equal(['shutting down', 'stopped']);
  });
});

describe('first run: an issuer that does not reach the hub', function () {
  this.timeout(120_000);
  let box: CliSandbox;
  let hub: ServingHub;
  let issuer: string;

  before(async () => {
    box = new CliSandbox();
    issuer = `http://127.0.0.1:${await freePort()}`; // nothing listens there
    hub = await serveHub(box, { HUB_ISSUER: issuer });
  });
  after(async () => {
    await hub?.stop();
    box?.cleanup();
  });

  it('warns at start that the issuer is on this machine but on another port', async () => {
    const line = await hub.waitForLog((l) => /is on this machine but the hub listens/.test(msgOf(l)), 2_000);
    expect(line.level).to.equal(40);
    expect(line.msg).to.include(issuer).and.include(`port ${hub.port}`).and.include('HUB_ISSUER');
  });

  it('/demo/login answers a French page naming the problem, and logs the cause', async () => {
    const res = await fetch(`${hub.url}/demo/login`, { headers: { accept: 'text/html', 'x-request-id': 'demo-misconfigured' } });
    const body = await res.text();
    expect(res.status).to.equal(502);
    expect(res.headers.get('content-type')).to.match(/^text\/html/);
    expect(body).to.include('<html lang="fr"').and.include('Le hub est injoignable').and.include(issuer).and.include('HUB_ISSUER');
    expect(body).to.include('demo-misconfigured', 'the request id, for support');
    expect(hasStackTrace(body)).to.equal(false);
    expect(body).not.to.match(/ECONNREFUSED|fetch failed/);
    const line = await hub.waitForLog((l) => l.requestId === 'demo-misconfigured' && l.level === 50, 1_500);
    expect(line.msg).to.equal(`the demo cannot reach the issuer ${issuer}: set HUB_ISSUER to the URL this hub is reached at (its scheme, host and port), then restart it`);
    expect(line).to.include({ issuer, step: 'discovery', path: '/demo/login' });
    expect(String(line.cause)).to.include('ECONNREFUSED');
  });
});
