/**
 * Conformance of the import store: runs and their quarantine, structures and groups (and their
 * dry-run previews), account batches, links, disappearance; tenant isolation included. Every
 * backend of the port runs it; checks of how a backend writes (statements, triggers) stay in
 * that backend's own tests.
 */
import { expect } from 'chai';
import { HubError } from '../../src/shared/errors.js';
import { newId } from '../../src/shared/ids.js';
import type { AccountBatch, AccountCreate, AccountUpdate, ImportCounters } from '../../src/storage/ports/index.js';
import { describeTenantIsolation, ids, rejection, unique, type StoreSuite, type TenantFactory } from './kit.js';

const SOURCE = 'AC-LILLE';
const ZERO: ImportCounters = { read: 0, created: 0, updated: 0, unchanged: 0, merged: 0, disappeared: 0, quarantined: 0 };

const batch = (extra: Partial<AccountBatch>): AccountBatch => ({ creates: [], updates: [], relations: [], replaceParentsOf: [], restated: [], merges: [], supersededRuns: [], runCounters: ZERO, ...extra });

function account(n: number, extra: Partial<AccountCreate> = {}): AccountCreate {
  return {
    id: newId(), dn: `uid=${n},ou=people`, externalId: `LILLE-${n}`, source: SOURCE, profile: n < 10 ? 'Student' : 'Relative',
    firstName: 'A', lastName: `N${n}`, birthDate: null, email: null, academicEmail: null, ine: null, garId: null,
    contentHash: `h${n}`, structureIds: [], groupIds: [], login: unique(`a.n${n}`), activationCodeHash: 'x'.repeat(64), ...extra,
  };
}

/** Runs are ordered by their start: the next one starts in a later millisecond. */
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

const structure = (uai: string, contentHash = 'h1') => ({ dn: `ou=${uai},ou=structures`, externalId: uai, uai, name: `Collège ${uai}`, contentHash });

export const importStoreConformance: StoreSuite = ({ newTenant }) => {
  describeRuns(newTenant);
  describeDirectory(newTenant);
  describeAccounts(newTenant);
  describeIsolation(newTenant);
};

