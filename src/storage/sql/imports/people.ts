/**
 * People of an import, a batch at a time: one query to find what exists, one transaction to
 * write creates, updates, memberships and links. Nothing is kept per person between batches
 * but the staging rows of links (`import_pending_relations`).
 */
import type { Kysely, Transaction } from 'kysely';
import type { AccountBatch, AccountChanges, AccountMerge, AccountUpdate, AccountWrite, ExistingAccount, SourceAccount } from '../../ports/imports.js';
import type { AccountStatus } from '../../../identity/vocabulary.js';
import { nowTimestamp, toTimestamp } from '../rows.js';
import type { Database } from '../schema.js';
import { chunks } from './batches.js';
import { rawSql, type Param, type RowInserter, type Value } from './raw.js';
import { InvariantBroken } from '../../../shared/errors.js';

/** The indexed columns an import writes on an account, in the order of `keyValues`. */
const KEY_COLUMNS = ['dn', 'external_id', 'ine', 'academic_email'] as const;
/** The other columns it writes, in the order of `fieldValues`. */
const FIELD_COLUMNS = ['source', 'profile', 'first_name', 'last_name', 'display_name', 'birth_date', 'email', 'gar_id'] as const;

const keyValues = (a: AccountWrite): Value[] => [a.dn, a.externalId, a.ine, a.academicEmail];
const fieldValues = (a: AccountWrite): Value[] => [a.source, a.profile, a.firstName, a.lastName, `${a.firstName} ${a.lastName}`, a.birthDate, a.email, a.garId];

/**
 * The columns an update sets, from its VALUES row after the id: the changed parts and the
 * content hash. Unchanged keys stay out of the SET list: SQLite rewrites the index entries of
 * every column set, even to its own value.
 */
function updateColumns(changes: AccountChanges): { columns: string[]; values: (a: AccountUpdate) => Value[] } {
  const columns = [...(changes.keys ? KEY_COLUMNS : []), ...(changes.fields ? FIELD_COLUMNS : []), 'content_hash'];
  return { columns, values: (a) => [...(changes.keys ? keyValues(a) : []), ...(changes.fields ? fieldValues(a) : []), a.contentHash] };
}

const CREATE_COLUMNS = ['id', 'tenant_id', 'login', 'status', 'password_hash', 'activation_code_hash', 'created_at', 'updated_at', 'disappeared_at', ...KEY_COLUMNS, ...FIELD_COLUMNS, 'content_hash'];
/** Columns of `insertRows` tables that PostgreSQL types timestamptz (sent as ISO text). */
const TIMESTAMP_COLUMNS = new Set(['created_at', 'updated_at', 'disappeared_at']);
const PENDING_COLUMNS = ['run_id', 'account_id', 'side', 'other_external_id', 'other_dn'];
/** Statuses of an account the directory still vouches for; the others are disappeared. */
const LIVE = "('active', 'pending', 'disabled')";

/** The two ways a pending link names its other person: by external id or by DN. */
const OTHER_KEYS = [
  { column: 'external_id', pending: 'other_external_id' },
  { column: 'dn', pending: 'other_dn' },
] as const;

/**
 * Created accounts of a run at which the planner's statistics are refreshed, then at ten, a
 * hundred… times as many: a server without autovacuum keeps planning for empty tables
 * (sequential scans in every batch) while an import fills them.
 */
const FIRST_STATISTICS_REFRESH = 2000;

/** How the SQL import store works, as its caller tunes it. */
export interface ImportTuning {
  /** How rows reach a SQLite store (unused on PostgreSQL). */
  sqliteRows?: RowInserter;
  /** Accounts whose links are made per transaction; default: the engine's. */
  linksPerTransaction?: number;
}

