import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema, type HubConfig } from '../../src/config/schema.js';
import { ConfigError } from '../../src/shared/errors.js';
import { openSqlStore, type SqlStore } from '../../src/storage/sql/index.js';
import { TenantDirectory } from '../../src/wiring/tenants.js';

const tenantFile = (id: string, academyCode: string, extra = '') => `id: ${id}\nname: Académie ${id}\nacademyCode: "${academyCode}"\n${extra}`;

describe('wiring/tenants: the tenant directory', () => {
  let dir: string;
  let config: HubConfig;
  let store: SqlStore;
  const write = (name: string, text: string) => writeFileSync(join(dir, name), text);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hub-directory-'));
    config = configSchema.parse({ tenants: { dir } });
    store = await openSqlStore('sqlite::memory:');
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('mirrors the tenant files into the store and answers with their settings and their scope', async () => {
    write('a.yaml', tenantFile('alpha', '01', 'auth:\n  activationCodeTtlDays: 3\n'));
    write('b.yaml', tenantFile('beta', '02'));
    const tenants = await TenantDirectory.open(config, store);
    expect((await store.tenants.list()).map((t) => t.id)).to.deep.equal(['alpha', 'beta']);
    const alpha = tenants.get('alpha')!;
    expect(alpha).to.deep.include({ id: 'alpha', name: 'Académie alpha', academyCode: '01' });
    expect(alpha.declaration?.id).to.equal('alpha');
    expect(alpha.scope.tenantId).to.equal('alpha');
    expect(tenants.get('nowhere')).to.equal(undefined);
    expect(tenants.declarations().map((t) => t.id)).to.deep.equal(['alpha', 'beta']);
    expect([...tenants.authRules().entries()]).to.deep.equal([['alpha', { activationCodeTtlDays: 3 }]]);
  });

  it('keeps a tenant the store holds but no file declares any more, without settings', async () => {
    await store.tenants.upsert({ id: 'gone', name: 'Académie disparue', academyCode: '99' });
    write('a.yaml', tenantFile('alpha', '01'));
    const tenants = await TenantDirectory.open(config, store);
    expect(tenants.list().map((t) => [t.id, t.declaration?.id ?? null])).to.deep.equal([['alpha', 'alpha'], ['gone', null]]);
    expect(tenants.declaration('gone')).to.equal(undefined);
    expect(tenants.declarations().map((t) => t.id)).to.deep.equal(['alpha']);
  });

  it('reloads the files, and stays as it was when they became invalid', async () => {
    write('a.yaml', tenantFile('alpha', '01'));
    const tenants = await TenantDirectory.open(config, store);
    write('b.yaml', tenantFile('beta', '02'));
    await tenants.reload();
    expect(tenants.list().map((t) => t.id)).to.deep.equal(['alpha', 'beta']);
    write('c.yaml', tenantFile('gamma', '01'));
    const error = await tenants.reload().then(() => undefined, (err: unknown) => err);
    expect(error).to.be.instanceOf(ConfigError);
    expect(tenants.list().map((t) => t.id)).to.deep.equal(['alpha', 'beta']);
    expect(tenants.declarations().map((t) => t.id)).to.deep.equal(['alpha', 'beta']);
  });
});