function describeRuns(newTenant: TenantFactory): void {
  describe('import runs', () => {
    it('records a run from start to finish, newest first, and finds the last completed run that wrote', async () => {
      const lille = await newTenant();
      const started = await lille.imports.startRun({ sourceId: SOURCE, mode: 'full', dryRun: false });
      expect(started).to.deep.include({ tenantId: lille.tenantId, sourceId: SOURCE, mode: 'full', dryRun: false, status: 'running', finishedAt: null, highWaterMark: null, error: null });
      expect(started.counters).to.deep.equal(ZERO);
      const counters = { ...ZERO, read: 3, created: 3 };
      const finishedAt = await lille.imports.finishRun(started.id, { status: 'completed', counters, highWaterMark: '20260101000000Z' });
      expect(await lille.imports.getRun(started.id)).to.deep.include({ status: 'completed', finishedAt, highWaterMark: '20260101000000Z', counters });

      await tick();
      const dry = await lille.imports.startRun({ sourceId: SOURCE, mode: 'full', dryRun: true });
      await lille.imports.finishRun(dry.id, { status: 'completed', counters, highWaterMark: '20270101000000Z' });
      await tick();
      const failed = await lille.imports.startRun({ sourceId: SOURCE, mode: 'delta', dryRun: false });
      await lille.imports.finishRun(failed.id, { status: 'failed', highWaterMark: null, error: 'directory lost' });
      expect(await lille.imports.getRun(failed.id)).to.deep.include({ status: 'failed', error: 'directory lost', counters: ZERO });

      expect((await lille.imports.lastCompletedRun(SOURCE))?.id).to.equal(started.id);
      expect((await lille.imports.lastCompletedRun(SOURCE, 'full'))?.id).to.equal(started.id);
      expect(await lille.imports.lastCompletedRun(SOURCE, 'delta')).to.equal(null);
      expect(await lille.imports.lastCompletedRun('AC-AMIENS')).to.equal(null);
      expect(ids(await lille.imports.listRuns())).to.deep.equal([failed.id, dry.id, started.id]);
      expect(ids(await lille.imports.listRuns(1))).to.deep.equal([failed.id]);
      expect(await lille.imports.getRun(newId())).to.equal(null);
    });

    it('marks the source\'s runs still running as failed, and only those', async () => {
      const lille = await newTenant();
      const done = await lille.imports.startRun({ sourceId: SOURCE, mode: 'full', dryRun: false });
      await lille.imports.finishRun(done.id, { status: 'completed', counters: ZERO, highWaterMark: null });
      const dead = await lille.imports.startRun({ sourceId: SOURCE, mode: 'full', dryRun: false });
      const other = await lille.imports.startRun({ sourceId: 'AC-AMIENS', mode: 'full', dryRun: false });
      expect(await lille.imports.abandonStaleRuns(SOURCE)).to.deep.equal([dead.id]);
      expect(await lille.imports.getRun(dead.id)).to.deep.include({ status: 'failed' });
      expect((await lille.imports.getRun(dead.id))?.finishedAt).to.be.instanceOf(Date);
      expect(await lille.imports.getRun(done.id)).to.deep.include({ status: 'completed' });
      expect(await lille.imports.getRun(other.id)).to.deep.include({ status: 'running' });
      expect(await lille.imports.abandonStaleRuns(SOURCE)).to.deep.equal([]);
    });

    it('keeps the quarantine of each run', async () => {
      const lille = await newTenant();
      const [first, second] = [await lille.imports.startRun({ sourceId: SOURCE, mode: 'full', dryRun: false }), await lille.imports.startRun({ sourceId: SOURCE, mode: 'full', dryRun: false })];
      await lille.imports.addQuarantine(first.id, [{ dn: 'uid=1', reason: 'no UAI' }, { dn: 'uid=2', reason: 'bad date' }]);
      await lille.imports.addQuarantine(first.id, []);
      await lille.imports.addQuarantine(second.id, [{ dn: 'uid=3', reason: 'no name' }]);
      const sorted = (rows: Array<{ dn: string; reason: string }>) => [...rows].sort((x, y) => x.dn.localeCompare(y.dn));
      expect(sorted(await lille.imports.listQuarantine(first.id))).to.deep.equal([{ dn: 'uid=1', reason: 'no UAI' }, { dn: 'uid=2', reason: 'bad date' }]);
      expect(await lille.imports.listQuarantine(second.id)).to.deep.equal([{ dn: 'uid=3', reason: 'no name' }]);
    });

    it('pages the runs newest first, by key, filtered by source and status; refuses a cursor it did not give', async () => {
      const lille = await newTenant();
      const started: string[] = [];
      for (const [sourceId, status] of [[SOURCE, 'completed'], ['AC-AMIENS', 'completed'], [SOURCE, 'failed'], [SOURCE, 'completed'], [SOURCE, null]] as const) {
        const run = await lille.imports.startRun({ sourceId, mode: 'full', dryRun: false });
        if (status) await lille.imports.finishRun(run.id, { status, counters: ZERO, highWaterMark: null });
        started.push(run.id);
        await tick();
      }
      const newestFirst = [...started].reverse();
      const all: string[] = [];
      for (let after: string | undefined, pages = 0; ; pages += 1) {
        const page = await lille.imports.pageRuns({}, { limit: 2, ...(after ? { after } : {}) });
        all.push(...ids(page.items));
        expect(page.items.length).to.be.at.most(2);
        if (page.next === null) break;
        after = page.next;
        expect(pages).to.be.below(5);
      }
      expect(all).to.deep.equal(newestFirst);
      const ofSource = await lille.imports.pageRuns({ sourceId: SOURCE }, { limit: 10 });
      expect(ids(ofSource.items)).to.deep.equal(newestFirst.filter((id) => id !== started[1]));
      expect(ofSource.next).to.equal(null);
      const completed = await lille.imports.pageRuns({ sourceId: SOURCE, status: 'completed' }, { limit: 1 });
      expect(ids(completed.items)).to.deep.equal([started[3]]);
      const rest = await lille.imports.pageRuns({ sourceId: SOURCE, status: 'completed' }, { limit: 1, after: completed.next! });
      expect(ids(rest.items)).to.deep.equal([started[0]]);
      expect(rest.next).to.equal(null);
      expect(ids((await lille.imports.pageRuns({ status: 'running' }, { limit: 10 })).items)).to.deep.equal([started[4]]);
      const refused = await rejection(lille.imports.pageRuns({}, { limit: 2, after: 'not-a-cursor' }), HubError);
      expect(refused).to.include({ code: 'invalid_cursor', status: 400 });
    });
  });
}

