import type { Kysely } from 'kysely';
import type { PlatformStore, Tenant } from '../ports/index.js';
import { nowTimestamp, toTenant } from './rows.js';
import type { Database } from './schema.js';

export function tenantStore(db: Kysely<Database>): PlatformStore['tenants'] {
  return {
    async upsert(tenant: Tenant): Promise<Tenant> {
      const now = nowTimestamp();
      const row = await db.insertInto('tenants')
        .values({ id: tenant.id, name: tenant.name, academy_code: tenant.academyCode, created_at: now, updated_at: now })
        .onConflict((oc) => oc.column('id').doUpdateSet((eb) => ({
          name: eb.ref('excluded.name'),
          academy_code: eb.ref('excluded.academy_code'),
          updated_at: eb.ref('excluded.updated_at'),
        })))
        .returningAll()
        .executeTakeFirstOrThrow();
      return toTenant(row);
    },

    async get(id: string): Promise<Tenant | null> {
      const row = await db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toTenant(row) : null;
    },

    async list(): Promise<Tenant[]> {
      const rows = await db.selectFrom('tenants').selectAll().orderBy('id').execute();
      return rows.map(toTenant);
    },
  };
}
