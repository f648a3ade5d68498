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
 * `reads`: a PostgreSQL replica for the reads that tolerate lag and read nothing just written
 * (admin search, dashboard figures, audit search and export, GAR export); everything else, the
 * sign-in included, stays on the primary (`db`).
 */
export function tenantScope(db: Kysely<Database>, tenantId: string, imports: ImportTuning, reads: Kysely<Database> = db): TenantScope {
  return {
    tenantId,
    accounts: tenantAccounts(db, tenantId, reads),
    structures: tenantStructures(db, tenantId),
    groups: tenantGroups(db, tenantId),
    memberships: tenantMemberships(db, tenantId),
    relations: tenantRelations(db, tenantId),
    identities: tenantIdentities(db, tenantId),
    clients: tenantClients(db, tenantId),
    mfa: tenantMfa(db, tenantId),
    connectors: connectorStore(db, tenantId),
    serviceProviders: serviceProviderStore(db, tenantId),
    audit: auditStore(db, tenantId, reads),
    imports: tenantImports(db, tenantId, imports),
    garExport: tenantGarExport(reads, tenantId),
    stats: tenantStats(reads, tenantId),
    duplicates: tenantDuplicates(db, tenantId),
    garSchools: tenantGarSchools(db, tenantId),
  };
}