function describeDirectory(newTenant: TenantFactory): void {
  describe('imported structures and groups', () => {
    it('upserts structures by UAI: created, unchanged while the hash holds, updated when it changes, the id kept', async () => {
      const lille = await newTenant();
      const created = await lille.imports.upsertStructures([structure('0590001A'), structure('0590002B')]);
      expect(created).to.deep.include({ created: 2, updated: 0, unchanged: 0 });
      expect(created.idsByDn.get('ou=0590001A,ou=structures')).to.equal(created.ids[0]);
      const again = await lille.imports.upsertStructures([structure('0590001A'), { ...structure('0590002B', 'h2'), name: 'Lycée' }]);
      expect(again).to.deep.include({ created: 0, updated: 1, unchanged: 1 });
      expect(again.ids).to.deep.equal(created.ids);
      expect((await lille.structures.findByUai('0590002B'))?.name).to.equal('Lycée');
      expect(await lille.imports.structureIdsByDn()).to.deep.equal(new Map([['ou=0590001A,ou=structures', created.ids[0]], ['ou=0590002B,ou=structures', created.ids[1]]]));
    });

    it('previews a structure upsert with the same outcome, writing nothing', async () => {
      const lille = await newTenant();
      const [existing] = (await lille.imports.upsertStructures([structure('0590001A')])).ids;
      const items = [{ ...structure('0590001A', 'h2'), name: 'Renamed' }, structure('0590003C')];
      const preview = await lille.imports.previewStructures(items);
      expect(preview).to.deep.include({ created: 1, updated: 1, unchanged: 0 });
      expect(preview.ids[0]).to.equal(existing);
      expect(preview.idsByDn.get('ou=0590003C,ou=structures')).to.equal(preview.ids[1]);
      expect((await lille.structures.findByUai('0590001A'))?.name).to.equal('Collège 0590001A');
      expect(await lille.structures.findByUai('0590003C')).to.equal(null);
      expect([...(await lille.imports.structureIdsByDn()).values()]).to.deep.equal([existing]);
      expect(await lille.imports.upsertStructures(items)).to.deep.include({ created: 1, updated: 1, unchanged: 0 });
    });

    it('upserts groups by structure, kind and code, and previews them writing nothing', async () => {
      const lille = await newTenant();
      const [school] = (await lille.imports.upsertStructures([structure('0590001A')])).ids as [string];
      const klass = { dn: 'cn=3A,ou=groups', structureId: school, kind: 'class' as const, code: '3A', name: '3e A', contentHash: 'g1' };
      const referenced = { dn: null, structureId: school, kind: 'class' as const, code: '3B', name: '3B', contentHash: 'g2' };
      const preview = await lille.imports.previewGroups([klass, referenced]);
      expect(preview).to.deep.include({ created: 2, updated: 0, unchanged: 0 });
      expect(await lille.imports.groupIdsByKey()).to.deep.equal(new Map());
      const created = await lille.imports.upsertGroups([klass, referenced]);
      expect(created).to.deep.include({ created: 2, updated: 0, unchanged: 0 });
      expect([...created.idsByDn.keys()]).to.deep.equal(['cn=3A,ou=groups']);
      expect(await lille.imports.groupIdsByKey()).to.deep.equal(new Map([[`${school}|class|3A`, created.ids[0]], [`${school}|class|3B`, created.ids[1]]]));
      const renamed = { ...klass, name: '3e A bis', contentHash: 'g3' };
      expect(await lille.imports.previewGroups([renamed, referenced])).to.deep.include({ created: 0, updated: 1, unchanged: 1, ids: created.ids });
      expect((await lille.groups.listByStructure(school)).map((g) => g.name).sort()).to.deep.equal(['3B', '3e A']);
      expect(await lille.imports.upsertGroups([renamed, referenced])).to.deep.include({ created: 0, updated: 1, unchanged: 1, ids: created.ids });
      expect((await lille.groups.listByStructure(school)).map((g) => g.name).sort()).to.deep.equal(['3B', '3e A bis']);
    });
  });
}

