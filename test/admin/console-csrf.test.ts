/**
 * The console's forms carry the session's CSRF token: a POST without it, or with another
 * session's, is refused with 403 and changes nothing; with it, the action is done.
 */
import { expect } from 'chai';
import { startTestHub, type TestHub } from '../../testing/harness/hub.js';
import { consoleSession } from './console-session.js';
import { grantTo, scriptClient } from './kit.js';

describe('admin console: CSRF', function () {
  this.timeout(60_000);
  let hub: TestHub;

  before(async () => {
    hub = await startTestHub();
  });
  after(() => hub?.stop());

  it('refuses a form without the token or with a wrong one, writing nothing, and accepts the right one', async () => {
    const admin = await scriptClient(hub, 'script-csrf-admin');
    await grantTo(hub, admin.clientId, 'tenant-admin', 'lille');
    const lille = hub.hub.store.forTenant('lille');
    const pupil = await lille.accounts.create({ login: 'csrf.pupil', profile: 'Student', firstName: 'Csrf', lastName: 'Pupil', status: 'active', passwordHash: 'x', source: 'local' });
    const session = await consoleSession(hub, admin.token);
    const path = `/admin/t/lille/accounts/${pupil.id}/block`;
    const eventsBefore = (await lille.audit.list()).length;
    for (const csrf of [null, 'not-the-session-token']) {
      const refused = await session.page('POST', path, {}, { csrf });
      expect(refused.status, `csrf ${csrf}`).to.equal(403);
      expect(refused.text).to.match(/reload the page/);
    }
    expect((await lille.accounts.get(pupil.id)).status).to.equal('active');
    expect((await lille.audit.list()).length).to.equal(eventsBefore);
    const done = await session.page('POST', path, {});
    expect(done.status).to.equal(302);
    expect(await lille.accounts.get(pupil.id)).to.include({ status: 'disabled', disabledReason: 'blocked' });
  });
});
