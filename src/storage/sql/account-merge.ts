/**
 * Merging one account into another, and undoing it, each in one transaction. A merge reads both
 * accounts' links, moves the other's to the kept account (those the kept one has already stay
 * put), disables the other, and writes down exactly what moved; the undo moves those back.
 */
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { AccountStatus } from '../../identity/vocabulary.js';
import { Conflict, NotFound } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import { DuplicateRefused, type DisabledReason, type MergeLinks, type MergeRecord } from '../ports/index.js';
import { dialectOf } from './dialect.js';
import { found, label } from './queries.js';
import { fromJson, nowTimestamp, toDate, toJsonText } from './rows.js';
import type { AccountMergesTable, Database } from './schema.js';

type Trx = Transaction<Database>;

const links = (value: unknown): MergeLinks => {
  const parsed = fromJson(value) as Partial<MergeLinks>;
  return {
    identities: parsed.identities ?? [], structures: parsed.structures ?? [], groups: parsed.groups ?? [],
    parents: parsed.parents ?? [], children: parsed.children ?? [],
  };
};

export function toMergeRecord(row: Selectable<AccountMergesTable>): MergeRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    keptId: row.kept_id,
    otherId: row.other_id,
    moved: links(row.moved),
    skipped: links(row.skipped),
    otherBefore: { status: row.other_status as AccountStatus, disabledReason: row.other_disabled_reason as DisabledReason | null },
    mergedAt: toDate(row.merged_at),
    mergedBy: row.merged_by,
    undoneAt: row.undone_at === null ? null : toDate(row.undone_at),
    undoneBy: row.undone_by,
  };
}

/** The other's links that move, and those that stay: the kept account has them, or `never` (itself). */
function split(mine: string[], keptHas: string[], never?: string): { moved: string[]; skipped: string[] } {
  const stays = new Set(keptHas);
  if (never !== undefined) stays.add(never);
  return { moved: mine.filter((id) => !stays.has(id)), skipped: mine.filter((id) => stays.has(id)) };
}