function describeAccounts(newTenant: TenantFactory): void {
  describe('imported accounts', () => {
    it('writes a batch: pending accounts with their memberships, updated parts, merges, and the run\'s counters', async () => {
      const lille = await newTenant();
      const run = await lille.imports.startRun({ sourceId: SOURCE, mode: 'full', dryRun: false });
      const [school, other] = (await lille.imports.upsertStructures([structure('0590001A'), structure('0590002B')])).ids as [string, string];
      const pupil = account(1, { ine: '123456789AB', birthDate: '2010-05-04', structureIds: [school] });
      await lille.imports.applyAccounts(run.id, batch({ creates: [pupil, account(2)], runCounters: { ...ZERO, read: 2, created: 2 } }));
      expect(await lille.accounts.get(pupil.id)).to.deep.include({ login: pupil.login, status: 'pending', externalId: 'LILLE-1', displayName: 'A N1', source: SOURCE, activationCodeHash: pupil.activationCodeHash });
      expect(ids(await lille.memberships.structuresOf(pupil.id))).to.deep.equal([school]);
      expect((await lille.imports.getRun(run.id))?.counters).to.deep.equal({ ...ZERO, read: 2, created: 2 });

      const found = await lille.imports.findAccounts({ externalIds: ['LILLE-2', 'LILLE-404'], ines: ['123456789AB'] });
      expect(found.map((a) => a.externalId).sort()).to.deep.equal(['LILLE-1', 'LILLE-2']);
      expect(found.find((a) => a.id === pupil.id)).to.deep.equal({ id: pupil.id, externalId: 'LILLE-1', ine: '123456789AB', birthDate: '2010-05-04', login: pupil.login, status: 'pending', contentHash: 'h1' });

      // Names changed, memberships not: they stay as they were.
      const renamed: AccountUpdate = { ...pupil, lastName: 'Martin', structureIds: [other], contentHash: 'h1b', changes: { keys: false, fields: true, memberships: false } };
      await lille.imports.applyAccounts(run.id, batch({ updates: [renamed], merges: [{ accountId: pupil.id, structureIds: [other], groupIds: [] }] }));
      expect(await lille.accounts.get(pupil.id)).to.deep.include({ lastName: 'Martin', displayName: 'A Martin' });
      expect((await lille.imports.findAccounts({ externalIds: ['LILLE-1'], ines: [] }))[0]?.contentHash).to.equal('h1b');
      // The merge added the second structure, removing nothing.
      expect(ids(await lille.memberships.structuresOf(pupil.id)).sort()).to.deep.equal([school, other].sort());
    });

    it('tells the logins taken platform-wide among a base and its numbered variants', async () => {
      const [lille, amiens] = [await newTenant(), await newTenant()];
      const base = unique('jean.dupont');
      const run = await amiens.imports.startRun({ sourceId: 'AC-AMIENS', mode: 'full', dryRun: false });
      await amiens.imports.applyAccounts(run.id, batch({ creates: [account(1, { login: base }), account(2, { login: `${base}2` }), account(3, { login: `${base}x` })] }));
      expect([...(await lille.imports.takenLogins([base, unique('marie.curie')]))].sort()).to.deep.equal([base, `${base}2`]);
    });

    it('hands a stopped run\'s pending links to the next run, minus those it states anew or whose account is gone', async () => {
      const lille = await newTenant();
      // Three pupils, each naming a parent; the first run stops before linking.
      const [p1, p2, p3, parent, other] = [account(1), account(2), account(3), account(11), account(12)];
      const stopped = await lille.imports.startRun({ sourceId: 'AC-LILLE', mode: 'full', dryRun: false });
      const names = (child: { id: string }, parentId: string) => ({ accountId: child.id, side: 'child' as const, other: { externalId: parentId } });
      await lille.imports.applyAccounts(stopped.id, batch({ creates: [p1, p2, p3, parent, other], relations: [names(p1, 'LILLE-11'), names(p2, 'LILLE-11'), names(p3, 'LILLE-11')] }));
      await lille.imports.finishRun(stopped.id, { status: 'failed', highWaterMark: null, error: 'stopped' });
      await lille.accounts.delete(p3.id);

      const next = await lille.imports.startRun({ sourceId: 'AC-LILLE', mode: 'full', dryRun: false });
      const leftover = await lille.imports.leftoverRelationRuns('AC-LILLE');
      expect(leftover).to.deep.equal([stopped.id]);
      // The next run states the second pupil's links anew: another parent replaces the first.
      await lille.imports.applyAccounts(next.id, batch({ relations: [names(p2, 'LILLE-12')], restated: [p2.id], replaceParentsOf: [p2.id], supersededRuns: leftover }));
      await lille.imports.adoptPendingRelations(leftover, next.id);
      expect(await lille.imports.resolveRelations(next.id)).to.deep.equal({ linked: 2, unresolved: 0 });
      expect((await lille.relations.parentsOf(p1.id)).map((a) => a.externalId)).to.deep.equal(['LILLE-11']);
      expect((await lille.relations.parentsOf(p2.id)).map((a) => a.externalId)).to.deep.equal(['LILLE-12']);
      await lille.imports.cleanupRun(next.id);
      expect(await lille.imports.leftoverRelationRuns('AC-LILLE')).to.deep.equal([]);
    });

    it('links by external id or DN, either side, and counts the links that name nobody', async () => {
      const lille = await newTenant();
      const run = await lille.imports.startRun({ sourceId: SOURCE, mode: 'full', dryRun: false });
      const [child, mother, father] = [account(1), account(11), account(12)];
      await lille.imports.applyAccounts(run.id, batch({
        creates: [child, mother, father],
        relations: [
          { accountId: child.id, side: 'child', other: { externalId: 'LILLE-11' } },
          { accountId: mother.id, side: 'parent', other: { dn: child.dn } },
          { accountId: father.id, side: 'parent', other: { externalId: 'LILLE-1' } },
          { accountId: child.id, side: 'child', other: { externalId: 'LILLE-404' } },
        ],
      }));
      expect(await lille.imports.resolveRelations(run.id)).to.deep.equal({ linked: 2, unresolved: 1 });
      expect(ids(await lille.relations.parentsOf(child.id)).sort()).to.deep.equal([mother.id, father.id].sort());
    });

    it('pages the source\'s live accounts, marks the unseen disappeared, brings them back, and purges the long gone', async () => {
      const lille = await newTenant();
      const run = await lille.imports.startRun({ sourceId: SOURCE, mode: 'full', dryRun: false });
      const people = [account(1), account(2), account(3)];
      const local = account(4, { source: 'local' });
      await lille.imports.applyAccounts(run.id, batch({ creates: [...people, local] }));
      const first = await lille.imports.liveAccountsOfSource(SOURCE, null, 2);
      const rest = await lille.imports.liveAccountsOfSource(SOURCE, first[first.length - 1]!.id, 2);
      expect([...first, ...rest].map((a) => a.externalId).sort()).to.deep.equal(['LILLE-1', 'LILLE-2', 'LILLE-3']);
      expect(first).to.have.length(2);

      const at = new Date();
      expect(await lille.imports.markDisappeared([people[0]!.id, people[1]!.id], at)).to.equal(2);
      expect(await lille.imports.markDisappeared([people[0]!.id], at)).to.equal(0);
      expect(await lille.accounts.get(people[0]!.id)).to.deep.include({ status: 'disappeared' });
      expect((await lille.imports.liveAccountsOfSource(SOURCE, null, 10)).map((a) => a.id)).to.deep.equal([people[2]!.id]);

      // Seen again: live again.
      await lille.imports.applyAccounts(run.id, batch({ updates: [{ ...people[1]!, contentHash: 'h2b', changes: { keys: false, fields: true, memberships: false } }] }));
      expect((await lille.accounts.get(people[1]!.id)).status).to.not.equal('disappeared');
      expect(await lille.imports.purgeDisappeared(new Date(at.getTime() - 60_000))).to.equal(0);
      expect(await lille.imports.purgeDisappeared(new Date(at.getTime() + 60_000))).to.equal(1);
      expect(await lille.imports.findAccounts({ externalIds: ['LILLE-1', 'LILLE-2', 'LILLE-3'], ines: [] })).to.have.length(2);
    });
  });
}

