import type { Kysely } from 'kysely';
import type { ImportStore } from '../../ports/imports.js';
import type { Database } from '../schema.js';
import { importDirectory } from './directory.js';
import { importPeople } from './people.js';
import type { RowInserter } from './raw.js';
import { importRuns } from './runs.js';

export function tenantImports(db: Kysely<Database>, tenantId: string, sqliteRows?: RowInserter): ImportStore {
  return { ...importRuns(db, tenantId), ...importDirectory(db, tenantId), ...importPeople(db, tenantId, sqliteRows) };
}
