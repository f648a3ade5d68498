import type { Kysely } from 'kysely';
import type { GroupWithStructure, MembershipStore, Structure } from '../ports/index.js';
import { guarded } from './constraints.js';
import { assertOwned, label } from './queries.js';
import { toGroup, toStructure } from './rows.js';
import type { Database } from './schema.js';

// Link rows reference both ends by (tenant_id, id), so filtering the link table by tenant is
// enough: a joined row cannot belong to another tenant.
export function tenantMemberships(db: Kysely<Database>, tenantId: string): MembershipStore {
  return {
    async attachToStructure(accountId: string, structureId: string): Promise<void> {
      await assertOwned(db, 'accounts', tenantId, accountId);
      await assertOwned(db, 'structures', tenantId, structureId);
      await guarded({ missing: `${label('accounts', accountId)} or ${label('structures', structureId)}` }, () =>
        db.insertInto('account_structures')
          .values({ tenant_id: tenantId, account_id: accountId, structure_id: structureId })
          .onConflict((oc) => oc.columns(['account_id', 'structure_id']).doNothing())
          .execute());
    },

    async addToGroup(accountId: string, groupId: string): Promise<void> {
      await assertOwned(db, 'accounts', tenantId, accountId);
      await assertOwned(db, 'groups', tenantId, groupId);
      await guarded({ missing: `${label('accounts', accountId)} or ${label('groups', groupId)}` }, () =>
        db.insertInto('group_members')
          .values({ tenant_id: tenantId, account_id: accountId, group_id: groupId })
          .onConflict((oc) => oc.columns(['account_id', 'group_id']).doNothing())
          .execute());
    },

    async removeFromGroup(accountId: string, groupId: string): Promise<void> {
      await db.deleteFrom('group_members')
        .where('tenant_id', '=', tenantId)
        .where('account_id', '=', accountId)
        .where('group_id', '=', groupId)
        .execute();
    },

    async structuresOf(accountId: string): Promise<Structure[]> {
      const rows = await db.selectFrom('account_structures as m')
        .innerJoin('structures as s', 's.id', 'm.structure_id')
        .selectAll('s')
        .where('m.tenant_id', '=', tenantId)
        .where('m.account_id', '=', accountId)
        .orderBy('s.uai')
        .execute();
      return rows.map(toStructure);
    },

    async groupsOf(accountId: string): Promise<GroupWithStructure[]> {
      const rows = await db.selectFrom('group_members as m')
        .innerJoin('groups as g', 'g.id', 'm.group_id')
        .innerJoin('structures as s', 's.id', 'g.structure_id')
        .selectAll('g')
        .select(['s.uai as structure_uai', 's.name as structure_name', 's.external_id as structure_external_id'])
        .where('m.tenant_id', '=', tenantId)
        .where('m.account_id', '=', accountId)
        .orderBy('s.uai').orderBy('g.kind').orderBy('g.code')
        .execute();
      return rows.map((row) => ({
        ...toGroup(row),
        structure: toStructure({
          id: row.structure_id, tenant_id: row.tenant_id, uai: row.structure_uai, name: row.structure_name,
          external_id: row.structure_external_id,
        }),
      }));
    },
  };
}
