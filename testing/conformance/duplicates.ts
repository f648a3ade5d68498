/**
 * Conformance of the duplicates store: which accounts are offered as likely duplicates, merges
 * and their exact undo, "not a duplicate" marks, pagination and tenant isolation. Every backend
 * of the port runs it.
 */
import { expect } from 'chai';
import { Conflict, HubError, NotFound } from '../../src/shared/errors.js';
import { newId } from '../../src/shared/ids.js';
import {
  DuplicateRefused, type Account, type DuplicateGroup, type KeysetResult, type MergeLinks, type NewAccount, type TenantScope,
} from '../../src/storage/ports/index.js';
import { describeTenantIsolation, ids, person, rejection, unique, type StoreSuite, type TenantFactory } from './kit.js';

export const duplicateStoreConformance: StoreSuite = ({ newTenant }) => {
  describeCandidates(newTenant);
  describePagination(newTenant);
  describeMerge(newTenant);
  describeMarks(newTenant);
  describeDuplicatesIsolation(newTenant);
};

/** An imported (or, with `externalId: null`, local) account of a person. */
function someone(first: string, last: string, birthDate: string | null, externalId: string | null, overrides: Partial<NewAccount> = {}): NewAccount {
  return person({
    firstName: first, lastName: last, birthDate, externalId,
    source: externalId === null ? 'local' : externalId.slice(0, externalId.lastIndexOf('-')),
    ...overrides,
  });
}

/** Every group of every page, as the names of its members. */
async function allGroups(scope: TenantScope, filters: { structureIds?: readonly string[] } = {}, limit = 50): Promise<DuplicateGroup[]> {
  const groups: DuplicateGroup[] = [];
  let after: string | undefined;
  for (let pages = 0; pages < 100; pages += 1) {
    const page: KeysetResult<DuplicateGroup> = await scope.duplicates.candidates(filters, { limit, after });
    groups.push(...page.items);
    if (page.next === null) return groups;
    after = page.next;
  }
  throw new Error('more than 100 pages');
}

/** Each group's members, as a sorted list of ids (their order is checked on its own). */
const memberIds = (groups: DuplicateGroup[]): string[][] => groups.map((g) => g.members.map((m) => m.account.id).sort());
const sorted = (list: string[]): string[] => [...list].sort();
/** Oldest first; accounts created within the same millisecond, by id. */
const oldestFirst = (accounts: Account[]): Account[] =>
  [...accounts].sort((x, y) => x.createdAt.getTime() - y.createdAt.getTime() || (x.id < y.id ? -1 : 1));

const EMPTY: MergeLinks = { identities: [], structures: [], groups: [], parents: [], children: [] };

