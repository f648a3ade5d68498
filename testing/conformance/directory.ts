/**
 * Conformance of the stores of structures, groups, memberships and parent–child relations,
 * tenant isolation included: every backend of these ports runs it.
 */
import { expect } from 'chai';
import { NotFound } from '../../src/shared/errors.js';
import { newId } from '../../src/shared/ids.js';
import { describeTenantIsolation, ids, person, rejection, type StoreSuite, type TenantFactory } from './kit.js';

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
  describeTenantIsolation(newTenant, (t) => {
    it('structures and groups: cannot see or change another tenant’s', async () => {
      expect(await t.a.structures.findByUai(t.theirs.school.uai)).to.equal(null);
      expect(await t.a.structures.list()).to.deep.equal([]);
      expect(await t.a.groups.listByStructure(t.theirs.school.id)).to.deep.equal([]);
      await rejection(t.a.groups.upsert({ structureId: t.theirs.school.id, kind: 'class', code: '3A', name: 'Hacked' }), NotFound);
      await rejection(t.a.groups.upsert({ structureId: t.theirs.school.id, kind: 'class', code: '3Z', name: 'Planted' }), NotFound);
      // The same UAI in A is A's own structure, not B's.
      const own = await t.a.structures.upsert({ uai: t.theirs.school.uai, name: 'Collège de A' });
      expect(own.id).to.not.equal(t.theirs.school.id);
      expect(own.tenantId).to.equal(t.a.tenantId);
      await t.expectTheirsIntact();
    });

    it('memberships: cannot attach across tenants, read or remove another tenant’s', async () => {
      const ownSchool = await t.a.structures.upsert({ uai: '0590009Z', name: 'Collège de A' });
      const ownClass = await t.a.groups.upsert({ structureId: ownSchool.id, kind: 'class', code: '3A', name: '3e A' });
      await rejection(t.a.memberships.attachToStructure(t.mine.id, t.theirs.school.id), NotFound);
      await rejection(t.a.memberships.attachToStructure(t.theirs.child.id, ownSchool.id), NotFound);
      await rejection(t.a.memberships.attachToStructure(t.theirs.child.id, t.theirs.school.id), NotFound);
      await rejection(t.a.memberships.addToGroup(t.mine.id, t.theirs.klass.id), NotFound);
      await rejection(t.a.memberships.addToGroup(t.theirs.child.id, ownClass.id), NotFound);
      await rejection(t.a.memberships.addToGroup(t.theirs.child.id, t.theirs.klass.id), NotFound);
      await t.a.memberships.removeFromGroup(t.theirs.child.id, t.theirs.klass.id);
      expect(await t.a.memberships.structuresOf(t.theirs.child.id)).to.deep.equal([]);
      expect(await t.a.memberships.groupsOf(t.theirs.child.id)).to.deep.equal([]);
      expect(await t.a.memberships.structuresOf(t.mine.id)).to.deep.equal([]);
      expect(await t.a.memberships.groupsOf(t.mine.id)).to.deep.equal([]);
      await t.expectTheirsIntact();
    });

    it('relations: cannot link across tenants, read or unlink another tenant’s', async () => {
      await rejection(t.a.relations.link(t.mine.id, t.theirs.child.id), NotFound);
      await rejection(t.a.relations.link(t.theirs.parent.id, t.mine.id), NotFound);
      await rejection(t.a.relations.link(t.theirs.parent.id, t.theirs.child.id), NotFound);
      await t.a.relations.unlink(t.theirs.parent.id, t.theirs.child.id);
      expect(await t.a.relations.childrenOf(t.theirs.parent.id)).to.deep.equal([]);
      expect(await t.a.relations.parentsOf(t.theirs.child.id)).to.deep.equal([]);
      expect(await t.a.relations.childrenOf(t.mine.id)).to.deep.equal([]);
      await t.expectTheirsIntact();
    });
  });
}
