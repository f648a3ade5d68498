/**
 * The duplicates service (src/provisioning/duplicates.ts) against a real SQLite store: the audit
 * events of each decision with its actor, the grace period of an undo on a moved clock, and the
 * refusals, which write no event.
 */
import { expect } from 'chai';
import type { Actor } from '../../src/identity/actor.js';
import { CLI_OPERATOR } from '../../src/identity/actor.js';
import { DEFAULT_UNDO_GRACE_DAYS, duplicateService } from '../../src/provisioning/duplicates.js';
import { actorLabel } from '../../src/identity/actor.js';
import { Conflict, NotFound } from '../../src/shared/errors.js';
import { DuplicateRefused, type Account, type AuditEvent } from '../../src/storage/ports/index.js';
import { openSqlStore, type SqlStore } from '../../src/storage/sql/index.js';

const ADMIN: Actor = { kind: 'admin', accountId: 'admin-1', clientId: 'hub-admin-console', role: 'tenant-admin', tenantId: 'lille' };
const DAY_MS = 86_400_000;

async function rejected(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => { throw new Error('expected a rejection'); }, (error: unknown) => error);
}

describe('services: duplicate accounts', () => {
  let store: SqlStore;
  let hugo: Account;
  let copy: Account;
  let clock: Date;

  beforeEach(async () => {
    store = await openSqlStore('sqlite::memory:');
    for (const [id, code] of [['lille', '09'], ['amiens', '20']] as const) await store.tenants.upsert({ id, name: id, academyCode: code });
    const lille = store.forTenant('lille');
    hugo = await lille.accounts.create({ login: 'hugo.lefevre', profile: 'Student', firstName: 'Hugo', lastName: 'Lefèvre', birthDate: '2011-04-02', externalId: 'AC-LILLE-1', source: 'AC-LILLE' });
    copy = await lille.accounts.create({ login: 'hugo.lefevre2', profile: 'Student', firstName: 'HUGO', lastName: 'LEFEVRE', birthDate: '2011-04-02', externalId: 'AC-AMIENS-1', source: 'AC-AMIENS', status: 'pending' });
    const school = await lille.structures.upsert({ uai: '0801234A', name: 'Lycée' });
    await lille.memberships.attachToStructure(copy.id, school.id);
    await lille.identities.link(copy.id, 'educonnect', 'fr-educonnect-1');
    clock = new Date();
  });
  afterEach(() => store.close());

  const service = (graceDays?: number) => duplicateService(store, { undoGraceDays: graceDays, now: () => clock });
  const events = async (tenant: string | null): Promise<AuditEvent[]> => (tenant === null ? store.audit : store.forTenant(tenant).audit).list();

  it('offers the pair, merges it and writes who merged what, with the counts and the states before and after', async () => {
    const duplicates = service();
    const page = await duplicates.candidates('lille', {}, { limit: 10 });
    expect(page.items.map((g) => g.members.map((m) => m.account.id).sort())).to.deep.equal([[hugo.id, copy.id].sort()]);

    const record = await duplicates.merge(ADMIN, 'lille', hugo.id, copy.id);
    expect(record.mergedBy).to.equal('admin-1');
    const [event, ...others] = await events('lille');
    expect(others).to.deep.equal([]);
    expect(event).to.include({ type: 'account.merged', accountId: copy.id });
    expect(event!.details).to.deep.equal({
      by: 'admin', admin: 'admin-1', client: 'hub-admin-console', role: 'tenant-admin', adminTenant: 'lille',
      merge: record.id, kept: hugo.id, other: copy.id,
      moved: { identities: 1, structures: 1, groups: 0, parents: 0, children: 0 },
      skipped: { identities: 0, structures: 0, groups: 0, parents: 0, children: 0 },
      before: { status: 'pending', disabledReason: null }, after: { status: 'disabled', disabledReason: 'merged' },
    });
    expect(await events('amiens')).to.deep.equal([]);
    expect(await events(null)).to.deep.equal([]);
    expect((await duplicates.candidates('lille', {}, { limit: 10 })).items).to.deep.equal([]);
    expect((await duplicates.listMerges('lille', { limit: 10 })).items).to.deep.equal([record]);
  });

  it('undoes a merge within the grace period, and writes the undo with the state given back', async () => {
    const record = await service().merge(CLI_OPERATOR, 'lille', hugo.id, copy.id);
    clock = new Date(record.mergedAt.getTime() + (DEFAULT_UNDO_GRACE_DAYS - 1) * DAY_MS);
    const undone = await service().undoMerge(ADMIN, 'lille', record.id);
    expect(undone.undoneBy).to.equal('admin-1');
    expect(await store.forTenant('lille').accounts.get(copy.id)).to.include({ status: 'pending', disabledReason: null });
    const [event] = await events('lille');
    expect(event).to.include({ type: 'account.merge_undone', accountId: copy.id });
    expect(event!.details).to.deep.equal({
      by: 'admin', admin: 'admin-1', client: 'hub-admin-console', role: 'tenant-admin', adminTenant: 'lille',
      merge: record.id, kept: hugo.id, other: copy.id,
      movedBack: { identities: 1, structures: 1, groups: 0, parents: 0, children: 0 },
      before: { status: 'disabled', disabledReason: 'merged' }, after: { status: 'pending', disabledReason: null },
    });
    // A second undo is the store's Conflict, not a grace-period sentence, and writes nothing.
    clock = new Date(record.mergedAt.getTime() + 365 * DAY_MS);
    expect(await rejected(service().undoMerge(ADMIN, 'lille', record.id))).to.be.instanceOf(Conflict);
    expect(await events('lille')).to.have.length(2);
  });

  it('refuses an undo past the grace period with a sentence that says why, and changes nothing', async () => {
    const record = await service().merge(CLI_OPERATOR, 'lille', hugo.id, copy.id);
    clock = new Date(record.mergedAt.getTime() + DEFAULT_UNDO_GRACE_DAYS * DAY_MS + 1);
    const error = await rejected(service().undoMerge(ADMIN, 'lille', record.id));
    expect(error).to.be.instanceOf(DuplicateRefused).and.include({ reason: 'grace_period_over', status: 400, expose: true });
    expect((error as Error).message).to.equal(`this merge can no longer be undone: merges are undone within 30 days, and this one was done on ${record.mergedAt.toISOString().slice(0, 10)}`);
    expect(await store.forTenant('lille').accounts.get(copy.id)).to.include({ status: 'disabled', disabledReason: 'merged' });
    expect((await store.forTenant('lille').duplicates.getMerge(record.id)).undoneAt).to.equal(null);
    expect((await events('lille')).map((e) => e.type)).to.deep.equal(['account.merged']);

    // The period is the service's parameter.
    clock = new Date(record.mergedAt.getTime() + 2 * DAY_MS);
    expect(await rejected(service(1).undoMerge(ADMIN, 'lille', record.id))).to.be.instanceOf(DuplicateRefused);
    await service(3).undoMerge(ADMIN, 'lille', record.id);
    expect(await store.forTenant('lille').accounts.get(copy.id)).to.include({ status: 'pending' });
  });

  it('refuses a merge with itself, of two profiles, of another tenant, or twice, and writes no event', async () => {
    const duplicates = service();
    const lille = store.forTenant('lille');
    const parent = await lille.accounts.create({ login: 'marie.lefevre', profile: 'Relative', firstName: 'Marie', lastName: 'Lefèvre' });
    const elsewhere = await store.forTenant('amiens').accounts.create({ login: 'hugo.lefevre3', profile: 'Student', firstName: 'Hugo', lastName: 'Lefèvre', birthDate: '2011-04-02' });
    expect(await rejected(duplicates.merge(ADMIN, 'lille', hugo.id, hugo.id))).to.be.instanceOf(DuplicateRefused).and.include({ reason: 'same_account' });
    expect(await rejected(duplicates.merge(ADMIN, 'lille', hugo.id, parent.id))).to.be.instanceOf(DuplicateRefused).and.include({ reason: 'different_profiles' });
    expect(await rejected(duplicates.merge(ADMIN, 'lille', hugo.id, elsewhere.id))).to.be.instanceOf(NotFound);
    expect(await rejected(duplicates.merge(ADMIN, 'amiens', elsewhere.id, hugo.id))).to.be.instanceOf(NotFound);
    expect(await rejected(duplicates.undoMerge(ADMIN, 'lille', 'no-such-merge'))).to.be.instanceOf(NotFound);
    expect(await events('lille')).to.deep.equal([]);
    await duplicates.merge(ADMIN, 'lille', hugo.id, copy.id);
    expect(await rejected(duplicates.merge(ADMIN, 'lille', hugo.id, copy.id))).to.be.instanceOf(Conflict).and.include({ field: 'merged' });
    expect((await events('lille')).map((e) => e.type)).to.deep.equal(['account.merged']);
    expect(await events('amiens')).to.deep.equal([]);
  });

  it('marks a pair "not a duplicate" and undoes the mark, each audited with the two accounts', async () => {
    const duplicates = service();
    const nightly: Actor = { kind: 'system', job: 'nightly' };
    const mark = await duplicates.markDistinct(ADMIN, 'lille', copy.id, hugo.id);
    expect(mark.markedBy).to.equal('admin-1');
    expect((await duplicates.candidates('lille', {}, { limit: 10 })).items).to.deep.equal([]);
    const undone = await duplicates.undoDistinct(nightly, 'lille', mark.id);
    expect(undone.undoneBy).to.equal('system:nightly');
    expect((await duplicates.candidates('lille', {}, { limit: 10 })).items).to.have.length(1);
    const pair = [hugo.id, copy.id].sort();
    const [undoEvent, markEvent] = await events('lille');
    expect(markEvent).to.include({ type: 'duplicate.dismissed', accountId: null });
    expect(markEvent!.details).to.deep.equal({ by: 'admin', admin: 'admin-1', client: 'hub-admin-console', role: 'tenant-admin', adminTenant: 'lille', mark: mark.id, accounts: pair });
    expect(undoEvent).to.include({ type: 'duplicate.dismissal_undone', accountId: null });
    expect(undoEvent!.details).to.deep.equal({ by: 'system', job: 'nightly', mark: mark.id, accounts: pair });
    expect(await rejected(duplicates.undoDistinct(ADMIN, 'lille', mark.id))).to.be.instanceOf(Conflict);
    expect(await rejected(duplicates.markDistinct(ADMIN, 'lille', hugo.id, hugo.id))).to.be.instanceOf(DuplicateRefused);
    expect(await events('lille')).to.have.length(2);
    expect((await duplicates.listMarks('lille', { limit: 10 })).items).to.deep.equal([undone]);
  });

  it('names actors in the store as role grants do', () => {
    expect(actorLabel(CLI_OPERATOR)).to.equal('cli');
    expect(actorLabel(ADMIN)).to.equal('admin-1');
    expect(actorLabel({ kind: 'system', job: 'purge' })).to.equal('system:purge');
  });
});