export function importPeople(db: Kysely<Database>, tenantId: string, { sqliteRows, linksPerTransaction }: ImportTuning) {
  const raw = rawSql(db);
  const { param, tuples } = raw;
  const pg = raw.dialect === 'postgres';
  const perTransaction = linksPerTransaction ?? (pg ? 250_000 : 50_000);

  /** Whether the run's created accounts crossed a refresh point with this batch. */
  function statisticsStale(batch: AccountBatch): boolean {
    const after = batch.runCounters.created;
    const before = after - batch.creates.length;
    const step = (created: number) => (created < FIRST_STATISTICS_REFRESH ? -1 : Math.floor(Math.log10(created / FIRST_STATISTICS_REFRESH)));
    return step(after) > step(before);
  }

  async function refreshStatistics(): Promise<void> {
    // SQLite plans well enough from its indexes alone (no sqlite_stat1 is better than a stale one).
    if (!pg) return;
    await raw.run(db, 'analyze accounts, account_structures, group_members, relations, import_pending_relations', []);
  }

  /**
   * Inserts `rows` (each `columns.length` values; text, or ISO timestamps). SQLite runs one
   * prepared statement per row on its connection (`RowInserter`); PostgreSQL gets one statement
   * whose text stays the same whatever the number of rows, one array per column: a multi-row
   * VALUES list took a statement per 500 rows, each with thousands of parameters to bind and a
   * long text to parse and plan.
   */
  async function insertRows(target: Kysely<Database>, table: string, columns: readonly string[], rows: Value[][]): Promise<void> {
    if (rows.length === 0) return;
    if (!pg) {
      if (!sqliteRows) throw new InvariantBroken('a SQLite import store needs the connection to insert rows');
      sqliteRows.insert(table, columns, rows);
      return;
    }
    const select = columns.map((c, i) => (TIMESTAMP_COLUMNS.has(c) ? `u.c${i}::timestamptz` : `u.c${i}`)).join(', ');
    const arrays = columns.map((_, i) => `${param(i + 1)}::text[]`).join(', ');
    const names = columns.map((_, i) => `c${i}`).join(', ');
    const parameters = columns.map((_, i) => rows.map((row) => {
      const value = row[i] ?? null;
      return value === null ? null : String(value);
    }));
    await raw.run(target, `insert into ${table} (${columns.join(', ')}) select ${select} from unnest(${arrays}) as u(${names})`, parameters);
  }

  /** `column in (…)` of `values` (non-empty, any number), its one parameter numbered `first`. */
  function inList(column: string, values: readonly string[], first: number): { text: string; parameters: Param[] } {
    return pg
      ? { text: `${column} = any(${param(first)}::text[])`, parameters: [[...values]] }
      : { text: `${column} in (select value from json_each(?))`, parameters: [JSON.stringify(values)] };
  }

  /**
   * Links the pending rows of the accounts in (`after`, `upTo`] (to the end when null). Each row
   * costs one index lookup: one equality join per way of naming the other person (an OR in the
   * join made SQLite scan). The pairs go to a temporary table, never through the process, and
   * are counted there rather than looked up a second time.
   */
  async function resolveChunk(runId: string, after: string, upTo: string | null): Promise<{ linked: number; unresolved: number }> {
    // The chunk's rows, their parameters numbered from `first` (after the tenant's in the join).
    const range = (first: number) => `r.run_id = ${param(first)} and r.account_id > ${param(first + 1)}${upTo === null ? '' : ` and r.account_id <= ${param(first + 2)}`}`;
    const bounds = upTo === null ? [runId, after] : [runId, after, upTo];
    return db.transaction().execute(async (trx) => {
      await raw.run(trx, `create temporary table import_resolved (parent_id text not null, child_id text not null)${pg ? ' on commit drop' : ''}`, []);
      for (const key of OTHER_KEYS) {
        // SQLite probes the pending rows in the order of the key they name, so the probes walk
        // the accounts index from one end to the other instead of jumping around it (at a
        // million people the link phase took 57 s, now 47 s); it drops the ORDER BY of a FROM
        // subquery unless it has a LIMIT. PostgreSQL plans the join itself (sorting first was
        // no faster there). CROSS JOIN: SQLite then keeps the pending rows outside (its planner
        // otherwise put the accounts there, and read every pending row for each account).
        await raw.run(trx, 'insert into import_resolved (parent_id, child_id) '
          + "select case r.side when 'parent' then r.account_id else o.id end, case r.side when 'parent' then o.id else r.account_id end "
          + `from (select r.account_id, r.side, r.${key.pending} as other from import_pending_relations r where ${range(1)} and r.${key.pending} is not null${pg ? '' : ' order by 3 limit -1'}) r `
          + `cross join accounts o where o.tenant_id = ${param(bounds.length + 1)} and o.${key.column} = r.other and o.id <> r.account_id`,
        [...bounds, tenantId]);
      }
      // Most links are stated two to four times (the pupil's guardians by jointure and by DN,
      // the parent's children by DN): each distinct pair is inserted once (on SQLite in key
      // order too: its group by sorts). `where true`: without it SQLite reads the ON CONFLICT
      // as part of the FROM clause.
      const { affected: linked } = await raw.run(trx, `insert into relations (tenant_id, parent_id, child_id) select ${param(1)}, parent_id, child_id from import_resolved where true group by parent_id, child_id on conflict do nothing`, [tenantId]);
      const count = async (text: string, parameters: string[]) => Number((await raw.run<{ n: number | string }>(trx, text, parameters)).rows[0]!.n);
      const pending = await count(`select count(*) as n from import_pending_relations r where ${range(1)}`, bounds);
      const resolved = await count('select count(*) as n from import_resolved', []);
      if (!pg) await raw.run(trx, 'drop table import_resolved', []);
      return { linked, unresolved: pending - resolved };
    });
  }

  /** Both engines take any number of values in one parameter (a JSON list, a text array). */
  const parts = <T>(items: readonly T[]): T[][] => (items.length === 0 ? [] : [[...items]]);

  /** `replacing` (existing accounts) lose their old memberships first; `creates` have none to delete. */
  async function writeMemberships(trx: Transaction<Database>, creates: AccountWrite[], replacing: AccountWrite[]): Promise<void> {
    for (const part of parts(replacing.map((a) => a.id))) {
      const ids = inList('account_id', part, 2);
      for (const table of ['account_structures', 'group_members']) {
        await raw.run(trx, `delete from ${table} where tenant_id = ${param(1)} and ${ids.text}`, [tenantId, ...ids.parameters]);
      }
    }
    const accounts = [...creates, ...replacing];
    const structures = accounts.flatMap((a) => [...new Set(a.structureIds)].map((structureId): Value[] => [tenantId, a.id, structureId]));
    const groups = accounts.flatMap((a) => [...new Set(a.groupIds)].map((groupId): Value[] => [tenantId, a.id, groupId]));
    await insertRows(trx, 'account_structures', ['tenant_id', 'account_id', 'structure_id'], structures);
    await insertRows(trx, 'group_members', ['tenant_id', 'account_id', 'group_id'], groups);
  }

  /**
   * One statement per shape (which parts changed) and chunk, from a VALUES list (column1 = id).
   * A disappeared account that comes back is active again (or pending if never activated).
   */
  async function updateAccounts(trx: Transaction<Database>, updates: AccountUpdate[], now: string): Promise<void> {
    const shapes = new Map<string, AccountUpdate[]>();
    for (const a of updates) {
      const key = `${a.changes.keys}|${a.changes.fields}`;
      const same = shapes.get(key);
      if (same) same.push(a);
      else shapes.set(key, [a]);
    }
    for (const same of shapes.values()) {
      const { columns, values } = updateColumns(same[0]!.changes);
      const set = columns.map((c, i) => `${c} = v.column${i + 2}`).join(', ');
      for (const part of chunks(same)) {
        // Placeholders in text order: SQLite's `?` are positional.
        await raw.run(trx,
          `update accounts set ${set}, updated_at = ${param(1)}, disappeared_at = null, `
          + `status = case when status = 'disappeared' then case when password_hash is null then 'pending' else 'active' end else status end `
          + `from (values ${tuples(part.length, columns.length + 1, 2)}) as v where accounts.tenant_id = ${param(2 + part.length * (columns.length + 1))} and accounts.id = v.column1`,
          [now, ...part.flatMap((a) => [a.id, ...values(a)]), tenantId]);
      }
    }
  }

  /** The pending links earlier runs left for accounts whose links this batch states anew. */
  async function dropSuperseded(trx: Transaction<Database>, runs: string[], accountIds: string[]): Promise<void> {
    if (runs.length === 0 || accountIds.length === 0) return;
    const inRuns = inList('run_id', runs, 1);
    const ofAccounts = inList('account_id', accountIds, 2);
    await raw.run(trx, `delete from import_pending_relations where ${inRuns.text} and ${ofAccounts.text}`, [...inRuns.parameters, ...ofAccounts.parameters]);
  }

  /** Memberships a merged entry adds; those the account has already stay as they are. */
  async function addMemberships(trx: Transaction<Database>, merges: AccountMerge[]): Promise<void> {
    const structures = merges.flatMap((m) => m.structureIds.map((id) => [m.accountId, id]));
    const groups = merges.flatMap((m) => m.groupIds.map((id) => [m.accountId, id]));
    for (const [table, column, rows] of [['account_structures', 'structure_id', structures], ['group_members', 'group_id', groups]] as const) {
      for (const part of chunks(rows)) {
        await raw.run(trx, `insert into ${table} (tenant_id, account_id, ${column}) select ${param(1)}, v.column1, v.column2 from (values ${tuples(part.length, 2, 2)}) as v where true on conflict do nothing`,
          [tenantId, ...part.flat()]);
      }
    }
  }

  return {
    async findAccounts(query: { externalIds: string[]; ines: string[] }): Promise<ExistingAccount[]> {
      const out = new Map<string, ExistingAccount>();
      type Row = { id: string; external_id: string | null; ine: string | null; birth_date: string | null; login: string; status: string; content_hash: string | null };
      const find = async (column: 'external_id' | 'ine', values: string[]) => {
        for (const part of parts(values)) {
          const where = inList(column, part, 2);
          const { rows } = await raw.run<Row>(db,
            `select id, external_id, ine, birth_date, login, status, content_hash from accounts where tenant_id = ${param(1)} and ${where.text}`,
            [tenantId, ...where.parameters]);
          for (const r of rows) out.set(r.id, { id: r.id, externalId: r.external_id, ine: r.ine, birthDate: r.birth_date, login: r.login, status: r.status as AccountStatus, contentHash: r.content_hash });
        }
      };
      await find('external_id', query.externalIds);
      await find('ine', query.ines);
      return [...out.values()];
    },

    async takenLogins(bases: string[]): Promise<Set<string>> {
      const taken = new Set<string>();
      // `base`, `base2`, `base10`… all sort between `base` and `base:` (':' follows '9').
      for (const part of parts([...new Set(bases)])) {
        const { rows } = pg
          // One index range per base, joined from an array (an OR of ranges needed a statement per 100 bases).
          ? await raw.run<{ login: string }>(db, 'select a.login from unnest($1::text[]) as b(base) cross join accounts as a where a.login >= b.base and a.login < b.base || \':\'', [part])
          // One index range per base, from a JSON list: the OR of ranges costs a long statement to prepare.
          : await raw.run<{ login: string }>(db, "select a.login from json_each(?) as b cross join accounts as a where a.login >= b.value and a.login < b.value || ':'", [JSON.stringify(part)]);
        for (const { login } of rows) taken.add(login);
      }
      return taken;
    },

    async applyAccounts(runId: string, batch: AccountBatch): Promise<void> {
      const now = nowTimestamp();
      await db.transaction().execute(async (trx) => {
        await dropSuperseded(trx, batch.supersededRuns, batch.restated);
        await insertRows(trx, 'accounts', CREATE_COLUMNS, batch.creates.map((a) => [
          a.id, tenantId, a.login, 'pending', null, a.activationCodeHash, now, now, null, ...keyValues(a), ...fieldValues(a), a.contentHash,
        ]));
        // Row by row, the last write of an account won: a joined VALUES list must name it once.
        const updates = [...new Map(batch.updates.map((a) => [a.id, a])).values()];
        await updateAccounts(trx, updates, now);
        await writeMemberships(trx, batch.creates, updates.filter((a) => a.changes.memberships));
        await addMemberships(trx, batch.merges);
        for (const part of parts(batch.replaceParentsOf)) {
          const children = inList('child_id', part, 2);
          await raw.run(trx, `delete from relations where tenant_id = ${param(1)} and ${children.text}`, [tenantId, ...children.parameters]);
        }
        await trx.updateTable('import_runs').set({ counters: JSON.stringify(batch.runCounters) }).where('tenant_id', '=', tenantId).where('id', '=', runId).execute();
        await insertRows(trx, 'import_pending_relations', PENDING_COLUMNS, batch.relations.map((r) => [
          runId, r.accountId, r.side, 'externalId' in r.other ? r.other.externalId : null, 'dn' in r.other ? r.other.dn : null,
        ]));
      });
      // Before the next batch looks up accounts: it is planned with what the tables now hold.
      if (statisticsStale(batch)) await refreshStatistics();
    },

    async adoptPendingRelations(fromRuns: string[], runId: string): Promise<void> {
      for (const part of parts(fromRuns)) {
        const runs = inList('run_id', part, 2);
        // Accounts purged since their run stopped have nothing left to link.
        await raw.run(db, `delete from import_pending_relations where not exists (select 1 from accounts a where a.tenant_id = ${param(1)} and a.id = import_pending_relations.account_id) and ${runs.text}`,
          [tenantId, ...runs.parameters]);
        const moved = inList('run_id', part, 2);
        await raw.run(db, `update import_pending_relations set run_id = ${param(1)} where ${moved.text}`, [runId, ...moved.parameters]);
      }
    },

    async resolveRelations(runId: string): Promise<{ linked: number; unresolved: number }> {
      let linked = 0;
      let unresolved = 0;
      // A chunk at a time, by account id: the resolved pairs wait in a temporary table (in
      // memory on SQLite), which must not grow with the directory. PostgreSQL joins each
      // chunk with all the accounts (a hash join over a full read): larger chunks, fewer reads.
      for (let after = ''; ;) {
        const { rows } = await raw.run<{ account_id: string }>(db,
          `select account_id from import_pending_relations where run_id = ${param(1)} and account_id > ${param(2)} order by account_id limit 1 offset ${param(3)}`,
          [runId, after, Math.max(0, Math.floor(perTransaction) - 1)]);
        const upTo = rows[0]?.account_id ?? null;
        const chunk = await resolveChunk(runId, after, upTo);
        linked += chunk.linked;
        unresolved += chunk.unresolved;
        if (upTo === null) return { linked, unresolved };
        after = upTo;
      }
    },

    async liveAccountsOfSource(source: string, afterId: string | null, limit: number): Promise<SourceAccount[]> {
      // Keyset pages on (tenant_id, id): no index on the source is kept for a read once per run.
      const { rows } = await raw.run<{ id: string; external_id: string | null }>(db,
        `select id, external_id from accounts where tenant_id = ${param(1)} and id > ${param(2)} and source = ${param(3)} and status in ${LIVE} order by id limit ${param(4)}`,
        [tenantId, afterId ?? '', source, limit]);
      return rows.map((r) => ({ id: r.id, externalId: r.external_id }));
    },

    async markDisappeared(ids: string[], at: Date): Promise<number> {
      let marked = 0;
      const when = toTimestamp(at);
      for (const part of parts(ids)) {
        const where = inList('id', part, 4);
        const { affected } = await raw.run(db, `update accounts set status = 'disappeared', disappeared_at = ${param(1)}, updated_at = ${param(2)} where tenant_id = ${param(3)} and ${where.text} and status in ${LIVE}`,
          [when, when, tenantId, ...where.parameters]);
        marked += affected;
      }
      return marked;
    },

    async purgeDisappeared(before: Date): Promise<number> {
      const result = await db.deleteFrom('accounts').where('tenant_id', '=', tenantId).where('status', '=', 'disappeared')
        .where('disappeared_at', '<', toTimestamp(before)).executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async cleanupRun(runId: string): Promise<void> {
      await db.deleteFrom('import_pending_relations').where('run_id', '=', runId).execute();
    },
  };
}
