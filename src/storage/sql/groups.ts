import type { Kysely } from 'kysely';
import { newId } from '../../shared/ids.js';
import type { Group, GroupStore, NewGroup } from '../ports/index.js';
import { guarded } from './constraints.js';
import { assertOwned, idConflict, label } from './queries.js';
import { toGroup } from './rows.js';
import type { Database } from './schema.js';

export function tenantGroups(db: Kysely<Database>, tenantId: string): GroupStore {
  return {
    // (structure, kind, code) identifies a class or group; an existing row keeps its id.
    async upsert(input: NewGroup): Promise<Group> {
      const id = input.id ?? newId();
      const guard = {
        conflicts: idConflict('groups', id),
        // The structure may vanish between the check and the insert; the (tenant, structure)
        // foreign key then refuses the row.
        missing: label('structures', input.structureId),
      };
      await assertOwned(db, 'structures', tenantId, input.structureId);
      const row = await guarded(guard, () => db.insertInto('groups')
        .values({
          id, tenant_id: tenantId, structure_id: input.structureId, kind: input.kind, code: input.code,
          name: input.name, external_id: input.externalId ?? null,
        })
        .onConflict((oc) => oc.columns(['structure_id', 'kind', 'code']).doUpdateSet((eb) => ({
          name: eb.ref('excluded.name'),
          ...(input.externalId !== undefined && { external_id: eb.ref('excluded.external_id') }),
        })))
        .returningAll()
        .executeTakeFirstOrThrow());
      return toGroup(row);
    },

    async listByStructure(structureId: string): Promise<Group[]> {
      const rows = await db.selectFrom('groups').selectAll()
        .where('tenant_id', '=', tenantId)
        .where('structure_id', '=', structureId)
        .orderBy('kind').orderBy('code')
        .execute();
      return rows.map(toGroup);
    },
  };
}
