/** Turns the engines' constraint violations into the ports' errors. */
import { Conflict, NotFound } from '../../shared/errors.js';

/**
 * Conflict factories keyed by the violated columns, comma-joined in the order the unique
 * constraint declares them: `login`, `tenant_id,external_id`.
 */
export type ConflictRules = Record<string, () => Conflict>;

export interface Guard {
  conflicts?: ConflictRules;
  /** What a foreign-key violation means here (`tenant "x"`, usually): it becomes NotFound. */
  missing?: string;
}

/** Runs one write and translates a unique or foreign-key violation it raises. */
export async function guarded<T>(guard: Guard, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    throw translate(error, guard);
  }
}

function translate(error: unknown, guard: Guard): unknown {
  const columns = violatedUniqueColumns(error);
  if (columns !== null) {
    const key = columns.join(',');
    return guard.conflicts?.[key]?.() ?? new Conflict(key, `${columns.join(', ')} already exists`);
  }
  if (guard.missing !== undefined && isForeignKeyViolation(error)) return new NotFound(guard.missing);
  return error;
}

interface DriverError {
  code?: unknown;
  /** pg only: `Key (tenant_id, external_id)=(…) already exists.` */
  detail?: unknown;
}

/** The columns of the violated unique constraint, or null when `error` is something else. */
export function violatedUniqueColumns(error: unknown): string[] | null {
  if (!(error instanceof Error)) return null;
  const { code, detail } = error as DriverError;
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    // "UNIQUE constraint failed: accounts.tenant_id, accounts.external_id"
    const list = error.message.slice(error.message.indexOf(':') + 1);
    return list.split(',').map((column) => column.trim().replace(/^.*\./, ''));
  }
  if (code === '23505') {
    // Only the "(columns)=(values)" part of the detail is the same in every server locale.
    const match = /\(([^()]*)\)=\(/.exec(typeof detail === 'string' ? detail : '');
    return match?.[1] ? match[1].split(',').map((column) => column.trim().replace(/^"|"$/g, '')) : [];
  }
  return null;
}

export function isForeignKeyViolation(error: unknown): boolean {
  const { code } = (error ?? {}) as DriverError;
  return code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || code === '23503';
}
