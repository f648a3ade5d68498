import type { Kysely } from 'kysely';
import { newId } from '../../shared/ids.js';
import type { NewStructure, Page, Structure, StructureStore } from '../ports/index.js';
import { guarded } from './constraints.js';
import { idConflict, paged, tenantLabel } from './queries.js';
import { toStructure } from './rows.js';
import type { Database } from './schema.js';

export function tenantStructures(db: Kysely<Database>, tenantId: string): StructureStore {
  const scoped = () => db.selectFrom('structures').selectAll().where('tenant_id', '=', tenantId);

  return {
    // The UAI identifies a school; an existing row keeps its id, so links to it survive.
    async upsert(input: NewStructure): Promise<Structure> {
      const id = input.id ?? newId();
      const guard = {
        conflicts: idConflict('structures', id),
        missing: tenantLabel(tenantId),
      };
      const row = await guarded(guard, () => db.insertInto('structures')
        .values({ id, tenant_id: tenantId, uai: input.uai, name: input.name, external_id: input.externalId ?? null })
        .onConflict((oc) => oc.columns(['tenant_id', 'uai']).doUpdateSet((eb) => ({
          name: eb.ref('excluded.name'),
          // An upsert without externalId must not erase the one an import recorded.
          ...(input.externalId !== undefined && { external_id: eb.ref('excluded.external_id') }),
        })))
        .returningAll()
        .executeTakeFirstOrThrow());
      return toStructure(row);
    },

    async findByUai(uai: string): Promise<Structure | null> {
      const row = await scoped().where('uai', '=', uai).executeTakeFirst();
      return row ? toStructure(row) : null;
    },

    async list(page?: Page): Promise<Structure[]> {
      const rows = await paged(scoped().orderBy('uai'), page).execute();
      return rows.map(toStructure);
    },
  };
}
