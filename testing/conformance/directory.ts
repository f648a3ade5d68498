/**
 * Conformance of the stores of structures, groups, memberships and parent–child relations,
 * tenant isolation included: every backend of these ports runs it.
 */
import { expect } from 'chai';
import { NotFound } from '../../src/shared/errors.js';
import { newId } from '../../src/shared/ids.js';
import type { Account, TenantScope } from '../../src/storage/ports/index.js';
import { expectIntact, ids, person, rejection, twoTenants, type StoreSuite, type TenantFactory, type Theirs } from './kit.js';

export const directoryStoreConformance: StoreSuite = ({ store, newTenant }) => {
  describeDirectory(newTenant);
  describeDirectoryIsolation(newTenant);
};

function describeDirectory(newTenant: TenantFactory): void {
  describe('structures, groups, memberships and relations', () => {
    it('upserts structures by UAI, keeping the id', async () => {
      const lille = await newTenant();
      const first = await lille.structures.upsert({ uai: '0590002B', name: 'Lycée Faidherbe', externalId: 'S-1' });
      const second = await lille.structures.upsert({ uai: '0590002B', name: 'Lycée Faidherbe (Lille)' });
      expect(second).to.deep.equal({ ...first, name: 'Lycée Faidherbe (Lille)' });
      expect(await lille.structures.findByUai('0590002B')).to.deep.equal(second);
      expect(await lille.structures.findByUai('0590003C')).to.equal(null);
      await lille.structures.upsert({ uai: '0590001A', name: 'Collège' });
      expect((await lille.structures.list()).map((s) => s.uai)).to.deep.equal(['0590001A', '0590002B']);
      expect((await lille.structures.list({ limit: 1, offset: 1 })).map((s) => s.uai)).to.deep.equal(['0590002B']);
    });

    it('upserts groups by (structure, kind, code)', async () => {
      const lille = await newTenant();
      const school = await lille.structures.upsert({ uai: '0590001A', name: 'Collège' });
      const klass = await lille.groups.upsert({ structureId: school.id, kind: 'class', code: '3A', name: '3e A' });
      const renamed = await lille.groups.upsert({ structureId: school.id, kind: 'class', code: '3A', name: 'Troisième A' });
      expect(renamed).to.deep.equal({ ...klass, name: 'Troisième A' });
      const group = await lille.groups.upsert({ structureId: school.id, kind: 'group', code: '3A', name: 'Latin', externalId: 'G-1' });
      expect(group.id).to.not.equal(klass.id);
      expect(group).to.include({ tenantId: lille.tenantId, structureId: school.id, externalId: 'G-1' });
      expect(await lille.groups.listByStructure(school.id)).to.deep.equal([renamed, group]);
      await rejection(lille.groups.upsert({ structureId: newId(), kind: 'class', code: '3B', name: '3e B' }), NotFound);
    });

    it('attaches accounts to structures and groups, idempotently', async () => {
      const lille = await newTenant();
      const pupil = await lille.accounts.create(person());
      const [college, lycee] = [
        await lille.structures.upsert({ uai: '0590001A', name: 'Collège' }),
        await lille.structures.upsert({ uai: '0590002B', name: 'Lycée' }),
      ];
      const klass = await lille.groups.upsert({ structureId: college.id, kind: 'class', code: '3A', name: '3e A' });
      const latin = await lille.groups.upsert({ structureId: lycee.id, kind: 'group', code: 'LAT', name: 'Latin' });
      for (let i = 0; i < 2; i += 1) {
        await lille.memberships.attachToStructure(pupil.id, lycee.id);
        await lille.memberships.attachToStructure(pupil.id, college.id);
        await lille.memberships.addToGroup(pupil.id, latin.id);
        await lille.memberships.addToGroup(pupil.id, klass.id);
      }
      expect(await lille.memberships.structuresOf(pupil.id)).to.deep.equal([college, lycee]);
      expect(await lille.memberships.groupsOf(pupil.id)).to.deep.equal([
        { ...klass, structure: college },
        { ...latin, structure: lycee },
      ]);
      await lille.memberships.removeFromGroup(pupil.id, klass.id);
      await lille.memberships.removeFromGroup(pupil.id, klass.id);
      expect(ids(await lille.memberships.groupsOf(pupil.id))).to.deep.equal([latin.id]);
    });

    it('refuses memberships to unknown rows', async () => {
      const lille = await newTenant();
      const pupil = await lille.accounts.create(person());
      const school = await lille.structures.upsert({ uai: '0590001A', name: 'Collège' });
      await rejection(lille.memberships.attachToStructure(newId(), school.id), NotFound);
      await rejection(lille.memberships.attachToStructure(pupil.id, newId()), NotFound);
      await rejection(lille.memberships.addToGroup(pupil.id, newId()), NotFound);
      expect(await lille.memberships.structuresOf(pupil.id)).to.deep.equal([]);
    });

    it('links parents and children', async () => {
      const lille = await newTenant();
      const [mother, father] = [await lille.accounts.create(person({ profile: 'Relative' })), await lille.accounts.create(person({ profile: 'Relative' }))];
      const [lea, tom] = [await lille.accounts.create(person()), await lille.accounts.create(person())];
      await lille.relations.link(mother.id, lea.id);
      await lille.relations.link(mother.id, lea.id);
      await lille.relations.link(mother.id, tom.id);
      await lille.relations.link(father.id, tom.id);
      expect(ids(await lille.relations.childrenOf(mother.id)).sort()).to.deep.equal([lea.id, tom.id].sort());
      expect(ids(await lille.relations.parentsOf(tom.id)).sort()).to.deep.equal([mother.id, father.id].sort());
      expect(await lille.relations.childrenOf(mother.id)).to.deep.include(lea);
      await lille.relations.unlink(mother.id, tom.id);
      expect(ids(await lille.relations.childrenOf(mother.id))).to.deep.equal([lea.id]);
      expect(ids(await lille.relations.parentsOf(tom.id))).to.deep.equal([father.id]);
      await rejection(lille.relations.link(mother.id, newId()), NotFound);
      await rejection(lille.relations.link(newId(), lea.id), NotFound);
    });
  });
}

