/**
 * The GAR switches as the SSO and the annuaire export read them (`TenantDirectory.gar()`), with a
 * real SQLite store: applied over the tenant file's list, read again at once on the process
 * where an admin switched a school, and by another process once its copy is old.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { configSchema, type HubConfig } from '../../src/config/schema.js';
import { switchGarSchool, type GarSchoolPorts } from '../../src/gar/school-switch.js';
import { CLI_OPERATOR } from '../../src/identity/actor.js';
import { garProjectIdOf } from '../../src/identity/gar.js';
import { openSqlStore, type SqlStore } from '../../src/storage/sql/index.js';
import { GarSchoolSwitches } from '../../src/wiring/gar-schools.js';
import { TenantDirectory } from '../../src/wiring/tenants.js';

const KEY_ENV = 'GAR_SWITCHES_TEST_KEY';

describe('wiring: the GAR switches per school as the hub reads them', () => {
  let dir: string;
  let config: HubConfig;
  let store: SqlStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hub-gar-switches-'));
    writeFileSync(join(dir, 'lille.yaml'), `id: lille\nname: Lille\nacademyCode: "09"\ngar:\n  projectId: ENT-TEST\n  structures: [0590001A, 0590002B]\n  identifierKey: { env: ${KEY_ENV} }\n`);
    writeFileSync(join(dir, 'nancy.yaml'), `id: nancy\nname: Nancy\nacademyCode: "12"\ngar:\n  projectId: ENT-NANCY\n  structures: all\n  identifierKey: { env: ${KEY_ENV} }\n`);
    process.env[KEY_ENV] = 'a GAR identifier key of at least 32 characters';
    config = configSchema.parse({ tenants: { dir } });
    store = await openSqlStore(`sqlite:${join(dir, 'hub.sqlite')}`);
  });
  afterEach(async () => {
    await store.close();
    delete process.env[KEY_ENV];
    rmSync(dir, { recursive: true, force: true });
  });

  const portsOf = (tenants: TenantDirectory): GarSchoolPorts => ({ store, declaredGar: (id) => tenants.declaredGar(id), changed: (id) => tenants.garSwitched(id) });

  it('applies the switches over the file\'s list, at once on the process where a school was switched', async () => {
    const tenants = await TenantDirectory.open(config, store);
    for (const uai of ['0590001A', '0590002B', '0590003C']) await store.forTenant('lille').structures.upsert({ uai, name: uai });
    expect(tenants.gar('lille')?.settings.structures).to.deep.equal(['0590001A', '0590002B']);
    await switchGarSchool(portsOf(tenants), CLI_OPERATOR, 'lille', '0590001A', false);
    await switchGarSchool(portsOf(tenants), CLI_OPERATOR, 'lille', '0590003C', true);
    const gar = tenants.gar('lille')!;
    expect(gar.settings.structures).to.deep.equal(['0590002B', '0590003C']);
    expect(gar.settings.projectId).to.equal('ENT-TEST');
    expect(gar.identifierKey).to.equal(process.env[KEY_ENV]);
    expect(garProjectIdOf(gar.settings, '0590001A')).to.equal(null);
    expect(garProjectIdOf(gar.settings, '0590003C')).to.equal('ENT-TEST');
    expect(tenants.declaredGar('lille')?.structures).to.deep.equal(['0590001A', '0590002B']);
    // Another process, started now, reads them at start.
    const other = await TenantDirectory.open(config, store);
    expect(other.gar('lille')?.settings.structures).to.deep.equal(['0590002B', '0590003C']);
    // A file saying all keeps all, whatever the switches.
    expect(tenants.gar('nancy')?.settings.structures).to.equal('all');
  });

  it('reads a copy again once it is older than its age limit, in the background, serving the old copy meanwhile', async () => {
    await store.tenants.upsert({ id: 'lille', name: 'Lille', academyCode: '09' });
    let now = 0;
    const copy = new GarSchoolSwitches(store, 1000, () => now);
    await copy.load(['lille']);
    expect([...copy.of('lille')]).to.deep.equal([]);
    await store.forTenant('lille').garSchools.set('0590001A', false);
    now = 999;
    expect([...copy.of('lille')]).to.deep.equal([]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect([...copy.of('lille')]).to.deep.equal([]);
    now = 1001;
    expect([...copy.of('lille')], 'the old copy, while it is read again').to.deep.equal([]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect([...copy.of('lille')]).to.deep.equal([['0590001A', false]]);
    await store.forTenant('lille').garSchools.set('0590001A', true);
    await copy.refresh('lille');
    expect([...copy.of('lille')]).to.deep.equal([['0590001A', true]]);
  });
});
