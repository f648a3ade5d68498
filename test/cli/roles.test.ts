/**
 * `hub roles grant|list|revoke`, the way the first admins of a new hub are named: the real CLI in
 * a child process on a temporary SQLite file. Refusals write nothing and say why.
 */
import { expect } from 'chai';
import { openSqlStore } from '../../src/storage/sql/database.js';
import { CliSandbox, expectFailure, expectUsageError } from '../../testing/harness/cli.js';

describe('cli: roles (child process)', function () {
  this.timeout(120_000);
  let box: CliSandbox;

  beforeEach(async () => {
    box = new CliSandbox();
    const created = await box.run(['users', 'create', '--tenant', 'lille', '--login', 'agnes.admin', '--first-name', 'Agnès', '--last-name', 'Admin', '--profile', 'Personnel']);
    expect(created.code, created.rawStderr).to.equal(0);
  });
  afterEach(() => box.cleanup());

  const grantsInStore = async () => {
    const store = await openSqlStore(`sqlite:${box.databaseFile}`);
    try {
      return [...(await store.roleGrants.listOn(null)), ...(await store.roleGrants.listOn('lille'))];
    } finally {
      await store.close();
    }
  };

  it('grants a tenant admin, lists it (text and JSON), revokes it; both audited', async () => {
    const granted = await box.run(['roles', 'grant', '--login', 'agnes.admin', '--role', 'tenant-admin', '--tenant', 'lille']);
    expect(granted.code, granted.rawStderr).to.equal(0);
    expect(granted.stdout).to.match(/^granted: \S+\ttenant-admin\tlille\taccount:\S+\t-\t/);
    const listed = await box.run(['roles', 'list', '--tenant', 'lille', '--json']);
    const [grant] = JSON.parse(listed.stdout) as Array<{ id: string; role: string }>;
    expect(grant).to.include({ role: 'tenant-admin' });
    const revoked = await box.run(['roles', 'revoke', '--tenant', 'lille', '--id', grant!.id]);
    expect(revoked.code, revoked.rawStderr).to.equal(0);
    expect(await grantsInStore()).to.deep.equal([]);
    const store = await openSqlStore(`sqlite:${box.databaseFile}`);
    try {
      const types = (await store.forTenant('lille').audit.list()).map((e) => e.type);
      expect(types).to.include.members(['grant.added', 'grant.removed']);
    } finally {
      await store.close();
    }
  });

  it('refuses a role at the wrong scope, an unknown login or school, and usage mistakes, writing nothing', async () => {
    expectFailure(await box.run(['roles', 'grant', '--login', 'agnes.admin', '--role', 'platform-admin', '--tenant', 'lille']), /platform-admin is granted on the platform only/);
    expectFailure(await box.run(['roles', 'grant', '--login', 'nobody.here', '--role', 'helpdesk', '--tenant', 'lille']), /account "nobody.here" in lille not found/);
    expectFailure(await box.run(['roles', 'grant', '--login', 'agnes.admin', '--role', 'structure-admin', '--tenant', 'lille', '--uai', '0000000A']), /no structure 0000000A in tenant lille/);
    expectUsageError(await box.run(['roles', 'grant', '--login', 'agnes.admin', '--role', 'boss', '--tenant', 'lille']), /--role must be one of/);
    expectUsageError(await box.run(['roles', 'grant', '--login', 'agnes.admin', '--role', 'helpdesk']), /either --tenant <id> or --platform/);
    expect(await grantsInStore()).to.deep.equal([]);
  });
});