function describeDirectoryIsolation(newTenant: TenantFactory): void {
  describe('tenant isolation', () => {
    let a: TenantScope;
    let b: TenantScope;
    let theirs: Theirs;
    let mine: Account;

    beforeEach(async () => {
      ({ a, b, theirs, mine } = await twoTenants(newTenant));
    });
    const expectTheirsIntact = () => expectIntact(b, theirs);

    it('structures and groups: cannot see or change another tenant’s', async () => {
      expect(await a.structures.findByUai(theirs.school.uai)).to.equal(null);
      expect(await a.structures.list()).to.deep.equal([]);
      expect(await a.groups.listByStructure(theirs.school.id)).to.deep.equal([]);
      await rejection(a.groups.upsert({ structureId: theirs.school.id, kind: 'class', code: '3A', name: 'Hacked' }), NotFound);
      await rejection(a.groups.upsert({ structureId: theirs.school.id, kind: 'class', code: '3Z', name: 'Planted' }), NotFound);
      // The same UAI in A is A's own structure, not B's.
      const own = await a.structures.upsert({ uai: theirs.school.uai, name: 'Collège de A' });
      expect(own.id).to.not.equal(theirs.school.id);
      expect(own.tenantId).to.equal(a.tenantId);
      await expectTheirsIntact();
    });

    it('memberships: cannot attach across tenants, read or remove another tenant’s', async () => {
      const ownSchool = await a.structures.upsert({ uai: '0590009Z', name: 'Collège de A' });
      const ownClass = await a.groups.upsert({ structureId: ownSchool.id, kind: 'class', code: '3A', name: '3e A' });
      await rejection(a.memberships.attachToStructure(mine.id, theirs.school.id), NotFound);
      await rejection(a.memberships.attachToStructure(theirs.child.id, ownSchool.id), NotFound);
      await rejection(a.memberships.attachToStructure(theirs.child.id, theirs.school.id), NotFound);
      await rejection(a.memberships.addToGroup(mine.id, theirs.klass.id), NotFound);
      await rejection(a.memberships.addToGroup(theirs.child.id, ownClass.id), NotFound);
      await rejection(a.memberships.addToGroup(theirs.child.id, theirs.klass.id), NotFound);
      await a.memberships.removeFromGroup(theirs.child.id, theirs.klass.id);
      expect(await a.memberships.structuresOf(theirs.child.id)).to.deep.equal([]);
      expect(await a.memberships.groupsOf(theirs.child.id)).to.deep.equal([]);
      expect(await a.memberships.structuresOf(mine.id)).to.deep.equal([]);
      expect(await a.memberships.groupsOf(mine.id)).to.deep.equal([]);
      await expectTheirsIntact();
    });

    it('relations: cannot link across tenants, read or unlink another tenant’s', async () => {
      await rejection(a.relations.link(mine.id, theirs.child.id), NotFound);
      await rejection(a.relations.link(theirs.parent.id, mine.id), NotFound);
      await rejection(a.relations.link(theirs.parent.id, theirs.child.id), NotFound);
      await a.relations.unlink(theirs.parent.id, theirs.child.id);
      expect(await a.relations.childrenOf(theirs.parent.id)).to.deep.equal([]);
      expect(await a.relations.parentsOf(theirs.child.id)).to.deep.equal([]);
      expect(await a.relations.childrenOf(mine.id)).to.deep.equal([]);
      await expectTheirsIntact();
    });
  });
}
