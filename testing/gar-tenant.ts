/**
 * A generated tenant for the GAR export's tests and bench, written by SQL into a SQLite store
 * (seconds, where the import would take minutes): 85 % pupils (a class and a group each), 10 %
 * teachers (three classes), 5 % staff with an académie address, spread over `schools` schools of
 * 20 classes and 10 groups. Account `i` is `<tenant>-a<i, 8 digits>`.
 */
import { sql } from 'kysely';
import type { SqlStore } from '../src/storage/sql/index.js';

export interface GarTenantSize {
  people: number;
  schools: number;
}

/** What such a tenant holds, per kind of file (with every school on the GAR). */
export function garTenantCounts({ people, schools }: GarTenantSize): { Etab: number; Eleve: number; Enseignant: number; groups: number; RespAff: number } {
  const ofProfile = (lo: number, hi: number) => Array.from({ length: 20 }, (_, r) => r).filter((r) => r >= lo && r < hi)
    .reduce((n, r) => n + Math.floor((people - 1 - r) / 20) + 1, 0);
  return { Etab: schools, Eleve: ofProfile(0, 17), Enseignant: ofProfile(17, 20), groups: schools * 30, RespAff: ofProfile(19, 20) };
}

export async function seedGarTenant(store: SqlStore, tenantId: string, { people, schools }: GarTenantSize): Promise<void> {
  const t = tenantId;
  const now = new Date().toISOString();
  // Written in the statements: better-sqlite3 binds a number as a real, and `n / 50.0` is not an integer.
  const s = sql.lit(schools);
  await store.db.transaction().execute(async (trx) => {
    await sql`with recursive n(i) as (select 0 union all select i + 1 from n where i < ${sql.lit(schools - 1)})
      insert into structures (id, tenant_id, uai, name) select ${t} || '-s' || i, ${t}, printf('059%04d', i) || 'A', 'Collège ' || i from n`.execute(trx);
    await sql`with recursive n(i) as (select 0 union all select i + 1 from n where i < ${sql.lit(schools * 30 - 1)})
      insert into groups (id, tenant_id, structure_id, kind, code, name)
      select ${t} || '-g' || i, ${t}, ${t} || '-s' || (i / 30), case when i % 30 < 20 then 'class' else 'group' end, 'G' || (i % 30), 'Groupe ' || i from n`.execute(trx);
    await sql`with recursive n(i) as (select 0 union all select i + 1 from n where i < ${sql.lit(people - 1)})
      insert into accounts (id, tenant_id, login, profile, first_name, last_name, display_name, birth_date, academic_email, status, source, created_at, updated_at)
      select printf('%s-a%08d', ${t}, i), ${t}, printf('%s.%08d', ${t}, i),
        case when i % 20 < 17 then 'Student' when i % 20 < 19 then 'Teacher' else 'Personnel' end,
        'Prénom' || i, 'Nom de famille ' || i, 'Prénom Nom ' || i, '2010-01-01',
        case when i % 20 = 19 then printf('staff.%08d@ac-lille.fr', i) end, 'active', 'bench', ${now}, ${now} from n`.execute(trx);
    // Each account in school i % schools; in class (i / schools) % 20 and group 20 + i % 10 there, teachers in two more classes.
    await sql`insert into account_structures (tenant_id, account_id, structure_id)
      select ${t}, id, ${t} || '-s' || (cast(substr(id, -8) as integer) % ${s}) from accounts where tenant_id = ${t}`.execute(trx);
    await sql`with m(account_id, n, profile) as (select id, cast(substr(id, -8) as integer), profile from accounts where tenant_id = ${t})
      insert into group_members (tenant_id, account_id, group_id)
      select ${t}, account_id, ${t} || '-g' || ((n % ${s}) * 30 + (n / ${s}) % 20) from m
      union all select ${t}, account_id, ${t} || '-g' || ((n % ${s}) * 30 + 20 + n % 10) from m where profile = 'Student'
      union all select ${t}, account_id, ${t} || '-g' || ((n % ${s}) * 30 + ((n / ${s}) + 7) % 20) from m where profile = 'Teacher'
      union all select ${t}, account_id, ${t} || '-g' || ((n % ${s}) * 30 + ((n / ${s}) + 13) % 20) from m where profile = 'Teacher'`.execute(trx);
  });
}
