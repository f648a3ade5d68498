import type { Kysely } from 'kysely';
import type { ImportStore } from '../../ports/imports.js';
import type { Database } from '../schema.js';
import { importDirectory } from './directory.js';
import { importPeople, type ImportTuning } from './people.js';
import { importRuns } from './runs.js';

export type { ImportTuning } from './people.js';

export function tenantImports(db: Kysely<Database>, tenantId: string, tuning: ImportTuning): ImportStore {
  return { ...importRuns(db, tenantId), ...importDirectory(db, tenantId), ...importPeople(db, tenantId, tuning) };
}