function describeCandidates(newTenant: TenantFactory): void {
  describe('duplicate candidates', () => {
    it('finds one person imported from two académies, whatever the case and accents, and a local copy', async () => {
      const t = await newTenant();
      const lille = await t.accounts.create(someone('Hugo', 'Lefèvre', '2011-04-02', unique('AC-LILLE')));
      const amiens = await t.accounts.create(someone('HUGO', 'LEFEVRE', '2011-04-02', unique('AC-AMIENS')));
      const local = await t.accounts.create(someone('hugo', 'lefevre', '2011-04-02', null));
      const school = await t.structures.upsert({ uai: '0801234A', name: 'Collège Jules Verne' });
      await t.memberships.attachToStructure(amiens.id, school.id);
      // Someone else: another first name, another birth date.
      await t.accounts.create(someone('Léa', 'Lefèvre', '2011-04-02', unique('AC-LILLE')));
      await t.accounts.create(someone('Hugo', 'Lefèvre', '2012-04-02', unique('AC-AMIENS')));

      const page = await t.duplicates.candidates({}, { limit: 10 });
      expect(page.next).to.equal(null);
      expect(page.items).to.have.length(1);
      const [group] = page.items;
      expect(group!.birthDate).to.equal('2011-04-02');
      expect(group!.key).to.be.a('string').and.not.equal('');
      expect(group!.marks).to.deep.equal([]);
      // Oldest first, each with its schools.
      expect(group!.members.map((m) => m.account)).to.deep.equal(oldestFirst([lille, amiens, local]));
      expect(group!.members.map((m) => m.structures)).to.deep.equal(group!.members.map((m) => (m.account.id === amiens.id ? [school] : [])));
    });

    it('folds hyphens, apostrophes, ligatures and capital accents', async () => {
      const t = await newTenant();
      const pairs: [string, string, string, string][] = [
        ['Jean-Marie', 'D\'Hérouville', 'JEAN MARIE', 'D HEROUVILLE'],
        ['Zoé', 'Cœur', 'ZOE', 'COEUR'],
        ['Éléonore', 'Lætitia', 'eleonore', 'laetitia'],
        ['Maëlys', 'N’Diaye', 'MAELYS', 'N DIAYE'],
      ];
      const expected: string[][] = [];
      for (const [i, [first, last, otherFirst, otherLast]] of pairs.entries()) {
        const birth = `2010-01-0${i + 1}`;
        const a = await t.accounts.create(someone(first, last, birth, unique('AC-LILLE')));
        const b = await t.accounts.create(someone(otherFirst, otherLast, birth, unique('AC-AMIENS')));
        expected.push(sorted([a.id, b.id]));
      }
      const found = memberIds(await allGroups(t));
      expect(found).to.have.length(pairs.length);
      expect(found).to.have.deep.members(expected);
    });

    it('does not offer accounts with other birth dates, no birth date, or the same (missing) external id', async () => {
      const t = await newTenant();
      await t.accounts.create(someone('Hugo', 'Lefèvre', '2011-04-02', unique('AC-LILLE')));
      await t.accounts.create(someone('Hugo', 'Lefèvre', '2011-04-03', unique('AC-AMIENS')));
      await t.accounts.create(someone('Léa', 'Martin', null, unique('AC-LILLE')));
      await t.accounts.create(someone('Léa', 'Martin', null, unique('AC-AMIENS')));
      // Two local accounts: external ids are unique in a tenant, so "the same" is "none" twice.
      await t.accounts.create(someone('Tom', 'Petit', '2010-05-05', null));
      await t.accounts.create(someone('Tom', 'Petit', '2010-05-05', null));
      await t.accounts.create(someone('Inès', 'Roux', '2010-05-05', unique('AC-LILLE')));
      await t.accounts.create(someone('Inès', 'Rousse', '2010-05-05', unique('AC-AMIENS')));
      expect(await allGroups(t)).to.deep.equal([]);
      // A third Tom Petit, imported, makes two pairs of different sources.
      const imported = await t.accounts.create(someone('TOM', 'PETIT', '2010-05-05', unique('AC-LILLE')));
      const [group] = await allGroups(t);
      expect(group!.members.map((m) => m.account.id)).to.include(imported.id).and.have.length(3);
    });

    it('leaves out pairs marked "not a duplicate", and offers them again once the mark is undone', async () => {
      const t = await newTenant();
      const a = await t.accounts.create(someone('Hugo', 'Lefèvre', '2011-04-02', unique('AC-LILLE')));
      const b = await t.accounts.create(someone('HUGO', 'LEFEVRE', '2011-04-02', unique('AC-AMIENS')));
      const mark = await t.duplicates.markDistinct(b.id, a.id, 'cli');
      expect(await allGroups(t)).to.deep.equal([]);

      // A third account: two pairs are still open, the marked one is shown as such.
      const c = await t.accounts.create(someone('Hugo', 'Lefevre', '2011-04-02', null));
      const [group] = await allGroups(t);
      expect(memberIds([group!])).to.deep.equal([sorted([a.id, b.id, c.id])]);
      expect(group!.marks).to.deep.equal([mark]);
      // Every pair marked: nothing left to offer.
      await t.duplicates.markDistinct(a.id, c.id, 'cli');
      expect(memberIds(await allGroups(t))).to.deep.equal([sorted([b.id, c.id])]);
      await t.duplicates.markDistinct(c.id, b.id, 'cli');
      expect(await allGroups(t)).to.deep.equal([]);

      await t.duplicates.undoDistinct(mark.id, 'cli');
      const [again] = await allGroups(t);
      expect(memberIds([again!])).to.deep.equal([sorted([a.id, b.id])]);
      expect(again!.marks.map((m) => m.accountIds)).to.have.deep.members([[a.id, c.id].sort(), [b.id, c.id].sort()]);
    });

    it('leaves out accounts merged into another', async () => {
      const t = await newTenant();
      const a = await t.accounts.create(someone('Hugo', 'Lefèvre', '2011-04-02', unique('AC-LILLE')));
      const b = await t.accounts.create(someone('HUGO', 'LEFEVRE', '2011-04-02', unique('AC-AMIENS')));
      const c = await t.accounts.create(someone('Hugo', 'Lefevre', '2011-04-02', null));
      await t.duplicates.merge(a.id, b.id, 'cli');
      expect(memberIds(await allGroups(t))).to.deep.equal([sorted([a.id, c.id])]);
      const last = await t.duplicates.merge(a.id, c.id, 'cli');
      expect(await allGroups(t)).to.deep.equal([]);
      // A blocked account is still a candidate: only a merge takes it out.
      await t.duplicates.undoMerge(last.id, 'cli');
      await t.accounts.update(c.id, { status: 'disabled', disabledReason: 'blocked' });
      expect(memberIds(await allGroups(t))).to.deep.equal([sorted([a.id, c.id])]);
    });

    it('limits to groups with an account in the given structures', async () => {
      const t = await newTenant();
      const [college, lycee, other] = [
        await t.structures.upsert({ uai: '0590001A', name: 'Collège' }),
        await t.structures.upsert({ uai: '0590002B', name: 'Lycée' }),
        await t.structures.upsert({ uai: '0590003C', name: 'Autre' }),
      ];
      const pair = async (first: string, structureId: string | null) => {
        const x = await t.accounts.create(someone(first, 'Durand', '2009-09-09', unique('AC-LILLE')));
        const y = await t.accounts.create(someone(first.toUpperCase(), 'DURAND', '2009-09-09', unique('AC-AMIENS')));
        if (structureId) await t.memberships.attachToStructure(y.id, structureId);
        return sorted([x.id, y.id]);
      };
      const inCollege = await pair('Anna', college.id);
      const inLycee = await pair('Bruno', lycee.id);
      const nowhere = await pair('Chloe', null);
      expect(memberIds(await allGroups(t))).to.deep.equal([inCollege, inLycee, nowhere]);
      expect(memberIds(await allGroups(t, { structureIds: [college.id] }))).to.deep.equal([inCollege]);
      expect(memberIds(await allGroups(t, { structureIds: [lycee.id, college.id] }))).to.deep.equal([inCollege, inLycee]);
      expect(await allGroups(t, { structureIds: [other.id] })).to.deep.equal([]);
      expect(await allGroups(t, { structureIds: [] })).to.deep.equal([]);
      expect(await allGroups(t, { structureIds: [newId()] })).to.deep.equal([]);
      // The structure's account merged away (or marked apart from all the others): not the structure's group any more.
      await t.duplicates.merge(inCollege[0]!, inCollege[1]!, 'cli');
      expect(await allGroups(t, { structureIds: [college.id] })).to.deep.equal([]);
      await t.duplicates.markDistinct(inLycee[0]!, inLycee[1]!, 'cli');
      expect(await allGroups(t, { structureIds: [lycee.id] })).to.deep.equal([]);
    });
  });
}

