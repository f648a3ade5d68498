/**
 * Audit searches in SQL: the filter as WHERE terms, and keyset pages on (at, seq), newest first.
 * seq (the insertion order) breaks ties between events of the same millisecond, so a cursor
 * names one exact place in the log: a page after it is the same whatever was recorded since
 * (new events are newer, they land before the first page).
 *
 * Indexes (0013_audit_queries): (tenant_id, at, seq) walks a scope's log newest first whatever
 * the filter; (tenant_id, account_id, at, seq) and (tenant_id, type, at, seq) serve an account's
 * history and one type's; the actor's expression index serves "what did this admin do".
 */
import { sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from 'kysely';
import type { AuditEvent, AuditFilter, KeysetPage, KeysetResult } from '../ports/index.js';
import { InvalidCursor } from '../ports/index.js';
import { InvariantBroken } from '../../shared/errors.js';
import { toAuditEvent, toDate, toTimestamp } from './rows.js';
import type { AuditRow, Database } from './schema.js';

type AuditExpressions = ExpressionBuilder<Database, 'audit_events'>;

/** Where a page starts: after the event at `at` with this `seq`. */
interface AuditCursor {
  at: string;
  seq: number;
}

const CURSOR_TEXT = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)~(\d{1,15})$/;

export function encodeAuditCursor(row: Pick<AuditRow, 'at' | 'seq'>): string {
  return Buffer.from(`${toTimestamp(toDate(row.at))}~${row.seq}`).toString('base64url');
}

/** InvalidCursor for anything `encodeAuditCursor` did not write. */
export function decodeAuditCursor(cursor: string): AuditCursor {
  const [, at, seq] = CURSOR_TEXT.exec(Buffer.from(cursor, 'base64url').toString('utf8')) ?? [];
  if (at === undefined || seq === undefined || !isExactInstant(at)) throw new InvalidCursor();
  return { at, seq: Number(seq) };
}

/** `text` is the ISO form of a real instant (Date would read a 30th of February as March the 2nd). */
function isExactInstant(text: string): boolean {
  const date = new Date(text);
  return !Number.isNaN(date.getTime()) && date.toISOString() === text;
}

/**
 * The actor of an event, as `AuditWriter` records it: the admin's account id for an admin's
 * operation (`by` is then `admin`), else `by`. `->>` reads a JSON field as text in both engines
 * (SQLite ≥ 3.38: json_extract's twin); the text is the one of 0013's expression index, which
 * only serves a query that spells the expression the same way.
 */
export const ACTOR_EXPRESSION = `coalesce(details->>'admin', details->>'by')`;

/** `type` is `wanted`, or starts with it when it ends with `.`; compared with case on both engines. */
function typeMatches(eb: AuditExpressions, wanted: string): Expression<SqlBool> {
  if (!wanted.endsWith('.')) return eb('type', '=', wanted);
  // substr, not LIKE: SQLite's LIKE ignores case, and `_` (saml_sp.) would be a wildcard.
  return eb(eb.fn('substr', ['type', eb.lit(1), eb.lit([...wanted].length)]), '=', wanted);
}

/** The WHERE terms of `filter` in the scope of `tenantId` (null: the platform's events). */
function filterTerms(eb: AuditExpressions, tenantId: string | null, filter: AuditFilter): Expression<SqlBool> {
  const terms: Expression<SqlBool>[] = [eb('tenant_id', tenantId === null ? 'is' : '=', tenantId)];
  if (filter.types !== undefined) terms.push(eb.or(filter.types.map((type) => typeMatches(eb, type))));
  if (filter.accountId !== undefined) terms.push(eb('account_id', '=', filter.accountId));
  if (filter.clientId !== undefined) terms.push(eb('client_id', '=', filter.clientId));
  if (filter.actor !== undefined) terms.push(eb(sql.raw<string>(ACTOR_EXPRESSION), '=', filter.actor));
  if (filter.from !== undefined) terms.push(eb('at', '>=', toTimestamp(filter.from)));
  if (filter.to !== undefined) terms.push(eb('at', '<', toTimestamp(filter.to)));
  return eb.and(terms);
}

/** Events strictly older than the cursor's, in (at, seq) order; `at <=` alone bounds the index range. */
function olderThan(eb: AuditExpressions, cursor: AuditCursor): Expression<SqlBool> {
  return eb.and([
    eb('at', '<=', cursor.at),
    eb.or([eb('at', '<', cursor.at), eb('seq', '<', cursor.seq)]),
  ]);
}

/**
 * `filter` without its `to` when the cursor is earlier, which implies it. SQLite bounds an index
 * range by one of two upper bounds and filters by the other: with `to` kept, every batch of a
 * stream would walk again all the events of the batches before it.
 */
function withinCursor(filter: AuditFilter, cursor: AuditCursor): AuditFilter {
  if (filter.to === undefined || cursor.at >= toTimestamp(filter.to)) return filter;
  const { to: _impliedByCursor, ...rest } = filter;
  return rest;
}

/** The searches of one scope's log (a tenant's, or the platform's when `tenantId` is null). */
export function auditSearch(db: Kysely<Database>, tenantId: string | null) {
  async function page(filter: AuditFilter, limit: number, after: AuditCursor | null): Promise<KeysetResult<AuditEvent>> {
    if (!Number.isInteger(limit) || limit < 1) throw new InvariantBroken(`an audit page holds at least one event, not ${limit}`);
    // An empty list of types keeps nothing: no query.
    if (filter.types?.length === 0) return { items: [], next: null };
    const rows = await db.selectFrom('audit_events').selectAll()
      .where((eb) => (after === null ? filterTerms(eb, tenantId, filter) : eb.and([filterTerms(eb, tenantId, withinCursor(filter, after)), olderThan(eb, after)])))
      .orderBy('at', 'desc').orderBy('seq', 'desc')
      // One more than asked tells whether another page follows, so the last page says so.
      .limit(limit + 1)
      .execute();
    const kept = rows.slice(0, limit);
    return { items: kept.map(toAuditEvent), next: rows.length > limit ? encodeAuditCursor(kept[kept.length - 1]!) : null };
  }

  return {
    // async: a bad cursor rejects the promise rather than throwing at the call.
    async search(filter: AuditFilter, keyset: KeysetPage): Promise<KeysetResult<AuditEvent>> {
      return page(filter, keyset.limit, keyset.after === undefined ? null : decodeAuditCursor(keyset.after));
    },

    async *stream(filter: AuditFilter, options: { batchSize?: number } = {}): AsyncGenerator<AuditEvent> {
      const batchSize = options.batchSize ?? 1000;
      let after: AuditCursor | null = null;
      for (;;) {
        const batch: KeysetResult<AuditEvent> = await page(filter, batchSize, after);
        yield* batch.items;
        if (batch.next === null) return;
        after = decodeAuditCursor(batch.next);
      }
    },
  };
}
