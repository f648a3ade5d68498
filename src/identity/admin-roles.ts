/** The roles of the admin console and API, and what each may do, wherever it is granted. */

export const ADMIN_ROLES = ['platform-admin', 'tenant-admin', 'structure-admin', 'import-operator', 'helpdesk', 'auditor'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];

/** What a route needs. `*.read` reads, the others change something. */
export const ADMIN_PERMISSIONS = [
  'accounts.read', 'accounts.manage', 'letters.issue', 'duplicates.read', 'duplicates.manage',
  'imports.read', 'imports.run', 'clients.read', 'clients.manage', 'sps.read', 'sps.manage',
  'connectors.read', 'connectors.manage', 'settings.read', 'settings.manage', 'audit.read',
  'grants.read', 'grants.manage', 'dashboard.read', 'tenants.read',
] as const;
export type AdminPermission = (typeof ADMIN_PERMISSIONS)[number];

const READS = ADMIN_PERMISSIONS.filter((p) => p.endsWith('.read'));
const ACCOUNT_WORK: AdminPermission[] = ['accounts.read', 'accounts.manage', 'letters.issue', 'dashboard.read'];

/**
 * What each role may do within its scope. A structure admin runs its schools' accounts; the
 * helpdesk fixes accounts (codes, locks, blocks, letters) and reads; an import operator runs and
 * reads imports; an auditor reads everything and changes nothing.
 */
export const ROLE_PERMISSIONS: Record<AdminRole, ReadonlySet<AdminPermission>> = {
  'platform-admin': new Set(ADMIN_PERMISSIONS),
  'tenant-admin': new Set(ADMIN_PERMISSIONS),
  'structure-admin': new Set([...ACCOUNT_WORK, 'duplicates.read', 'duplicates.manage', 'audit.read']),
  'import-operator': new Set(['imports.read', 'imports.run', 'accounts.read', 'dashboard.read']),
  helpdesk: new Set([...ACCOUNT_WORK, 'duplicates.read', 'audit.read']),
  auditor: new Set(READS),
};

/** Where a grant applies: the whole platform, one tenant, or some structures of one tenant. */
export type AdminScope =
  | { kind: 'platform' }
  | { kind: 'tenant'; tenantId: string }
  | { kind: 'structures'; tenantId: string; structureIds: readonly string[] };

/** Roles that make sense only at one kind of scope. */
export function scopeProblem(role: AdminRole, scope: AdminScope): string | null {
  if (role === 'platform-admin' && scope.kind !== 'platform') return 'platform-admin is granted on the platform only';
  if (role !== 'platform-admin' && role !== 'auditor' && scope.kind === 'platform') return `${role} is granted on a tenant or on structures, not on the platform`;
  if (role === 'tenant-admin' && scope.kind === 'structures') return 'tenant-admin is granted on a whole tenant; use structure-admin for schools';
  if (role === 'structure-admin' && scope.kind !== 'structures') return 'structure-admin is granted on structures';
  if (role === 'import-operator' && scope.kind !== 'tenant') return 'import-operator is granted on a whole tenant';
  if (scope.kind === 'structures' && scope.structureIds.length === 0) return 'a structure scope names at least one structure';
  return null;
}