function describePagination(newTenant: TenantFactory): void {
  describe('duplicate candidates: pages', () => {
    it('pages through the groups in name order, each once, with full pages despite marks', async () => {
      const t = await newTenant();
      const names = ['Ambre', 'Basile', 'Céleste', 'Diane', 'Émile', 'Fanny', 'Gaspard'];
      const byName = new Map<string, string[]>();
      // Created in reverse order: the pages follow the names, not the creation.
      for (const first of [...names].reverse()) {
        const a = await t.accounts.create(someone(first, 'Moreau', '2008-08-08', unique('AC-LILLE')));
        const b = await t.accounts.create(someone(first.toUpperCase(), 'MOREAU', '2008-08-08', unique('AC-AMIENS')));
        byName.set(first, sorted([a.id, b.id]));
      }
      const expected = names.map((n) => byName.get(n)!);
      const sizes: number[] = [];
      const seen: string[][] = [];
      let after: string | undefined;
      do {
        const page = await t.duplicates.candidates({}, { limit: 3, after });
        sizes.push(page.items.length);
        seen.push(...memberIds(page.items));
        after = page.next ?? undefined;
      } while (after);
      expect(sizes).to.deep.equal([3, 3, 1]);
      expect(seen).to.deep.equal(expected);

      // Basile and Céleste marked apart: the first page reaches further to stay full.
      await t.duplicates.markDistinct(...(byName.get('Basile') as [string, string]), 'cli');
      await t.duplicates.markDistinct(...(byName.get('Céleste') as [string, string]), 'cli');
      const first = await t.duplicates.candidates({}, { limit: 3 });
      expect(memberIds(first.items)).to.deep.equal(['Ambre', 'Diane', 'Émile'].map((n) => byName.get(n)));
      const second = await t.duplicates.candidates({}, { limit: 3, after: first.next! });
      expect(memberIds(second.items)).to.deep.equal(['Fanny', 'Gaspard'].map((n) => byName.get(n)));
      expect(second.next).to.equal(null);
      // A page that ends exactly on the last group says there is no next one.
      const exact = await t.duplicates.candidates({}, { limit: 5 });
      expect(exact.items).to.have.length(5);
      expect(exact.next).to.equal(null);
    });

    it('refuses a cursor it did not give', async () => {
      const t = await newTenant();
      for (const after of ['not a cursor', Buffer.from('["a","b"]').toString('base64url'), Buffer.from('{}').toString('base64url')]) {
        const error = await rejection(t.duplicates.candidates({}, { limit: 10, after }), HubError);
        expect(error.status).to.equal(400);
      }
    });
  });
}

