/**
 * `hub audit export`: the audit log as JSON lines on stdout, the real CLI in a child process on a
 * temporary SQLite file. Usage mistakes are said, with exit code 2, and print no event.
 */
import { expect } from 'chai';
import { CliSandbox, expectUsageError } from '../../testing/harness/cli.js';

interface Line {
  id: string;
  at: string;
  type: string;
  tenantId: string | null;
  accountId: string | null;
  details: Record<string, unknown>;
}

const linesOf = (stdout: string): Line[] => stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Line);

describe('cli: audit export (child process)', function () {
  this.timeout(120_000);
  let box: CliSandbox;
  let started: Date;

  before(async () => {
    box = new CliSandbox();
    started = new Date(Date.now() - 1000);
    const created = await box.run(['users', 'create', '--tenant', 'lille', '--login', 'agnes.admin', '--first-name', 'Agnès', '--last-name', 'Admin', '--profile', 'Personnel']);
    expect(created.code, created.rawStderr).to.equal(0);
    const granted = await box.run(['roles', 'grant', '--login', 'agnes.admin', '--role', 'auditor', '--platform']);
    expect(granted.code, granted.rawStderr).to.equal(0);
  });
  after(() => box?.cleanup());

  it('writes a tenant’s events, one JSON object per line, newest first', async () => {
    const result = await box.run(['audit', 'export', '--tenant', 'lille']);
    expect(result.code, result.rawStderr).to.equal(0);
    expect(result.stdout.endsWith('\n')).to.equal(true);
    const lines = linesOf(result.stdout);
    expect(lines.map((l) => l.type)).to.include('account.created');
    for (const line of lines) expect(line.tenantId).to.equal('lille');
    const times = lines.map((l) => Date.parse(l.at));
    expect(times).to.deep.equal([...times].sort((a, b) => b - a));
    expect(lines.find((l) => l.type === 'account.created')!.accountId).to.be.a('string');
  });

  it('writes the platform’s own events with --platform, and keeps the window --since / --until name', async () => {
    const platform = linesOf((await box.run(['audit', 'export', '--platform'])).stdout);
    expect(platform.map((l) => l.type)).to.include('grant.added');
    for (const line of platform) expect(line.tenantId).to.equal(null);
    const inWindow = await box.run(['audit', 'export', '--tenant', 'lille', '--since', started.toISOString(), '--until', new Date(Date.now() + 60_000).toISOString()]);
    expect(linesOf(inWindow.stdout).map((l) => l.type)).to.include('account.created');
    const later = await box.run(['audit', 'export', '--tenant', 'lille', '--since', new Date(Date.now() + 60_000).toISOString()]);
    expect(later.code, later.rawStderr).to.equal(0);
    expect(later.stdout).to.equal('');
  });

  it('refuses usage mistakes with exit code 2 and a sentence, printing no event', async () => {
    expectUsageError(await box.run(['audit', 'export']), /either --tenant <id> or --platform/);
    expectUsageError(await box.run(['audit', 'export', '--tenant', 'lille', '--since', 'yesterday']), /--since must be an ISO 8601 date/);
    const unknown = await box.run(['audit', 'export', '--tenant', 'atlantis']);
    expectUsageError(unknown, /unknown tenant "atlantis"/);
    expect(unknown.stdout).to.equal('');
  });
});
