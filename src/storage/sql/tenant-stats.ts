/**
 * The dashboard's figures, one GROUP BY each, counted by the engine. A structure filter is a
 * semi-join on account_structures (an account attached to two of the schools counts once).
 * 0013's index on accounts (tenant_id, profile, status, id) covers the whole-tenant figures.
 * Counts come back as numbers from SQLite and as bigint text from PostgreSQL: `Number()` reads both.
 */
import { sql, type ExpressionBuilder, type Kysely } from 'kysely';
import type { AccountStatus, Profile } from '../../identity/vocabulary.js';
import { InvariantBroken } from '../../shared/errors.js';
import type { DayCount, ProfileStatusCount, StatsFilter, StructureActivation, TenantStats } from '../ports/index.js';
import { MAX_SIGN_IN_DAYS, SIGN_IN_EVENT_TYPES } from '../ports/index.js';
import { dialectOf } from './dialect.js';
import { toTimestamp } from './rows.js';
import type { Database } from './schema.js';

const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` of the UTC day of `date`. */
const utcDay = (date: Date): string => date.toISOString().slice(0, 10);

export function tenantStats(db: Kysely<Database>, tenantId: string): TenantStats {
  // The UTC day of an event: SQLite keeps `at` as ISO text; PostgreSQL's timestamptz is put in
  // UTC first, grouped as a date and written as text once per day, not once per event.
  const day = dialectOf(db as unknown as Kysely<unknown>) === 'postgres'
    ? { group: sql<string>`(at at time zone 'UTC')::date`, text: sql<string>`to_char((at at time zone 'UTC')::date, 'YYYY-MM-DD')` }
    : { group: sql<string>`substr(at, 1, 10)`, text: sql<string>`substr(at, 1, 10)` };

  /** Accounts of the tenant attached to one of `structureIds`. */
  const attachedTo = (structureIds: readonly string[]) => (eb: ExpressionBuilder<Database, 'accounts'>) =>
    eb('accounts.id', 'in', eb.selectFrom('account_structures').select('account_id')
      .where('account_structures.tenant_id', '=', tenantId)
      .where('structure_id', 'in', structureIds));

  /** Per structure, its links' accounts: all of them, the active ones, the pending ones. */
  const statusCounts = (eb: ExpressionBuilder<Database, 'accounts' | 'account_structures'>) => [
    eb.fn.countAll<number | string>().as('accounts'),
    eb.fn.sum<number | string>(eb.case().when('accounts.status', '=', 'active').then(1).else(0).end()).as('active'),
    eb.fn.sum<number | string>(eb.case().when('accounts.status', '=', 'pending').then(1).else(0).end()).as('pending'),
  ];

  /**
   * Every link of the tenant, read from the accounts' side: on SQLite, CROSS JOIN keeps that
   * order, a scan of the tenant's accounts (0013's covering index) with one probe of the links'
   * primary key each, four times faster at a million than probing from each school (which the
   * planner prefers, to spare a sort). PostgreSQL reads it as an inner join and plans it freely.
   * The link's tenant needs no check: its foreign key ties it to its account's.
   */
  const linksOfTenant = () => db.selectFrom('accounts')
    .crossJoin('account_structures')
    .whereRef('account_structures.account_id', '=', 'accounts.id')
    .where('accounts.tenant_id', '=', tenantId)
    .select((eb) => ['account_structures.structure_id', ...statusCounts(eb)])
    .groupBy('account_structures.structure_id');

  /** The links of a few structures, read from each structure's side. */
  const linksOfStructures = (structureIds: readonly string[]) => db.selectFrom('account_structures')
    .innerJoin('accounts', (join) => join
      .onRef('accounts.id', '=', 'account_structures.account_id')
      .onRef('accounts.tenant_id', '=', 'account_structures.tenant_id'))
    .where('account_structures.tenant_id', '=', tenantId)
    .where('account_structures.structure_id', 'in', structureIds)
    .select((eb) => ['account_structures.structure_id', ...statusCounts(eb)])
    .groupBy('account_structures.structure_id');

  return {
    async accountsByProfileAndStatus(filter: StatsFilter): Promise<ProfileStatusCount[]> {
      if (filter.structureIds?.length === 0) return [];
      const rows = await db.selectFrom('accounts')
        .select(['profile', 'status', (eb) => eb.fn.countAll().as('count')])
        .where('accounts.tenant_id', '=', tenantId)
        .$if(filter.structureIds !== undefined, (q) => q.where(attachedTo(filter.structureIds!)))
        .groupBy(['profile', 'status'])
        .orderBy('profile').orderBy('status')
        .execute();
      return rows.map((row) => ({ profile: row.profile as Profile, status: row.status as AccountStatus, count: Number(row.count) }));
    },

    async activationByStructure(filter: StatsFilter): Promise<StructureActivation[]> {
      if (filter.structureIds?.length === 0) return [];
      const counts = filter.structureIds === undefined ? linksOfTenant() : linksOfStructures(filter.structureIds);
      const rows = await db.selectFrom('structures')
        .leftJoin(counts.as('c'), 'c.structure_id', 'structures.id')
        .select(['structures.id', 'structures.uai', 'structures.name', 'c.accounts', 'c.active', 'c.pending'])
        .where('structures.tenant_id', '=', tenantId)
        .$if(filter.structureIds !== undefined, (q) => q.where('structures.id', 'in', filter.structureIds!))
        .orderBy('structures.uai').orderBy('structures.id')
        .execute();
      return rows.map((row) => ({
        structureId: row.id, uai: row.uai, name: row.name,
        accounts: Number(row.accounts ?? 0), active: Number(row.active ?? 0), pending: Number(row.pending ?? 0),
      }));
    },

    async signInsPerDay(days: number, now: Date): Promise<DayCount[]> {
      if (!Number.isInteger(days) || days < 1 || days > MAX_SIGN_IN_DAYS) {
        throw new InvariantBroken(`sign-ins per day are counted over 1 to ${MAX_SIGN_IN_DAYS} days, not ${days}`);
      }
      const today = Date.parse(utcDay(now));
      const wanted = Array.from({ length: days }, (_, i) => utcDay(new Date(today - (days - 1 - i) * DAY_MS)));
      const rows = await db.selectFrom('audit_events')
        .select([day.text.as('day'), (eb) => eb.fn.countAll().as('count')])
        .where('tenant_id', '=', tenantId)
        .where('type', 'in', SIGN_IN_EVENT_TYPES)
        .where('at', '>=', toTimestamp(new Date(Date.parse(wanted[0]!))))
        .where('at', '<', toTimestamp(new Date(today + DAY_MS)))
        .groupBy(day.group)
        .execute();
      const counted = new Map(rows.map((row) => [row.day, Number(row.count)]));
      return wanted.map((day) => ({ day, count: counted.get(day) ?? 0 }));
    },
  };
}