/** Everything a merge may touch about an account, to compare before and after. */
async function snapshot(t: TenantScope, account: Account) {
  const { updatedAt: _updated, ...fields } = await t.accounts.get(account.id);
  return {
    fields,
    identities: await t.identities.listForAccount(account.id),
    structures: ids(await t.memberships.structuresOf(account.id)),
    groups: ids(await t.memberships.groupsOf(account.id)),
    parents: ids(await t.relations.parentsOf(account.id)),
    children: ids(await t.relations.childrenOf(account.id)),
  };
}

/** Two pupils (one person imported twice) and everything around them. */
async function pupilsWithLinks(t: TenantScope) {
  const kept = await t.accounts.create(someone('Hugo', 'Lefèvre', '2011-04-02', unique('AC-LILLE'), { status: 'active' }));
  const other = await t.accounts.create(someone('HUGO', 'LEFEVRE', '2011-04-02', unique('AC-AMIENS'), { status: 'pending' }));
  const [college, lycee] = [await t.structures.upsert({ uai: '0590001A', name: 'Collège' }), await t.structures.upsert({ uai: '0801234A', name: 'Lycée' })];
  const [klass, latin] = [
    await t.groups.upsert({ structureId: college.id, kind: 'class', code: '3A', name: '3e A' }),
    await t.groups.upsert({ structureId: lycee.id, kind: 'group', code: 'LAT', name: 'Latin' }),
  ];
  const [mother, father] = [await t.accounts.create(person({ profile: 'Relative' })), await t.accounts.create(person({ profile: 'Relative' }))];
  await t.memberships.attachToStructure(kept.id, college.id);
  await t.memberships.addToGroup(kept.id, klass.id);
  await t.relations.link(mother.id, kept.id);
  await t.identities.link(kept.id, 'educonnect', unique('sub'));
  // The other: the same college and class (already the kept one's), a lycée and its group, both parents, two identities.
  await t.memberships.attachToStructure(other.id, college.id);
  await t.memberships.attachToStructure(other.id, lycee.id);
  await t.memberships.addToGroup(other.id, klass.id);
  await t.memberships.addToGroup(other.id, latin.id);
  await t.relations.link(mother.id, other.id);
  await t.relations.link(father.id, other.id);
  const identities = [await t.identities.link(other.id, 'educonnect', unique('sub')), await t.identities.link(other.id, 'academie-saml', unique('sub'))];
  return { kept, other, college, lycee, klass, latin, mother, father, identities };
}

