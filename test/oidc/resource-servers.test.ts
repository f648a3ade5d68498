/**
 * The resource server information oidc-provider asks for each requested API (RFC 8707): a
 * client gets only the API's scopes it holds, and the answer, asked on every token request, is
 * made once per client and API.
 */
import { expect } from 'chai';
import { errors } from 'oidc-provider';
import { resourceSchema } from '../../src/oidc/config.js';
import { resourceServerInfo } from '../../src/oidc/resource-servers.js';

const API = 'https://api.example/';
const resources = [resourceSchema.parse({ indicator: API, scopes: ['timetable.read', 'timetable.write'], accessTokenTtl: 600 })];

describe('resource server information', () => {
  it('gives a client the API\'s scopes it holds, the API\'s audience, lifetime and ES256 JWT format', () => {
    const info = resourceServerInfo(resources)(API, { scope: 'openid timetable.read' });
    expect(info).to.deep.equal({ scope: 'timetable.read', audience: API, accessTokenTTL: 600, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } });
  });

  it('refuses an unknown API and an API the client holds no scope of (invalid_target)', () => {
    const info = resourceServerInfo(resources);
    expect(() => info('https://other.example/', { scope: 'timetable.read' })).to.throw(errors.InvalidTarget);
    expect(() => info(API, { scope: 'openid profile' })).to.throw(errors.InvalidTarget).with.property('error_description', `this client may not obtain tokens for ${API}`);
    expect(() => info(API, {})).to.throw(errors.InvalidTarget);
  });

  it('answers a client\'s later requests with the same frozen object, and another client with its own', () => {
    const info = resourceServerInfo(resources);
    const client = { scope: 'timetable.read timetable.write' };
    const first = info(API, client);
    expect(info(API, client)).to.equal(first);
    expect(Object.isFrozen(first) && Object.isFrozen(first.jwt) && Object.isFrozen(first.jwt.sign)).to.equal(true);
    const other = info(API, { scope: 'timetable.read' });
    expect(other).to.not.equal(first);
    expect(other.scope).to.equal('timetable.read');
    expect(first.scope).to.equal('timetable.read timetable.write');
  });
});
