/**
 * The edge guard on its own: the rules (input-rules.ts) as functions, and the middleware in a
 * small Koa app standing for the hub (a hub route with @koa/bodyparser, an oidc-provider-like
 * route that reads `ctx.req.body`), with a recording audit store.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as querystring from 'node:querystring';
import { bodyParser } from '@koa/bodyparser';
import { expect } from 'chai';
import fc from 'fast-check';
import Koa from 'koa';
import { pino } from 'pino';
import { inputGuard } from '../../src/http/input-guard.js';
import { checkParams, checkPath, decodeComponent, hubFormBody, MAX_NAME_LENGTH, MAX_PARAMS, MAX_VALUE_LENGTH, plainlySafeParams, plainlySafePath } from '../../src/http/input-rules.js';
import type { NewAuditEvent } from '../../src/storage/ports/index.js';

describe('input rules', () => {
  it('decodes components like node querystring for every valid input', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (text) => {
      const encoded = new URLSearchParams({ v: text }).toString().slice(2);
      expect(decodeComponent(encoded)).to.equal(text).and.to.equal(querystring.parse(`v=${encoded}`).v);
    }), { seed: 6, numRuns: 300 });
  });

  it('refuses percent-encoded bytes that are not UTF-8, never replacing them', () => {
    for (const bad of ['%C3%28', '%FF', '%E2%82', '%ED%A0%80', 'a%C0%AFb']) expect(decodeComponent(bad), bad).to.equal(null);
    expect(decodeComponent('100%')).to.equal('100%'); // a stray % stays, as querystring leaves it
    expect(decodeComponent('a+b%2Bc')).to.equal('a b+c');
  });

  it('refuses control characters but tab/LF/CR in multi-line values, and says where', () => {
    expect(checkParams('query', 'login=a%00b')).to.deep.equal({ problem: { where: 'query', field: 'login', reason: 'control_character' } });
    expect(checkParams('body', 'x=%C2%85')).to.deep.include({ problem: { where: 'body', field: 'x', reason: 'control_character' } });
    expect(checkParams('body', 'state=a%09b')).to.have.property('problem');
    expect(checkParams('body', 'SAMLResponse=PHN%0D%0AhbWw%3D')).to.deep.equal({ params: [['SAMLResponse', 'PHN\r\nhbWw=']] });
    expect(checkParams('body', 'SAMLResponse=a%00')).to.have.property('problem');
    expect(checkParams('query', 'a%00=1')).to.deep.equal({ problem: { where: 'query', field: null, reason: 'control_character' } });
  });

  it('caps lengths and the number of parameters', () => {
    expect(checkParams('query', `state=${'a'.repeat(MAX_VALUE_LENGTH)}`)).to.have.property('params');
    expect(checkParams('query', `state=${'a'.repeat(MAX_VALUE_LENGTH + 1)}`)).to.deep.equal({ problem: { where: 'query', field: 'state', reason: 'too_long' } });
    expect(checkParams('body', `login=${'a'.repeat(257)}`, true)).to.deep.equal({ problem: { where: 'body', field: 'login', reason: 'too_long' } });
    expect(checkParams('body', `login=${'a'.repeat(257)}`, false)).to.have.property('params');
    expect(checkParams('body', `SAMLResponse=${'a'.repeat(200_000)}`, true)).to.have.property('params');
    const many = Array.from({ length: MAX_PARAMS + 1 }, (_, i) => `p${i}=1`).join('&');
    expect(checkParams('query', many)).to.deep.equal({ problem: { where: 'query', field: null, reason: 'too_many_parameters' } });
  });

  it('checks the path: percent-decoded UTF-8 without control characters', () => {
    expect(checkPath('/interaction/abc/login')).to.equal(null);
    expect(checkPath('/interaction/%00/login')).to.include({ reason: 'control_character' });
    expect(checkPath('/interaction/%C3%28')).to.include({ reason: 'invalid_utf8' });
    expect(checkPath('/caf\u00e9')).to.include({ reason: 'raw_non_ascii' });
  });

  // The fast paths decide only what the full check accepts; anything else is left to it.
  it('fast path: whatever plainlySafeParams lets through, checkParams accepts', () => {
    const piece = fc.oneof(
      fc.constantFrom('&', '=', '+', '%', '%2', '%20', '%41', '%7e', '%7E', '%7F', '%7f', '%1F', '%00', '%C3%A9', '%FF', '%zz', ' ', '\u0000', '\u0085', 'é', '\uD800'),
      fc.string({ maxLength: 6 }),
      fc.constantFrom('a'.repeat(MAX_NAME_LENGTH), `${'b'.repeat(MAX_NAME_LENGTH - 2)}%41%41`, 'c'.repeat(MAX_VALUE_LENGTH - 1)),
    );
    const raw = fc.array(piece, { maxLength: 30 }).map((pieces) => pieces.join(''));
    const many = fc.integer({ min: MAX_PARAMS - 2, max: MAX_PARAMS + 2 }).map((n) => Array.from({ length: n }, (_, i) => `p${i}=1`).join('&'));
    let fast = 0;
    fc.assert(fc.property(fc.oneof(raw, many), (text) => {
      if (!plainlySafeParams(text)) return;
      fast += 1;
      expect(checkParams('query', text), text).to.have.property('params');
      expect(checkParams('body', text), text).to.have.property('params');
    }), { seed: 19, numRuns: 3000 });
    expect(fast).to.be.greaterThan(300); // the property is not vacuous
    expect(plainlySafeParams('grant_type=client_credentials&scope=a+b&resource=https%3A%2F%2Fapi.example%2F')).to.equal(true);
    expect(plainlySafeParams(`${'a'.repeat(MAX_NAME_LENGTH + 1)}=1`)).to.equal(false);
    expect(plainlySafeParams(`s=${'a'.repeat(MAX_VALUE_LENGTH + 1)}`)).to.equal(false);
  });

  it('fast path: whatever plainlySafePath lets through, checkPath accepts', () => {
    fc.assert(fc.property(fc.string({ maxLength: 40 }), (text) => {
      const path = `/${text}`;
      if (plainlySafePath(path)) expect(checkPath(path), path).to.equal(null);
    }), { seed: 19, numRuns: 2000 });
    expect(plainlySafePath('/token')).to.equal(true);
    expect(plainlySafePath('/a%00')).to.equal(false);
    expect(plainlySafePath(`/${'a'.repeat(2048)}`)).to.equal(false);
  });

  it('normalises the hub form values to NFC, but not passwords; keeps repeated names as arrays', () => {
    const body = hubFormBody([['login', 'ine\u0301s'], ['password', 'e\u0301'], ['x', '1'], ['x', '2'], ['__proto__', 'p']]);
    expect(body.login).to.equal('in\u00e9s');
    expect(body.password).to.equal('e\u0301');
    expect(body.x).to.deep.equal(['1', '2']);
    expect(Object.getPrototypeOf(body)).to.equal(Object.prototype);
    expect(Object.hasOwn(body, '__proto__')).to.equal(true);
  });
});

describe('input guard middleware', () => {
  let server: Server;
  let base: string;
  const audited: NewAuditEvent[] = [];
  const seen: { hub?: unknown; provider?: unknown } = {};

  before(async () => {
    const app = new Koa();
    app.use(async (ctx, next) => { ctx.state.requestId = 'req-1'; await next(); });
    app.use(inputGuard({
      log: pino({ level: 'silent' }), isHubPath: (path) => /^\/(?:interaction|federation)\//.test(path), maxBodyBytes: 1024,
      audit: { record: async (event) => { audited.push(event); return { ...event, id: '1', at: new Date() } as never; } },
    }));
    const form = bodyParser({ enableTypes: ['form'], formLimit: '1kb' });
    app.use(async (ctx, next) => {
      if (ctx.path.startsWith('/interaction/') || ctx.path.startsWith('/federation/')) {
        await form(ctx, async () => undefined);
        seen.hub = ctx.request.body;
        ctx.body = 'hub ok';
        return;
      }
      await next();
    });
    // Stands for oidc-provider's selective_body.js: the stream, or else the body handed over.
    app.use(async (ctx) => {
      seen.provider = ctx.req.readable ? 'stream' : String((ctx.req as { body?: Buffer }).body);
      ctx.body = { ok: true };
    });
    server = createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const post = (path: string, body: string | Buffer, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: typeof body === 'string' ? body : new Uint8Array(body) });

  it('lets clean requests through, handing the hub a parsed NFC body and oidc-provider the raw bytes', async () => {
    const hub = await post('/interaction/x/login', 'login=Ine%CC%81s&password=e%CC%81');
    expect(hub.status).to.equal(200);
    expect(seen.hub).to.deep.equal({ login: 'In\u00e9s', password: 'e\u0301' });
    const provider = await post('/token', 'grant_type=client_credentials&resource=a&resource=b');
    expect(provider.status).to.equal(200);
    expect(seen.provider).to.equal('grant_type=client_credentials&resource=a&resource=b');
    expect((await fetch(`${base}/auth?client_id=portal&state=%C3%A9t%C3%A9`)).status).to.equal(200);
  });

  it('answers oidc-provider endpoints with invalid_request JSON naming the parameter', async () => {
    const res = await post('/token', 'grant_type=client_credentials&client_id=%00');
    expect(res.status).to.equal(400);
    expect(await res.json()).to.deep.equal({ error: 'invalid_request', error_description: 'parameter "client_id" of the body contains a control character', request_id: 'req-1' });
    const query = await fetch(`${base}/auth?client_id=%C3%28`, { headers: { accept: '*/*' } });
    expect(query.status).to.equal(400);
    expect(await query.json()).to.include({ error: 'invalid_request' });
  });

  it('shows a browser a French page on the hub and on /auth, in English when asked', async () => {
    const page = await post('/interaction/x/login', 'login=a%00b', { accept: 'text/html' });
    expect(page.status).to.equal(400);
    const html = await page.text();
    expect(html).to.include('<h1>Requête invalide</h1>').and.include('caractères non autorisés').and.include('req-1');
    const auth = await fetch(`${base}/auth?login_hint=%00&lang=en`, { headers: { accept: 'text/html,*/*;q=0.8' } });
    expect(auth.status).to.equal(400);
    expect(await auth.text()).to.include('<h1>Invalid request</h1>').and.not.include('control character');
  });

  it('refuses bodies that are not UTF-8, over the limit, in another charset or compressed', async () => {
    expect((await post('/interaction/x/login', Buffer.from([0x6c, 0x3d, 0xff]))).status).to.equal(400);
    expect((await post('/interaction/x/login', `login=${'a'.repeat(2000)}`)).status).to.equal(413);
    expect((await post('/interaction/x/login', 'login=a', { 'content-type': 'application/x-www-form-urlencoded; charset=iso-8859-1' })).status).to.equal(400);
    expect((await post('/token', 'a=b', { 'content-encoding': 'gzip' })).status).to.equal(400);
    // A SAML response may be large (its own limit, not the forms')
    expect((await post('/federation/ac/acs', `SAMLResponse=${'QUFB'.repeat(10_000)}&RelayState=x`)).status).to.equal(200);
  });

  it('audits refusals, at most 20 a minute', async () => {
    audited.length = 0;
    for (let i = 0; i < 25; i += 1) await fetch(`${base}/me?x=%00`);
    expect(audited.length).to.be.at.most(20);
    const last = audited.at(-1)!;
    expect(last).to.deep.include({ type: 'request.invalid_input' });
    expect(last.details).to.include({ path: '/me', where: 'query', field: 'x', reason: 'control_character' });
  });
});