export function accountMerges(db: Kysely<Database>, tenantId: string) {
  const postgres = dialectOf(db as unknown as Kysely<unknown>) === 'postgres';

  /**
   * Both accounts, locked on PostgreSQL until the end of the transaction (in id order, so two
   * merges of the same pair cannot deadlock): a concurrent merge waits, and so does an import
   * adding a membership to either (its foreign-key check needs a lock this one excludes).
   * SQLite has one writer at a time.
   */
  async function lockAccounts(trx: Trx, keptId: string, otherId: string) {
    const rows = await trx.selectFrom('accounts').select(['id', 'profile', 'status', 'disabled_reason'])
      .where('tenant_id', '=', tenantId).where('id', 'in', [keptId, otherId]).orderBy('id')
      .$if(postgres, (q) => q.forUpdate())
      .execute();
    return {
      kept: found(rows.find((r) => r.id === keptId), label('accounts', keptId)),
      other: found(rows.find((r) => r.id === otherId), label('accounts', otherId)),
    };
  }

  async function linksOf(trx: Trx, accountId: string): Promise<MergeLinks> {
    const column = <T>(rows: T[], pick: (row: T) => string) => rows.map(pick);
    const [identities, structures, groups, parents, children] = await Promise.all([
      trx.selectFrom('federated_identities').select('id').where('tenant_id', '=', tenantId).where('account_id', '=', accountId).orderBy('id').execute(),
      trx.selectFrom('account_structures').select('structure_id').where('tenant_id', '=', tenantId).where('account_id', '=', accountId).orderBy('structure_id').execute(),
      trx.selectFrom('group_members').select('group_id').where('tenant_id', '=', tenantId).where('account_id', '=', accountId).orderBy('group_id').execute(),
      trx.selectFrom('relations').select('parent_id').where('tenant_id', '=', tenantId).where('child_id', '=', accountId).orderBy('parent_id').execute(),
      trx.selectFrom('relations').select('child_id').where('tenant_id', '=', tenantId).where('parent_id', '=', accountId).orderBy('child_id').execute(),
    ]);
    return {
      identities: column(identities, (r) => r.id),
      structures: column(structures, (r) => r.structure_id),
      groups: column(groups, (r) => r.group_id),
      parents: column(parents, (r) => r.parent_id),
      children: column(children, (r) => r.child_id),
    };
  }

  /**
   * Moves `what` from account `from` to account `to`: identities change owner (keeping their id),
   * link rows are deleted on one side and written on the other. Rows whose other end is gone
   * (a structure, group or related account deleted since the merge) are not written back.
   */
  async function move(trx: Trx, what: MergeLinks, from: string, to: string): Promise<void> {
    if (what.identities.length > 0) {
      await trx.updateTable('federated_identities').set({ account_id: to })
        .where('tenant_id', '=', tenantId).where('account_id', '=', from).where('id', 'in', what.identities).execute();
    }
    if (what.structures.length > 0) {
      await trx.deleteFrom('account_structures').where('tenant_id', '=', tenantId).where('account_id', '=', from).where('structure_id', 'in', what.structures).execute();
      const present = await trx.selectFrom('structures').select('id').where('tenant_id', '=', tenantId).where('id', 'in', what.structures).execute();
      if (present.length > 0) {
        await trx.insertInto('account_structures').values(present.map((s) => ({ tenant_id: tenantId, account_id: to, structure_id: s.id })))
          .onConflict((oc) => oc.columns(['account_id', 'structure_id']).doNothing()).execute();
      }
    }
    if (what.groups.length > 0) {
      await trx.deleteFrom('group_members').where('tenant_id', '=', tenantId).where('account_id', '=', from).where('group_id', 'in', what.groups).execute();
      const present = await trx.selectFrom('groups').select('id').where('tenant_id', '=', tenantId).where('id', 'in', what.groups).execute();
      if (present.length > 0) {
        await trx.insertInto('group_members').values(present.map((g) => ({ tenant_id: tenantId, account_id: to, group_id: g.id })))
          .onConflict((oc) => oc.columns(['account_id', 'group_id']).doNothing()).execute();
      }
    }
    for (const side of ['parents', 'children'] as const) {
      const related = what[side];
      if (related.length === 0) continue;
      // parents: rows (parent, from) become (parent, to); children: (from, child) become (to, child).
      const [mine, theirs] = side === 'parents' ? (['child_id', 'parent_id'] as const) : (['parent_id', 'child_id'] as const);
      await trx.deleteFrom('relations').where('tenant_id', '=', tenantId).where(mine, '=', from).where(theirs, 'in', related).execute();
      const present = await trx.selectFrom('accounts').select('id').where('tenant_id', '=', tenantId).where('id', 'in', related).execute();
      if (present.length > 0) {
        await trx.insertInto('relations').values(present.map((a) => ({ tenant_id: tenantId, [mine]: to, [theirs]: a.id }) as { tenant_id: string; parent_id: string; child_id: string }))
          .onConflict((oc) => oc.columns(['parent_id', 'child_id']).doNothing()).execute();
      }
    }
  }

  const alreadyMerged = (id: string) => new Conflict('merged', `account "${id}" is already merged into another account`);

  return {
    async merge(keptId: string, otherId: string, by: string): Promise<MergeRecord> {
      if (keptId === otherId) throw new DuplicateRefused('same_account', 'an account cannot be merged with itself');
      return db.transaction().execute(async (trx) => {
        const { kept, other } = await lockAccounts(trx, keptId, otherId);
        for (const account of [kept, other]) if (account.disabled_reason === 'merged') throw alreadyMerged(account.id);
        if (kept.profile !== other.profile) {
          throw new DuplicateRefused('different_profiles', `a ${other.profile} account cannot be merged into a ${kept.profile} account`);
        }
        const [keptLinks, otherLinks] = [await linksOf(trx, keptId), await linksOf(trx, otherId)];
        const structures = split(otherLinks.structures, keptLinks.structures);
        const groups = split(otherLinks.groups, keptLinks.groups);
        // Never the kept account as its own parent or child: such a link stays on the other.
        const parents = split(otherLinks.parents, keptLinks.parents, keptId);
        const children = split(otherLinks.children, keptLinks.children, keptId);
        const moved: MergeLinks = { identities: otherLinks.identities, structures: structures.moved, groups: groups.moved, parents: parents.moved, children: children.moved };
        const skipped: MergeLinks = { identities: [], structures: structures.skipped, groups: groups.skipped, parents: parents.skipped, children: children.skipped };

        await move(trx, moved, otherId, keptId);
        const now = nowTimestamp();
        await trx.updateTable('accounts').set({ status: 'disabled', disabled_reason: 'merged', updated_at: now })
          .where('tenant_id', '=', tenantId).where('id', '=', otherId).execute();
        const row = await trx.insertInto('account_merges').values({
          id: newId(), tenant_id: tenantId, kept_id: keptId, other_id: otherId, moved: toJsonText(moved), skipped: toJsonText(skipped),
          other_status: other.status, other_disabled_reason: other.disabled_reason, merged_at: now, merged_by: by, undone_at: null, undone_by: null,
        }).returningAll().executeTakeFirstOrThrow();
        return toMergeRecord(row);
      });
    },

    async undoMerge(mergeId: string, by: string): Promise<MergeRecord> {
      return db.transaction().execute(async (trx) => {
        const record = await trx.selectFrom('account_merges').selectAll().where('tenant_id', '=', tenantId).where('id', '=', mergeId)
          .$if(postgres, (q) => q.forUpdate()).executeTakeFirst();
        if (!record) throw new NotFound(`merge "${mergeId}"`);
        if (record.undone_at !== null) throw new Conflict('undone', `merge "${mergeId}" was already undone`);
        const { kept } = await lockAccounts(trx, record.kept_id, record.other_id);
        // What moved onto the kept account has gone on with it: the later merge holds it now.
        if (kept.disabled_reason === 'merged') {
          throw new Conflict('merged', `account "${kept.id}" was merged into another account since: undo that merge first`);
        }
        await move(trx, links(record.moved), record.kept_id, record.other_id);
        const now = nowTimestamp();
        await trx.updateTable('accounts').set({
          // Only what the merge did is undone: an account an import marked disappeared since stays so.
          status: sql<string>`case when status = 'disabled' then ${record.other_status} else status end`,
          disabled_reason: record.other_disabled_reason,
          updated_at: now,
        }).where('tenant_id', '=', tenantId).where('id', '=', record.other_id).execute();
        const undone = await trx.updateTable('account_merges').set({ undone_at: now, undone_by: by })
          .where('tenant_id', '=', tenantId).where('id', '=', mergeId).returningAll().executeTakeFirstOrThrow();
        return toMergeRecord(undone);
      });
    },
  };
}