function describeMerge(newTenant: TenantFactory): void {
  describe('merges', () => {
    it('moves identities, memberships and relations to the kept account, and undo gives back exactly what was', async () => {
      const t = await newTenant();
      const w = await pupilsWithLinks(t);
      const everyone = [w.kept, w.other, w.mother, w.father];
      const before = await Promise.all(everyone.map((a) => snapshot(t, a)));

      const record = await t.duplicates.merge(w.kept.id, w.other.id, 'helpdesk-1');
      expect(record).to.include({ tenantId: t.tenantId, keptId: w.kept.id, otherId: w.other.id, mergedBy: 'helpdesk-1', undoneAt: null, undoneBy: null });
      expect(record.moved).to.deep.equal({
        identities: ids(w.identities).sort(), structures: [w.lycee.id], groups: [w.latin.id], parents: [w.father.id], children: [],
      });
      expect(record.skipped).to.deep.equal({ identities: [], structures: [w.college.id], groups: [w.klass.id], parents: [w.mother.id], children: [] });
      expect(record.otherBefore).to.deep.equal({ status: 'pending', disabledReason: null });
      expect(Math.abs(record.mergedAt.getTime() - Date.now())).to.be.below(60_000);
      expect(await t.duplicates.getMerge(record.id)).to.deep.equal(record);

      const kept = await snapshot(t, w.kept);
      expect(kept.fields).to.deep.equal(before[0]!.fields);
      expect(ids(kept.identities)).to.have.members([...ids(before[0]!.identities), ...ids(w.identities)]);
      // Identities keep their id and creation date: only their account changes.
      expect(kept.identities.filter((i) => ids(w.identities).includes(i.id))).to.have.deep.members(w.identities.map((i) => ({ ...i, accountId: w.kept.id })));
      expect(kept.structures).to.have.members([w.college.id, w.lycee.id]);
      expect(kept.groups).to.have.members([w.klass.id, w.latin.id]);
      expect(kept.parents).to.have.members([w.mother.id, w.father.id]);
      const other = await snapshot(t, w.other);
      expect(other.fields).to.deep.equal({ ...before[1]!.fields, status: 'disabled', disabledReason: 'merged' });
      expect(other).to.deep.include({ identities: [], structures: [w.college.id], groups: [w.klass.id], parents: [w.mother.id], children: [] });

      const undone = await t.duplicates.undoMerge(record.id, 'helpdesk-2');
      expect(undone).to.deep.equal({ ...record, undoneAt: undone.undoneAt, undoneBy: 'helpdesk-2' });
      expect(undone.undoneAt).to.be.instanceOf(Date);
      expect(await Promise.all(everyone.map((a) => snapshot(t, a)))).to.deep.equal(before);
      expect(await t.duplicates.getMerge(record.id)).to.deep.equal(undone);

      await rejection(t.duplicates.undoMerge(record.id, 'helpdesk-2'), Conflict);
      expect(await Promise.all(everyone.map((a) => snapshot(t, a)))).to.deep.equal(before);
    });

    it('moves children, never links the kept account to itself, and undoes that too', async () => {
      const t = await newTenant();
      const kept = await t.accounts.create(someone('Marie', 'Dubois', '1980-01-01', null, { profile: 'Relative' }));
      const other = await t.accounts.create(someone('MARIE', 'DUBOIS', '1980-01-01', unique('AC-LILLE'), { profile: 'Relative' }));
      const [lea, tom] = [await t.accounts.create(person()), await t.accounts.create(person())];
      await t.relations.link(kept.id, lea.id);
      await t.relations.link(other.id, lea.id);
      await t.relations.link(other.id, tom.id);
      // Odd but possible data: each is the other's parent. The kept one cannot become its own.
      await t.relations.link(other.id, kept.id);
      await t.relations.link(kept.id, other.id);
      const everyone = [kept, other, lea, tom];
      const before = await Promise.all(everyone.map((a) => snapshot(t, a)));

      const record = await t.duplicates.merge(kept.id, other.id, 'cli');
      expect(record.moved).to.deep.equal({ ...EMPTY, children: [tom.id] });
      expect(record.skipped).to.deep.equal({ ...EMPTY, parents: [kept.id], children: [kept.id, lea.id].sort() });
      expect(ids(await t.relations.childrenOf(kept.id))).to.have.members([lea.id, tom.id, other.id]);
      expect(ids(await t.relations.parentsOf(kept.id))).to.deep.equal([other.id]);

      await t.duplicates.undoMerge(record.id, 'cli');
      expect(await Promise.all(everyone.map((a) => snapshot(t, a)))).to.deep.equal(before);
    });

    it('gives back a blocked account\'s status and reason, and leaves one the import marked disappeared since', async () => {
      const t = await newTenant();
      const kept = await t.accounts.create(someone('Hugo', 'Lefèvre', '2011-04-02', unique('AC-LILLE')));
      const blocked = await t.accounts.create(someone('HUGO', 'LEFEVRE', '2011-04-02', unique('AC-AMIENS'), { status: 'disabled' }));
      await t.accounts.update(blocked.id, { disabledReason: 'blocked' });
      const first = await t.duplicates.merge(kept.id, blocked.id, 'cli');
      expect(first.otherBefore).to.deep.equal({ status: 'disabled', disabledReason: 'blocked' });
      await t.duplicates.undoMerge(first.id, 'cli');
      expect(await t.accounts.get(blocked.id)).to.include({ status: 'disabled', disabledReason: 'blocked' });

      const gone = await t.accounts.create(someone('hugo', 'lefevre', '2011-04-02', null));
      const second = await t.duplicates.merge(kept.id, gone.id, 'cli');
      await t.accounts.update(gone.id, { status: 'disappeared' });
      await t.duplicates.undoMerge(second.id, 'cli');
      expect(await t.accounts.get(gone.id)).to.include({ status: 'disappeared', disabledReason: null });
    });

    it('moves back what it can when a related account was deleted since', async () => {
      const t = await newTenant();
      const w = await pupilsWithLinks(t);
      const record = await t.duplicates.merge(w.kept.id, w.other.id, 'cli');
      await t.accounts.delete(w.father.id);
      await t.duplicates.undoMerge(record.id, 'cli');
      const other = await snapshot(t, w.other);
      expect(other.parents).to.deep.equal([w.mother.id]);
      expect(other.structures).to.have.members([w.college.id, w.lycee.id]);
      expect(ids(other.identities)).to.have.members(ids(w.identities));
      expect(ids(await t.memberships.groupsOf(w.kept.id))).to.deep.equal([w.klass.id]);
    });

    it('refuses an account with itself, two profiles, a merged account, an unknown one, and changes nothing', async () => {
      const t = await newTenant();
      const w = await pupilsWithLinks(t);
      const third = await t.accounts.create(someone('Hugo', 'Lefevre', '2011-04-02', null));
      const before = await Promise.all([w.kept, w.other, third, w.mother].map((a) => snapshot(t, a)));

      expect((await rejection(t.duplicates.merge(w.kept.id, w.kept.id, 'cli'), DuplicateRefused)).reason).to.equal('same_account');
      const profiles = await rejection(t.duplicates.merge(w.kept.id, w.mother.id, 'cli'), DuplicateRefused);
      expect(profiles).to.include({ reason: 'different_profiles', status: 400 });
      expect(profiles.message).to.match(/Relative.*Student/);
      await rejection(t.duplicates.merge(w.kept.id, newId(), 'cli'), NotFound);
      await rejection(t.duplicates.merge(newId(), w.other.id, 'cli'), NotFound);
      expect(await Promise.all([w.kept, w.other, third, w.mother].map((a) => snapshot(t, a)))).to.deep.equal(before);
      expect((await t.duplicates.listMerges({ limit: 10 })).items).to.deep.equal([]);

      await t.duplicates.merge(w.kept.id, w.other.id, 'cli');
      const again = await rejection(t.duplicates.merge(third.id, w.other.id, 'cli'), Conflict);
      expect(again).to.include({ field: 'merged', status: 409 });
      await rejection(t.duplicates.merge(w.other.id, third.id, 'cli'), Conflict);
      expect(await snapshot(t, third)).to.deep.equal(before[2]);
    });

    it('refuses to undo a merge whose kept account was merged since, until that one is undone', async () => {
      const t = await newTenant();
      const [a, b, c] = [
        await t.accounts.create(someone('Hugo', 'Lefèvre', '2011-04-02', unique('AC-LILLE'))),
        await t.accounts.create(someone('HUGO', 'LEFEVRE', '2011-04-02', unique('AC-AMIENS'))),
        await t.accounts.create(someone('hugo', 'lefevre', '2011-04-02', null)),
      ];
      const identity = await t.identities.link(b.id, 'educonnect', unique('sub'));
      const first = await t.duplicates.merge(a.id, b.id, 'cli');
      const second = await t.duplicates.merge(c.id, a.id, 'cli');
      expect(second.moved.identities).to.deep.equal([identity.id]);
      expect((await rejection(t.duplicates.undoMerge(first.id, 'cli'), Conflict)).field).to.equal('merged');
      await t.duplicates.undoMerge(second.id, 'cli');
      await t.duplicates.undoMerge(first.id, 'cli');
      expect(ids(await t.identities.listForAccount(b.id))).to.deep.equal([identity.id]);
      for (const account of [a, b, c]) expect(await t.accounts.get(account.id)).to.include({ status: 'active', disabledReason: null });
      await rejection(t.duplicates.undoMerge(newId(), 'cli'), NotFound);
      await rejection(t.duplicates.getMerge(newId()), NotFound);
    });

    it('lists merges newest first, undone ones included, one page at a time', async () => {
      const t = await newTenant();
      const kept = await t.accounts.create(someone('Hugo', 'Lefèvre', '2011-04-02', unique('AC-LILLE')));
      const merges = [];
      for (let i = 0; i < 5; i += 1) {
        const other = await t.accounts.create(someone('Hugo', 'Lefèvre', '2011-04-02', unique('AC-AMIENS')));
        merges.push(await t.duplicates.merge(kept.id, other.id, `admin-${i}`));
      }
      const undone = await t.duplicates.undoMerge(merges[1]!.id, 'cli');
      const expected = [...merges].map((m) => (m.id === undone.id ? undone : m)).sort((x, y) => (x.id < y.id ? 1 : -1));
      const first = await t.duplicates.listMerges({ limit: 2 });
      const second = await t.duplicates.listMerges({ limit: 2, after: first.next! });
      const third = await t.duplicates.listMerges({ limit: 2, after: second.next! });
      expect([...first.items, ...second.items, ...third.items]).to.deep.equal(expected);
      expect(third.next).to.equal(null);
    });
  });
}

