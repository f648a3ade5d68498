/** The hub's own paths are what its routers declare: their prefix's subtree and their routes' paths. */
import Router from '@koa/router';
import { expect } from 'chai';
import { hubPathTest } from '../../src/http/hub-paths.js';

describe('hubPathTest', () => {
  const noop = (): void => undefined;
  const prefixed = new Router({ prefix: '/demo' }).get('/', noop).get('/callback', noop);
  const withParam = new Router({ prefix: '/interaction/:uid/federation' }).get('/staff', noop);
  const bare = new Router().get('/healthz', noop);
  const isHubPath = hubPathTest([prefixed, withParam, bare]);

  it('owns everything under a prefix, and the prefix itself only where a route is', () => {
    expect(isHubPath('/demo')).to.equal(true);
    expect(isHubPath('/demo/')).to.equal(true);
    expect(isHubPath('/demo/anything/else')).to.equal(true);
    expect(isHubPath('/demox')).to.equal(false);
    expect(isHubPath('/interaction/abc/federation')).to.equal(false);
    expect(isHubPath('/interaction/abc/federation/start/x')).to.equal(true);
  });

  it('owns a route path exactly: no other case, no trailing slash', () => {
    expect(isHubPath('/healthz')).to.equal(true);
    expect(isHubPath('/healthz/')).to.equal(false);
    expect(isHubPath('/HEALTHZ')).to.equal(false);
    expect(isHubPath('/token')).to.equal(false);
  });

  it('lets a parameter stand for exactly one segment', () => {
    expect(isHubPath('/interaction/a/b/federation/staff')).to.equal(false);
    expect(isHubPath('/interaction//federation/staff')).to.equal(false);
  });
});
