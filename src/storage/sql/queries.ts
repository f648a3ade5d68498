/** Small query helpers shared by the entity stores. */
import type { Kysely, SelectQueryBuilder } from 'kysely';
import { Conflict, NotFound } from '../../shared/errors.js';
import type { Page } from '../ports/index.js';
import type { ConflictRules } from './constraints.js';
import type { Database } from './schema.js';

/** SQLite accepts OFFSET only after a LIMIT: an offset alone gets an unbounded one. */
export function paged<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  page: Page = {},
): SelectQueryBuilder<DB, TB, O> {
  const { limit, offset } = page;
  if (limit === undefined && offset === undefined) return query;
  const limited = query.limit(limit ?? Number.MAX_SAFE_INTEGER);
  return offset === undefined ? limited : limited.offset(offset);
}

/** The row, or NotFound(what) when the scoped query found nothing. */
export function found<T>(row: T | undefined, what: string): T {
  if (row === undefined) throw new NotFound(what);
  return row;
}

export const NOUNS = { accounts: 'account', structures: 'structure', groups: 'group' } as const;
export type OwnedTable = keyof typeof NOUNS;

/** `account "x"`: the label NotFound and foreign-key translations use. */
export const label = (table: OwnedTable, id: string): string => `${NOUNS[table]} "${id}"`;
export const tenantLabel = (tenantId: string): string => `tenant "${tenantId}"`;

/**
 * NotFound unless row `id` of `table` belongs to `tenantId`. Rows of other tenants are reported
 * exactly like missing ones, so a scope learns nothing about its neighbours.
 */
export async function assertOwned(db: Kysely<Database>, table: OwnedTable, tenantId: string, id: string): Promise<void> {
  const row = await db.selectFrom(table).select('id').where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
  found(row, label(table, id));
}

/** A caller-chosen id that another row already has. */
export const idConflict = (table: OwnedTable, id: string): ConflictRules => ({
  id: () => new Conflict('id', `${NOUNS[table]} id "${id}" is already taken`),
});
