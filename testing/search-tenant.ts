/**
 * A generated tenant for the account search's bench and plan tests, written by SQL on either
 * engine (the import would take many minutes): `accounts` people with French names drawn from
 * testing/french-names.ts, structures of `structureSize` consecutive accounts (600 by default),
 * each split into classes of ~`CLASS_SIZE`.
 *
 * Account `i`: id `01930000-0000-7000-8000-<i, 12 hex digits>` (a UUIDv7's shape and order),
 * names from a multiplicative hash of `i` (so a structure holds all sorts of names), login
 * `first.last<i>`, external id `BENCH-<i>`; 60 % pupils, 30 % relatives, 5 % teachers and 5 %
 * staff (académie address), 80 % active, 15 % pending, 3 % disabled, 2 % disappeared; a third
 * has a contact e-mail with capitals in it. Structure `s`: UAI `<s, 7 digits>S`; class `c`
 * of it: code `C<c>`.
 */
import { sql, type Kysely } from 'kysely';
import { loginPart } from '../src/identity/login-generator.js';
import type { Database, SqlStore } from '../src/storage/sql/index.js';
import { FIRST_NAMES, LAST_NAMES } from './french-names.js';

export const STRUCTURE_SIZE = 600;
export const CLASS_SIZE = 28;

export const accountId = (i: number): string => `01930000-0000-7000-8000-${i.toString(16).padStart(12, '0')}`;
export const uaiOf = (structure: number): string => `${String(structure).padStart(7, '0')}S`;
export const structureId = (tenantId: string, structure: number): string => `${tenantId}-s${structure}`;
export const structureCount = (accounts: number, structureSize = STRUCTURE_SIZE): number => Math.ceil(accounts / structureSize);

/** Account `i`'s hash, as the SQL computes it: names, contact e-mail and status come from it. */
const hashOf = (i: number): bigint => (BigInt(i) * 48271n) % 2147483647n;

/** Whether account `i` has a contact e-mail (`First.LAST.<i>@Example.org`); staff (`i % 20 ≥ 18`) have `first.last.<i>@ac-lille.fr`. */
export const hasContactEmail = (i: number): boolean => hashOf(i) % 3n === 0n;

/** Account `i`'s names and login: last name `h % L`, first name `(h / L) % F`. */
export function namesOf(i: number): { lastName: string; firstName: string; login: string } {
  const h = hashOf(i);
  const lastName = LAST_NAMES[Number(h % BigInt(LAST_NAMES.length))]!;
  const firstName = FIRST_NAMES[Number((h / BigInt(LAST_NAMES.length)) % BigInt(FIRST_NAMES.length))]!;
  return { lastName, firstName, login: `${loginPart(firstName)}.${loginPart(lastName)}${i}` };
}

export async function seedSearchTenant(store: SqlStore, tenantId: string, accounts: number, { structureSize = STRUCTURE_SIZE } = {}): Promise<void> {
  const postgres = store.dialect === 'postgres';
  const db = store.db as unknown as Kysely<any>;
  // PostgreSQL wants the parameter's type where it meets `||`.
  const t = postgres ? sql`${tenantId}::text` : sql`${tenantId}`;
  const structures = structureCount(accounts, structureSize);
  const classes = Math.ceil(structureSize / CLASS_SIZE);
  const lit = (n: number) => sql.lit(n);
  // Row numbers 0..n-1, in each engine's way.
  const series = (n: number) => (postgres
    ? sql`select i::bigint as i from generate_series(0, ${lit(n - 1)}) as g(i)`
    : sql`with recursive r(i) as (select 0 union all select i + 1 from r where i < ${lit(n - 1)}) select i from r`);
  await db.transaction().execute(async (trx) => {
    await sql`create table bench_last_names (k integer primary key, name text not null, part text not null)`.execute(trx);
    await sql`create table bench_first_names (k integer primary key, name text not null, part text not null)`.execute(trx);
    await insertNames(trx, 'bench_last_names', LAST_NAMES);
    await insertNames(trx, 'bench_first_names', FIRST_NAMES);
    await sql`insert into structures (id, tenant_id, uai, name)
      select ${t} || '-s' || i, ${t}, ${postgres ? sql`lpad(i::text, 7, '0')` : sql`printf('%07d', i)`} || 'S', 'Établissement ' || i
      from (${series(structures)}) as n`.execute(trx);
    await sql`insert into groups (id, tenant_id, structure_id, kind, code, name)
      select ${t} || '-g' || i, ${t}, ${t} || '-s' || (i / ${lit(classes)}), 'class', 'C' || (i % ${lit(classes)}), 'Classe ' || (i % ${lit(classes)})
      from (${series(structures * classes)}) as n`.execute(trx);
    const now = new Date().toISOString();
    const id = postgres ? sql`'01930000-0000-7000-8000-' || lpad(to_hex(n.i), 12, '0')` : sql`printf('01930000-0000-7000-8000-%012x', n.i)`;
    const ts = postgres ? sql`${now}::timestamptz` : sql`${now}`;
    const L = lit(LAST_NAMES.length);
    const F = lit(FIRST_NAMES.length);
    await sql`insert into accounts (id, tenant_id, login, profile, first_name, last_name, display_name, email, academic_email, status, external_id, source, created_at, updated_at)
      select ${id}, ${t}, f.part || '.' || l.part || n.i,
        case when n.i % 20 < 12 then 'Student' when n.i % 20 < 18 then 'Relative' when n.i % 20 = 18 then 'Teacher' else 'Personnel' end,
        f.name, l.name, f.name || ' ' || l.name,
        case when n.h % 3 = 0 then upper(substr(f.part, 1, 1)) || substr(f.part, 2) || '.' || upper(l.part) || '.' || n.i || '@Example.org' end,
        case when n.i % 20 >= 18 then f.part || '.' || l.part || '.' || n.i || '@ac-lille.fr' end,
        case when (n.h / 7) % 100 < 80 then 'active' when (n.h / 7) % 100 < 95 then 'pending' when (n.h / 7) % 100 < 98 then 'disabled' else 'disappeared' end,
        'BENCH-' || n.i, 'bench', ${ts}, ${ts}
      from (select i, (i * 48271) % 2147483647 as h from (${series(accounts)}) as s) as n
      join bench_last_names l on l.k = n.h % ${L}
      join bench_first_names f on f.k = (n.h / ${L}) % ${F}`.execute(trx);
    await sql`insert into account_structures (tenant_id, account_id, structure_id)
      select ${t}, ${id}, ${t} || '-s' || (n.i / ${lit(structureSize)}) from (${series(accounts)}) as n`.execute(trx);
    await sql`insert into group_members (tenant_id, account_id, group_id)
      select ${t}, ${id}, ${t} || '-g' || ((n.i / ${lit(structureSize)}) * ${lit(classes)} + (n.i % ${lit(structureSize)}) / ${lit(CLASS_SIZE)})
      from (${series(accounts)}) as n`.execute(trx);
    await sql`drop table bench_last_names`.execute(trx);
    await sql`drop table bench_first_names`.execute(trx);
  });
  // Planner statistics, as a production database has them (autovacuum, `ANALYZE` after an import).
  await sql`analyze`.execute(db);
}

async function insertNames(db: Kysely<any>, table: string, names: readonly string[]): Promise<void> {
  const rows = names.map((name, k) => ({ k, name, part: loginPart(name) }));
  await db.insertInto(table).values(rows).execute();
}
