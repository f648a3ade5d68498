/**
 * Hand-written SQL for the statements an import runs per batch. Building them with Kysely cost
 * more than running them (one AST node per value, compiled again for every chunk), so their
 * text is built once per shape and dialect and only the parameters change.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, PostgresAdapter, type Kysely } from 'kysely';
import type { Database } from '../schema.js';

export type Value = string | number | null;
/** A bound parameter: a value, or a list of them (a PostgreSQL array). */
export type Param = Value | Value[];

export interface RawSql {
  dialect: 'sqlite' | 'postgres';
  /** `(?, ?), (?, ?)`: `rows` groups of `width` placeholders, numbered from `first` on PostgreSQL. */
  tuples(rows: number, width: number, first?: number): string;
  /** `?, ?, ?`: a list of `count` placeholders. */
  list(count: number, first?: number): string;
  /** One placeholder, numbered `n` (from 1) on PostgreSQL. */
  param(n: number): string;
  run<R = Record<string, unknown>>(db: Kysely<Database>, text: string, parameters: readonly Param[]): Promise<{ rows: R[]; affected: number }>;
}

export function rawSql(db: Kysely<Database>): RawSql {
  const numbered = db.getExecutor().adapter instanceof PostgresAdapter;
  const cache = new Map<string, string>();
  const memo = (key: string, make: () => string): string => {
    let text = cache.get(key);
    if (text === undefined) {
      // Shapes are few (a full chunk, the last one, per statement); a bound guards the rest.
      if (cache.size > 1000) cache.clear();
      cache.set(key, (text = make()));
    }
    return text;
  };
  const param = (n: number) => (numbered ? `$${n}` : '?');
  const list = (count: number, first = 1) => memo(`l${count}:${first}`, () => Array.from({ length: count }, (_, i) => param(first + i)).join(', '));
  return {
    dialect: numbered ? 'postgres' : 'sqlite',
    param,
    list,
    tuples: (rows, width, first = 1) => memo(`t${rows}:${width}:${first}`, () => Array.from({ length: rows }, (_, r) => `(${list(width, first + r * width)})`).join(', ')),
    async run<R>(target: Kysely<Database>, text: string, parameters: readonly Param[]) {
      const result = await target.executeQuery<R>(CompiledQuery.raw(text, [...parameters]));
      return { rows: result.rows, affected: Number(result.numAffectedRows ?? 0n) };
    },
  };
}

/**
 * Rows inserted one prepared statement run at a time, straight on SQLite's connection: cheaper
 * than any single statement carrying them all (a 2,000-row JSON list cost 7 % more of a
 * 100,000-person import), since SQLite is in-process and a run costs no round trip. The
 * connection is the store's only one: called inside a Kysely transaction, the rows are part of it.
 */
export interface RowInserter {
  insert(table: string, columns: readonly string[], rows: readonly Value[][]): void;
}

export function preparedInserts(connection: BetterSqlite3.Database): RowInserter {
  const statements = new Map<string, BetterSqlite3.Statement<Value[]>>();
  return {
    insert(table, columns, rows) {
      const text = `insert into ${table} (${columns.join(', ')}) values (${columns.map(() => '?').join(', ')})`;
      let statement = statements.get(text);
      if (!statement) statements.set(text, (statement = connection.prepare<Value[]>(text)));
      for (const row of rows) statement.run(...row);
    },
  };
}
