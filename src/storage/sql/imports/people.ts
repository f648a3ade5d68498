/**
 * People of an import, a batch at a time: one query to find what exists, one transaction to
 * write creates, updates, memberships and links. Nothing is kept per person between batches
 * but the staging rows (`import_seen`, `import_pending_relations`).
 */
import type { ExpressionBuilder, Kysely, Transaction } from 'kysely';
import type { AccountCreate, AccountWrite, ExistingAccount, PendingRelation } from '../../ports/imports.js';
import type { AccountStatus } from '../../ports/model.js';
import { nowTimestamp, toTimestamp } from '../rows.js';
import type { Database, ImportPendingRelationsTable } from '../schema.js';
import { chunks } from './batches.js';
import { rawSql, type Param, type Value } from './raw.js';

/** The columns an import writes on an account, in the order of `fieldValues`. */
const FIELD_COLUMNS = ['dn', 'external_id', 'source', 'profile', 'first_name', 'last_name', 'display_name', 'birth_date', 'email', 'academic_email', 'ine', 'gar_id', 'content_hash'] as const;

function fieldValues(a: AccountWrite): Value[] {
  return [a.dn, a.externalId, a.source, a.profile, a.firstName, a.lastName, `${a.firstName} ${a.lastName}`, a.birthDate, a.email, a.academicEmail, a.ine, a.garId, a.contentHash];
}

const CREATE_COLUMNS = ['id', 'tenant_id', 'login', 'status', 'password_hash', 'activation_code_hash', 'created_at', 'updated_at', 'disappeared_at', ...FIELD_COLUMNS];
/** Columns of `insertRows` tables that PostgreSQL types timestamptz (sent as ISO text). */
const TIMESTAMP_COLUMNS = new Set(['created_at', 'updated_at', 'disappeared_at']);
const PENDING_COLUMNS = ['run_id', 'parent_external_id', 'parent_dn', 'child_external_id', 'child_dn'];

/** The two ways a pending link names a person: its external id or its DN. */
const REF_KEYS = [
  { column: 'external_id', parent: 'parent_external_id', child: 'child_external_id' },
  { column: 'dn', parent: 'parent_dn', child: 'child_dn' },
] as const;