function describeIsolation(newTenant: TenantFactory): void {
  describeTenantIsolation(newTenant, (t) => {
    it('imports: cannot see another tenant\'s runs or quarantine, nor finish or abandon its runs', async () => {
      const run = await t.b.imports.startRun({ sourceId: SOURCE, mode: 'full', dryRun: false });
      await t.b.imports.addQuarantine(run.id, [{ dn: 'uid=1', reason: 'no UAI' }]);
      expect(await t.a.imports.getRun(run.id)).to.equal(null);
      expect(await t.a.imports.listRuns()).to.deep.equal([]);
      expect(await t.a.imports.pageRuns({}, { limit: 10 })).to.deep.equal({ items: [], next: null });
      expect(await t.a.imports.listQuarantine(run.id)).to.deep.equal([]);
      expect(await t.a.imports.abandonStaleRuns(SOURCE)).to.deep.equal([]);
      await t.a.imports.finishRun(run.id, { status: 'failed', highWaterMark: null, error: 'hijacked' });
      expect(await t.b.imports.getRun(run.id)).to.deep.include({ status: 'running', error: null });
      await t.b.imports.finishRun(run.id, { status: 'completed', counters: ZERO, highWaterMark: '20260101000000Z' });
      expect(await t.a.imports.lastCompletedRun(SOURCE)).to.equal(null);
    });

    it('imports: upserts and lookups see only the tenant\'s own structures, groups and accounts', async () => {
      expect(await t.a.imports.structureIdsByDn()).to.deep.equal(new Map());
      expect(await t.a.imports.groupIdsByKey()).to.deep.equal(new Map());
      // The same UAI in A is A's own structure, not B's.
      const own = await t.a.imports.upsertStructures([{ ...structure(t.theirs.school.uai), name: 'Hacked' }]);
      expect(own).to.deep.include({ created: 1 });
      expect(own.ids[0]).to.not.equal(t.theirs.school.id);
      expect(await t.b.structures.list()).to.deep.equal([t.theirs.school]);
      expect(await t.a.imports.findAccounts({ externalIds: [t.theirs.parent.externalId!], ines: [] })).to.deep.equal([]);
      expect(await t.a.imports.liveAccountsOfSource('local', null, 10)).to.deep.equal([{ id: t.mine.id, externalId: null }]);
    });

    it('imports: cannot mark disappeared or purge another tenant\'s accounts', async () => {
      const at = new Date();
      expect(await t.a.imports.markDisappeared([t.theirs.child.id, t.theirs.parent.id], at)).to.equal(0);
      expect(await t.b.accounts.get(t.theirs.child.id)).to.deep.equal(t.theirs.child);
      await t.b.imports.markDisappeared([t.theirs.child.id], at);
      expect(await t.a.imports.purgeDisappeared(new Date(at.getTime() + 60_000))).to.equal(0);
      expect((await t.b.accounts.get(t.theirs.child.id)).status).to.equal('disappeared');
    });
  });
}
