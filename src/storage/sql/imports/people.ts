/**
 * People of an import, a batch at a time: one query to find what exists, one transaction to
 * write creates, updates, memberships and links. Nothing is kept per person between batches
 * but the staging rows (`import_seen`, `import_pending_relations`).
 */
import { sql, type ExpressionBuilder, type Kysely, type Transaction } from 'kysely';
import type { AccountCreate, AccountWrite, ExistingAccount, PendingRelation } from '../../ports/imports.js';
import type { AccountStatus } from '../../ports/model.js';
import { nowTimestamp, toTimestamp } from '../rows.js';
import type { Database, ImportPendingRelationsTable } from '../schema.js';
import { chunks } from './batches.js';

function fields(a: AccountWrite) {
  return {
    dn: a.dn, external_id: a.externalId, source: a.source, profile: a.profile, first_name: a.firstName, last_name: a.lastName,
    display_name: `${a.firstName} ${a.lastName}`, birth_date: a.birthDate, email: a.email, academic_email: a.academicEmail,
    ine: a.ine, gar_id: a.garId, content_hash: a.contentHash,
  };
}

/** The two ways a pending link names a person: its external id or its DN. */
const REF_KEYS = [
  { column: 'external_id', parent: 'parent_external_id', child: 'child_external_id' },
  { column: 'dn', parent: 'parent_dn', child: 'child_dn' },
] as const;

export function importPeople(db: Kysely<Database>, tenantId: string) {
  /** Existing accounts lose their old memberships first; new ones have none to delete. */
  async function writeMemberships(trx: Transaction<Database>, accounts: AccountWrite[], replacing: AccountWrite[]): Promise<void> {
    for (const part of chunks(replacing.map((a) => a.id))) {
      await trx.deleteFrom('account_structures').where('tenant_id', '=', tenantId).where('account_id', 'in', part).execute();
      await trx.deleteFrom('group_members').where('tenant_id', '=', tenantId).where('account_id', 'in', part).execute();
    }
    const structures = accounts.flatMap((a) => [...new Set(a.structureIds)].map((structure_id) => ({ tenant_id: tenantId, account_id: a.id, structure_id })));
    const groups = accounts.flatMap((a) => [...new Set(a.groupIds)].map((group_id) => ({ tenant_id: tenantId, account_id: a.id, group_id })));
    for (const part of chunks(structures)) await trx.insertInto('account_structures').values(part).execute();
    for (const part of chunks(groups)) await trx.insertInto('group_members').values(part).execute();
  }

  return {
    async markSeen(runId: string, externalIds: string[]): Promise<Set<string>> {
      const duplicates = new Set<string>();
      for (const part of chunks([...new Set(externalIds)])) {
        const inserted = await db.insertInto('import_seen').values(part.map((external_id) => ({ run_id: runId, external_id })))
          .onConflict((oc) => oc.doNothing()).returning('external_id').execute();
        const fresh = new Set(inserted.map((r) => r.external_id));
        for (const id of part) if (!fresh.has(id)) duplicates.add(id);
      }
      return duplicates;
    },

    async findAccounts(query: { externalIds: string[]; ines: string[] }): Promise<ExistingAccount[]> {
      const out = new Map<string, ExistingAccount>();
      const select = () => db.selectFrom('accounts').select(['id', 'external_id', 'ine', 'login', 'status', 'content_hash']).where('tenant_id', '=', tenantId);
      const add = (rows: Array<{ id: string; external_id: string | null; ine: string | null; login: string; status: string; content_hash: string | null }>) => {
        for (const r of rows) out.set(r.id, { id: r.id, externalId: r.external_id, ine: r.ine, login: r.login, status: r.status as AccountStatus, contentHash: r.content_hash });
      };
      for (const part of chunks(query.externalIds)) add(await select().where('external_id', 'in', part).execute());
      for (const part of chunks(query.ines)) add(await select().where('ine', 'in', part).execute());
      return [...out.values()];
    },

    async takenLogins(bases: string[]): Promise<Set<string>> {
      const taken = new Set<string>();
      // `base`, `base2`, `base10`… all sort between `base` and `base:` (':' follows '9').
      for (const part of chunks([...new Set(bases)], 100)) {
        const rows = await db.selectFrom('accounts').select('login')
          .where((eb) => eb.or(part.map((base) => eb.and([eb('login', '>=', base), eb('login', '<', `${base}:`)]))))
          .execute();
        for (const { login } of rows) taken.add(login);
      }
      return taken;
    },

    async applyAccounts(runId: string, batch: { creates: AccountCreate[]; updates: AccountWrite[]; relations: PendingRelation[]; replaceParentsOf: string[] }): Promise<void> {
      const now = nowTimestamp();
      await db.transaction().execute(async (trx) => {
        const rows = batch.creates.map((a) => ({
          id: a.id, tenant_id: tenantId, login: a.login, status: 'pending', password_hash: null, activation_code_hash: a.activationCodeHash,
          created_at: now, updated_at: now, disappeared_at: null, ...fields(a),
        }));
        for (const part of chunks(rows, 200)) await trx.insertInto('accounts').values(part).execute();
        for (const a of batch.updates) {
          // A disappeared account that comes back is active again (or pending if never activated).
          await trx.updateTable('accounts')
            .set({ ...fields(a), updated_at: now, disappeared_at: null, status: sql`case when status = 'disappeared' then case when password_hash is null then 'pending' else 'active' end else status end` })
            .where('tenant_id', '=', tenantId).where('id', '=', a.id).execute();
        }
        await writeMemberships(trx, [...batch.creates, ...batch.updates], batch.updates);
        for (const part of chunks(batch.replaceParentsOf)) {
          await trx.deleteFrom('relations').where('tenant_id', '=', tenantId).where('child_id', 'in', part).execute();
        }
        const pending = batch.relations.map((r) => ({
          run_id: runId, parent_external_id: r.parentExternalId ?? null, parent_dn: r.parentDn ?? null,
          child_external_id: r.childExternalId ?? null, child_dn: r.childDn ?? null,
        }));
        for (const part of chunks(pending)) await trx.insertInto('import_pending_relations').values(part).execute();
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

    async cleanupRun(runId: string): Promise<void> {
      await db.deleteFrom('import_seen').where('run_id', '=', runId).execute();
      await db.deleteFrom('import_pending_relations').where('run_id', '=', runId).execute();
    },
  };
}
