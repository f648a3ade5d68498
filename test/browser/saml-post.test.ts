/**
 * The SAML HTTP-POST page (src/saml/idp/post-form.ts) in a real browser, served with the hub's
 * own security headers (strict CSP, no inline script): Chromium must send the form by itself,
 * and a browser without JavaScript must be able to send it with the visible button. The ACS is
 * another origin on loopback, as a partner's would be.
 */
import { expect } from 'chai';
import Koa from 'koa';
import Router from '@koa/router';
import { assetsRouter } from '../../src/http/assets.js';
import { securityHeaders } from '../../src/http/security-headers.js';
import { autoPostForm } from '../../src/saml/idp/post-form.js';
import { startLoopbackServer, type LoopbackServer } from '../../testing/harness/loopback-server.js';
import { useBrowser } from './harness.js';

const RESPONSE = Buffer.from('<samlp:Response ID="_x"/>').toString('base64');
const RELAY_STATE = 'https://ressource.example/manuel?page=12&x="y"';

describe('browser: the SAML HTTP-POST page under the hub’s CSP', function () {
  this.timeout(60_000);
  const browser = useBrowser();
  let acs: LoopbackServer;
  let idp: LoopbackServer;
  let received: Array<Record<string, string>>;

  before(async () => {
    acs = await startLoopbackServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        // Only the form's POST counts: the browser also asks the ACS's origin for its icon.
        if (req.method === 'POST' && req.url === '/acs') received.push(Object.fromEntries(new URLSearchParams(body)));
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>ACS</title><p id="acs">reçu</p>');
      });
    });
    const app = new Koa();
    const page = new Router().get('/saml/post', (ctx) => {
      ctx.type = 'html';
      ctx.body = autoPostForm(`${acs.base}/acs`, 'SAMLResponse', RESPONSE, RELAY_STATE, 'fr');
    });
    app.use(securityHeaders(false));
    for (const router of [assetsRouter(), page]) app.use(router.routes());
    idp = await startLoopbackServer(app.callback());
  });
  beforeEach(() => { received = []; });
  after(async () => { await acs?.close(); await idp?.close(); });

  it('sends the form by itself: the ACS receives the response and the RelayState, unchanged', async () => {
    const { page } = browser;
    const violations: string[] = [];
    page.on('console', (message) => { if (/Content Security Policy/i.test(message.text())) violations.push(message.text()); });
    await page.goto(`${idp.base}/saml/post`);
    await page.waitForURL(`${acs.base}/acs`);
    expect(violations).to.deep.equal([]);
    expect(received).to.deep.equal([{ SAMLResponse: RESPONSE, RelayState: RELAY_STATE }]);
  });

  it('without JavaScript, shows a button that sends the same form', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${idp.base}/saml/post`);
    expect(received).to.deep.equal([]);
    const button = page.locator('form#saml-post button[type="submit"]');
    expect(await button.isVisible()).to.equal(true);
    await Promise.all([page.waitForURL(`${acs.base}/acs`), button.click()]);
    expect(received).to.deep.equal([{ SAMLResponse: RESPONSE, RelayState: RELAY_STATE }]);
    await context.close();
  });
});