function describeMarks(newTenant: TenantFactory): void {
  describe('"not a duplicate" marks', () => {
    it('marks a pair once, whichever order, undoes it once, and keeps the history', async () => {
      const t = await newTenant();
      const a = await t.accounts.create(someone('Hugo', 'Lefèvre', '2011-04-02', unique('AC-LILLE')));
      const b = await t.accounts.create(someone('HUGO', 'LEFEVRE', '2011-04-02', unique('AC-AMIENS')));
      const mark = await t.duplicates.markDistinct(b.id, a.id, 'admin-1');
      expect(mark).to.include({ tenantId: t.tenantId, markedBy: 'admin-1', undoneAt: null, undoneBy: null });
      expect(mark.accountIds).to.deep.equal([a.id, b.id].sort());
      expect((await rejection(t.duplicates.markDistinct(a.id, b.id, 'cli'), Conflict)).field).to.equal('mark');
      expect((await rejection(t.duplicates.markDistinct(a.id, a.id, 'cli'), DuplicateRefused)).reason).to.equal('same_account');
      await rejection(t.duplicates.markDistinct(a.id, newId(), 'cli'), NotFound);

      const undone = await t.duplicates.undoDistinct(mark.id, 'admin-2');
      expect(undone).to.deep.equal({ ...mark, undoneAt: undone.undoneAt, undoneBy: 'admin-2' });
      expect(undone.undoneAt).to.be.instanceOf(Date);
      expect((await rejection(t.duplicates.undoDistinct(mark.id, 'cli'), Conflict)).field).to.equal('undone');
      await rejection(t.duplicates.undoDistinct(newId(), 'cli'), NotFound);

      // Marked again later: a new mark, the undone one stays in the history.
      const again = await t.duplicates.markDistinct(a.id, b.id, 'admin-3');
      const page = await t.duplicates.listMarks({ limit: 1 });
      expect(page.items).to.deep.equal([again]);
      const rest = await t.duplicates.listMarks({ limit: 1, after: page.next! });
      expect(rest).to.deep.equal({ items: [undone], next: null });
    });
  });
}

