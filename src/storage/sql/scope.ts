import type { Kysely } from 'kysely';
import type { TenantScope } from '../ports/index.js';
import { tenantAccounts } from './accounts.js';
import { auditStore } from './audit.js';
import { tenantClients } from './clients.js';
import { connectorStore } from './connectors.js';
import { tenantDuplicates } from './duplicates.js';
import { tenantGarExport } from './gar-export.js';
import { tenantGarSchools } from './gar-schools.js';
import { tenantGroups } from './groups.js';
import { tenantIdentities } from './identities.js';
import { tenantImports, type ImportTuning } from './imports/index.js';
import { tenantMemberships } from './memberships.js';
import { tenantMfa } from './mfa.js';
import { tenantRelations } from './relations.js';
import { serviceProviderStore } from './service-providers.js';
import type { Database } from './schema.js';
import { tenantStructures } from './structures.js';
import { tenantStats } from './tenant-stats.js';

/**
 * Every store of the scope receives the tenant once, here, and filters every query by it.
 * `imports`: how the import store writes (SQLite's row inserter, links per transaction).
 */
export function tenantScope(db: Kysely<Database>, tenantId: string, imports: ImportTuning): TenantScope {
  return {
    tenantId,
    accounts: tenantAccounts(db, tenantId),
    structures: tenantStructures(db, tenantId),
    groups: tenantGroups(db, tenantId),
    memberships: tenantMemberships(db, tenantId),
    relations: tenantRelations(db, tenantId),
    identities: tenantIdentities(db, tenantId),
    clients: tenantClients(db, tenantId),
    mfa: tenantMfa(db, tenantId),
    connectors: connectorStore(db, tenantId),
    serviceProviders: serviceProviderStore(db, tenantId),
    audit: auditStore(db, tenantId),
    imports: tenantImports(db, tenantId, imports),
    garExport: tenantGarExport(db, tenantId),
    stats: tenantStats(db, tenantId),
    duplicates: tenantDuplicates(db, tenantId),
    garSchools: tenantGarSchools(db, tenantId),
  };
}