export function importPeople(db: Kysely<Database>, tenantId: string) {
  const raw = rawSql(db);
  const { param, tuples } = raw;
  const pg = raw.dialect === 'postgres';

  /**
   * Multi-row INSERT of `rows` (each `columns.length` values; text, or ISO timestamps), in one
   * statement whose text stays the same whatever the number of rows. SQLite gets them as one JSON
   * parameter, PostgreSQL as one array per column: binding thousands of parameters one by one,
   * and preparing a statement as long, cost more than inserting the rows.
   */
  async function insertRows(target: Kysely<Database>, table: string, columns: readonly string[], rows: Value[][], tail = ''): Promise<Array<Record<string, unknown>>> {
    if (rows.length === 0) return [];
    if (!pg) {
      // Each row is turned into JSONB once (a materialized CTE): `->>` on JSON text parses the
      // row again for every column, which cost more than the index writes of a 22-column row.
      const select = columns.map((_, i) => `v ->> ${i}`).join(', ');
      // `where true`: without it SQLite reads the ON CONFLICT of `tail` as part of a join.
      return (await raw.run(target, `insert into ${table} (${columns.join(', ')}) with r(v) as materialized (select jsonb(value) from json_each(?)) select ${select} from r where true ${tail}`, [JSON.stringify(rows)])).rows;
    }
    // A multi-row VALUES list took a statement per 500 rows, each with thousands of parameters
    // to bind and a long text to parse and plan: unnest() of text arrays is one short statement.
    const select = columns.map((c, i) => (TIMESTAMP_COLUMNS.has(c) ? `u.c${i}::timestamptz` : `u.c${i}`)).join(', ');
    const arrays = columns.map((_, i) => `${param(i + 1)}::text[]`).join(', ');
    const names = columns.map((_, i) => `c${i}`).join(', ');
    const parameters = columns.map((_, i) => rows.map((row) => {
      const value = row[i] ?? null;
      return value === null ? null : String(value);
    }));
    return (await raw.run(target, `insert into ${table} (${columns.join(', ')}) select ${select} from unnest(${arrays}) as u(${names}) ${tail}`, parameters)).rows;
  }

  /** `column in (…)` of `values` (non-empty, any number), its one parameter numbered `first`. */
  function inList(column: string, values: readonly string[], first: number): { text: string; parameters: Param[] } {
    return pg
      ? { text: `${column} = any(${param(first)}::text[])`, parameters: [[...values]] }
      : { text: `${column} in (select value from json_each(?))`, parameters: [JSON.stringify(values)] };
  }

  /** Both engines take any number of values in one parameter (a JSON list, a text array). */
  const parts = <T>(items: readonly T[]): T[][] => (items.length === 0 ? [] : [[...items]]);

  /** Existing accounts lose their old memberships first; new ones have none to delete. */
  async function writeMemberships(trx: Transaction<Database>, accounts: AccountWrite[], replacing: AccountWrite[]): Promise<void> {
    for (const part of parts(replacing.map((a) => a.id))) {
      const ids = inList('account_id', part, 2);
      for (const table of ['account_structures', 'group_members']) {
        await raw.run(trx, `delete from ${table} where tenant_id = ${param(1)} and ${ids.text}`, [tenantId, ...ids.parameters]);
      }
    }
    const structures = accounts.flatMap((a) => [...new Set(a.structureIds)].map((structureId): Value[] => [tenantId, a.id, structureId]));
    const groups = accounts.flatMap((a) => [...new Set(a.groupIds)].map((groupId): Value[] => [tenantId, a.id, groupId]));
    await insertRows(trx, 'account_structures', ['tenant_id', 'account_id', 'structure_id'], structures);
    await insertRows(trx, 'group_members', ['tenant_id', 'account_id', 'group_id'], groups);
  }

  return {
    async markSeen(runId: string, externalIds: string[]): Promise<Set<string>> {
      const duplicates = new Set<string>();
      for (const part of parts([...new Set(externalIds)])) {
        const rows = await insertRows(db, 'import_seen', ['run_id', 'external_id'], part.map((externalId) => [runId, externalId]), 'on conflict do nothing returning external_id');
        const fresh = new Set(rows.map((r) => r.external_id as string));
        for (const id of part) if (!fresh.has(id)) duplicates.add(id);
      }
      return duplicates;
    },

    async findAccounts(query: { externalIds: string[]; ines: string[] }): Promise<ExistingAccount[]> {
      const out = new Map<string, ExistingAccount>();
      type Row = { id: string; external_id: string | null; ine: string | null; login: string; status: string; content_hash: string | null };
      const find = async (column: 'external_id' | 'ine', values: string[]) => {
        for (const part of parts(values)) {
          const where = inList(column, part, 2);
          const { rows } = await raw.run<Row>(db,
            `select id, external_id, ine, login, status, content_hash from accounts where tenant_id = ${param(1)} and ${where.text}`,
            [tenantId, ...where.parameters]);
          for (const r of rows) out.set(r.id, { id: r.id, externalId: r.external_id, ine: r.ine, login: r.login, status: r.status as AccountStatus, contentHash: r.content_hash });
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

    async applyAccounts(runId: string, batch: { creates: AccountCreate[]; updates: AccountWrite[]; relations: PendingRelation[]; replaceParentsOf: string[] }): Promise<void> {
      const now = nowTimestamp();
      await db.transaction().execute(async (trx) => {
        await insertRows(trx, 'accounts', CREATE_COLUMNS, batch.creates.map((a) => [
          a.id, tenantId, a.login, 'pending', null, a.activationCodeHash, now, now, null, ...fieldValues(a),
        ]));
        // One statement per chunk, from a VALUES list (column1 = id, then the fields), on both
        // engines. A disappeared account that comes back is active again (or pending if never activated).
        const width = 1 + FIELD_COLUMNS.length;
        const set = FIELD_COLUMNS.map((c, i) => `${c} = v.column${i + 2}`).join(', ');
        // Row by row, the last write of an account won: a joined VALUES list must name it once.
        const updates = [...new Map(batch.updates.map((a) => [a.id, a])).values()];
        for (const part of chunks(updates)) {
          // Placeholders in text order: SQLite's `?` are positional.
          await raw.run(trx,
            `update accounts set ${set}, updated_at = ${param(1)}, disappeared_at = null, `
            + `status = case when status = 'disappeared' then case when password_hash is null then 'pending' else 'active' end else status end `
            + `from (values ${tuples(part.length, width, 2)}) as v where accounts.tenant_id = ${param(2 + part.length * width)} and accounts.id = v.column1`,
            [now, ...part.flatMap((a) => [a.id, ...fieldValues(a)]), tenantId]);
        }
        await writeMemberships(trx, [...batch.creates, ...batch.updates], batch.updates);
        for (const part of parts(batch.replaceParentsOf)) {
          const children = inList('child_id', part, 2);
          await raw.run(trx, `delete from relations where tenant_id = ${param(1)} and ${children.text}`, [tenantId, ...children.parameters]);
        }
        await insertRows(trx, 'import_pending_relations', PENDING_COLUMNS, batch.relations.map((r) => [
          runId, r.parentExternalId ?? null, r.parentDn ?? null, r.childExternalId ?? null, r.childDn ?? null,
        ]));
      });
    },

    async resolveRelations(runId: string): Promise<{ linked: number; unresolved: number }> {
      // One equality join per kind of reference (external id or DN, on each side), so every
      // lookup uses an index; an OR in the join condition made SQLite scan (60 s for 1,500 people).
      // INSERT … SELECT: the pairs never travel through the process, whose memory must not
      // grow with the directory (a million people have about as many links).
      let linked = 0;
      for (const parentKey of REF_KEYS) {
        for (const childKey of REF_KEYS) {
          const pairs = db.selectFrom('import_pending_relations as r')
            .innerJoin('accounts as p', (j) => j.on('p.tenant_id', '=', tenantId).onRef(`p.${parentKey.column}`, '=', `r.${parentKey.parent}`))
            .innerJoin('accounts as c', (j) => j.on('c.tenant_id', '=', tenantId).onRef(`c.${childKey.column}`, '=', `r.${childKey.child}`))
            .select((eb) => [eb.val(tenantId).as('tenant_id'), 'p.id as parent_id', 'c.id as child_id'])
            .where('r.run_id', '=', runId)
            .whereRef('p.id', '<>', 'c.id')
            .distinct();
          const result = await db.insertInto('relations').columns(['tenant_id', 'parent_id', 'child_id']).expression(pairs)
            .onConflict((oc) => oc.doNothing()).executeTakeFirst();
          linked += Number(result.numInsertedOrUpdatedRows ?? 0);
        }
      }
      const known = (side: 'parent' | 'child') => (eb: ExpressionBuilder<Database & { r: ImportPendingRelationsTable }, 'r'>) => eb.or(REF_KEYS.map((key) =>
        eb.exists(eb.selectFrom('accounts as a').select('a.id').where('a.tenant_id', '=', tenantId).whereRef(`a.${key.column}`, '=', `r.${key[side]}`))));
      const unresolved = await db.selectFrom('import_pending_relations as r')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('r.run_id', '=', runId)
        .where((eb) => eb.not(eb.and([known('parent')(eb), known('child')(eb)])))
        .executeTakeFirstOrThrow();
      return { linked, unresolved: Number(unresolved.n) };
    },

    async countUnseen(runId: string, source: string): Promise<{ unseen: number; total: number }> {
      const base = db.selectFrom('accounts as a').where('a.tenant_id', '=', tenantId).where('a.source', '=', source).where('a.status', 'in', ['active', 'pending', 'disabled']);
      const total = Number((await base.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
      const unseen = Number((await base.select((eb) => eb.fn.countAll().as('n'))
        .where((eb) => eb.not(eb.exists(eb.selectFrom('import_seen as s').select('s.external_id').where('s.run_id', '=', runId).whereRef('s.external_id', '=', 'a.external_id'))))
        .executeTakeFirstOrThrow()).n);
      return { unseen, total };
    },

    async markUnseenDisappeared(runId: string, source: string, at: Date): Promise<number> {
      const result = await db.updateTable('accounts')
        .set({ status: 'disappeared', disappeared_at: toTimestamp(at), updated_at: toTimestamp(at) })
        .where('tenant_id', '=', tenantId).where('source', '=', source).where('status', 'in', ['active', 'pending', 'disabled'])
        .where((eb) => eb.not(eb.exists(eb.selectFrom('import_seen as s').select('s.external_id').where('s.run_id', '=', runId).whereRef('s.external_id', '=', 'accounts.external_id'))))
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    async purgeDisappeared(before: Date): Promise<number> {
      const result = await db.deleteFrom('accounts').where('tenant_id', '=', tenantId).where('status', '=', 'disappeared')
        .where('disappeared_at', '<', toTimestamp(before)).executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async refreshStatistics(): Promise<void> {
      // SQLite plans well enough from its indexes alone (no sqlite_stat1 is better than a stale one).
      if (!pg) return;
      await raw.run(db, 'analyze accounts, account_structures, group_members, relations, import_seen, import_pending_relations', []);
    },

    async cleanupRun(runId: string): Promise<void> {
      await db.deleteFrom('import_seen').where('run_id', '=', runId).execute();
      await db.deleteFrom('import_pending_relations').where('run_id', '=', runId).execute();
    },
  };
}
