import { PostgresAdapter, SqliteAdapter, type Kysely } from 'kysely';
import { InvariantBroken } from '../../shared/errors.js';

export type SqlDialect = 'sqlite' | 'postgres';

/** Which engine a Kysely instance talks to; migrations need it for the few types that differ. */
export function dialectOf(db: Kysely<unknown>): SqlDialect {
  const adapter = db.getExecutor().adapter;
  if (adapter instanceof PostgresAdapter) return 'postgres';
  if (adapter instanceof SqliteAdapter) return 'sqlite';
  throw new InvariantBroken(`unsupported Kysely dialect: ${adapter.constructor.name}`);
}

/** Column types that cannot be spelled the same in both engines. */
export interface ColumnTypes {
  readonly dialect: SqlDialect;
  /** SQLite has no date type: ISO-8601 UTC text sorts and compares correctly as text. */
  readonly timestamp: 'timestamptz' | 'text';
  readonly json: 'jsonb' | 'text';
}

export function columnTypes(dialect: SqlDialect): ColumnTypes {
  return dialect === 'postgres'
    ? { dialect, timestamp: 'timestamptz', json: 'jsonb' }
    : { dialect, timestamp: 'text', json: 'text' };
}