function describeDuplicatesIsolation(newTenant: TenantFactory): void {
  describeTenantIsolation(newTenant, (t) => {
    it('offers no duplicates across tenants, and refuses merges and marks of another tenant\'s accounts', async () => {
      // The same person in A and twice in B: B's pair is B's, A's account is nobody's duplicate.
      const mine = await t.a.accounts.update(t.mine.id, { birthDate: '2011-04-02', externalId: 'AC-LILLE-1' });
      const [theirs, copy] = [
        await t.b.accounts.create(someone(mine.firstName, mine.lastName, '2011-04-02', 'AC-LILLE-1')),
        await t.b.accounts.create(someone(mine.firstName.toUpperCase(), mine.lastName.toUpperCase(), '2011-04-02', 'AC-AMIENS-1')),
      ];
      expect(memberIds(await allGroups(t.b))).to.deep.equal([sorted([theirs.id, copy.id])]);
      expect(await allGroups(t.a)).to.deep.equal([]);
      expect(await allGroups(t.a, { structureIds: [t.theirs.school.id] })).to.deep.equal([]);

      await rejection(t.a.duplicates.merge(mine.id, theirs.id, 'cli'), NotFound);
      await rejection(t.a.duplicates.merge(theirs.id, mine.id, 'cli'), NotFound);
      await rejection(t.a.duplicates.markDistinct(mine.id, theirs.id, 'cli'), NotFound);
      const merge = await t.b.duplicates.merge(theirs.id, copy.id, 'cli');
      const mark = await t.b.duplicates.markDistinct(theirs.id, copy.id, 'cli');
      await rejection(t.a.duplicates.getMerge(merge.id), NotFound);
      await rejection(t.a.duplicates.undoMerge(merge.id, 'cli'), NotFound);
      await rejection(t.a.duplicates.undoDistinct(mark.id, 'cli'), NotFound);
      expect(await t.a.duplicates.listMerges({ limit: 10 })).to.deep.equal({ items: [], next: null });
      expect(await t.a.duplicates.listMarks({ limit: 10 })).to.deep.equal({ items: [], next: null });
      expect(await t.b.duplicates.listMerges({ limit: 10 })).to.deep.equal({ items: [merge], next: null });
      expect(await t.b.duplicates.listMarks({ limit: 10 })).to.deep.equal({ items: [mark], next: null });
      expect(await t.b.accounts.get(copy.id)).to.include({ status: 'disabled', disabledReason: 'merged' });
      expect(await t.a.accounts.get(mine.id)).to.deep.equal(mine);
      await t.expectTheirsIntact();
    });
  });
}
