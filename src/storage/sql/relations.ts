import type { Kysely } from 'kysely';
import type { Account, RelationStore } from '../ports/index.js';
import { guarded } from './constraints.js';
import { assertOwned, label } from './queries.js';
import { toAccount } from './rows.js';
import type { Database } from './schema.js';

export function tenantRelations(db: Kysely<Database>, tenantId: string): RelationStore {
  /** The accounts on the `other` side of the relations whose `side` is `id`. */
  const related = async (side: 'parent_id' | 'child_id', id: string): Promise<Account[]> => {
    const other = side === 'parent_id' ? 'r.child_id' : 'r.parent_id';
    const rows = await db.selectFrom('relations as r')
      .innerJoin('accounts as a', 'a.id', other)
      .selectAll('a')
      .where('r.tenant_id', '=', tenantId)
      .where(`r.${side}`, '=', id)
      .orderBy('a.login')
      .execute();
    return rows.map(toAccount);
  };

  return {
    async link(parentId: string, childId: string): Promise<void> {
      await assertOwned(db, 'accounts', tenantId, parentId);
      await assertOwned(db, 'accounts', tenantId, childId);
      await guarded({ missing: `${label('accounts', parentId)} or ${label('accounts', childId)}` }, () =>
        db.insertInto('relations')
          .values({ tenant_id: tenantId, parent_id: parentId, child_id: childId })
          .onConflict((oc) => oc.columns(['parent_id', 'child_id']).doNothing())
          .execute());
    },

    async unlink(parentId: string, childId: string): Promise<void> {
      await db.deleteFrom('relations')
        .where('tenant_id', '=', tenantId)
        .where('parent_id', '=', parentId)
        .where('child_id', '=', childId)
        .execute();
    },

    childrenOf: (parentId) => related('parent_id', parentId),
    parentsOf: (childId) => related('child_id', childId),
  };
}
