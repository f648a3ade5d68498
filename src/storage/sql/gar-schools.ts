/** The GAR switches admins set school by school, one row per (tenant, UAI). */
import type { Kysely, Selectable } from 'kysely';
import type { GarSchoolSwitch, GarSchoolSwitchStore } from '../ports/index.js';
import { guarded } from './constraints.js';
import { tenantLabel } from './queries.js';
import { nowTimestamp, toDate, toFlag } from './rows.js';
import type { Database, GarSchoolSwitchesTable } from './schema.js';

const toSwitch = (row: Selectable<GarSchoolSwitchesTable>): GarSchoolSwitch => ({ uai: row.uai, enabled: row.enabled === 1, changedAt: toDate(row.changed_at) });

export function tenantGarSchools(db: Kysely<Database>, tenantId: string): GarSchoolSwitchStore {
  return {
    async list(): Promise<GarSchoolSwitch[]> {
      const rows = await db.selectFrom('gar_school_switches').selectAll().where('tenant_id', '=', tenantId).orderBy('uai').execute();
      return rows.map(toSwitch);
    },

    // An unknown tenant is a foreign-key violation, reported as NotFound.
    async set(uai: string, enabled: boolean): Promise<GarSchoolSwitch> {
      const row = { tenant_id: tenantId, uai, enabled: toFlag(enabled), changed_at: nowTimestamp() };
      await guarded({ missing: tenantLabel(tenantId) }, () => db.insertInto('gar_school_switches').values(row)
        .onConflict((oc) => oc.columns(['tenant_id', 'uai']).doUpdateSet({ enabled: row.enabled, changed_at: row.changed_at }))
        .execute());
      return toSwitch(row);
    },
  };
}
