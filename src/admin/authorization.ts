/**
 * Who is asking (an admin principal: its subject and role grants) and what it may reach: for a
 * permission in a tenant, nothing, the whole tenant, or some of its structures. Every admin route
 * asks here first; an object outside the reach is then reported as missing, so an admin of one
 * school learns nothing about another's pupils.
 */
import { ROLE_PERMISSIONS, type AdminPermission, type AdminRole } from '../identity/admin-roles.js';
import type { Actor } from '../identity/actor.js';
import { HubError } from '../shared/errors.js';
import type { GrantSubjectKind, RoleGrant } from '../storage/ports/index.js';

/** Signed in, but this role does not allow it here. */
export class Forbidden extends HubError {
  constructor(message: string) {
    super('forbidden', message, { status: 403 });
  }
}

/** No usable token: missing, expired, revoked, or not an admin token. */
export class Unauthenticated extends HubError {
  constructor(message: string) {
    super('unauthenticated', message, { status: 401 });
  }
}

export interface AdminPrincipal {
  subjectKind: GrantSubjectKind;
  /** The account id (console) or the client id (a script). */
  subjectId: string;
  /** The client the token was issued to. */
  clientId: string;
  /** For the pages: the account's display name, or the client id. */
  displayName: string;
  grants: readonly RoleGrant[];
}

/** How far a permission reaches in one tenant. */
export type Reach =
  | { kind: 'tenant'; role: AdminRole }
  | { kind: 'structures'; role: AdminRole; structureIds: readonly string[] };

const allows = (grant: RoleGrant, permission: AdminPermission) => ROLE_PERMISSIONS[grant.role].has(permission);

/** The widest reach the principal's grants give for `permission` in `tenantId`; null: none. */
export function reachIn(principal: AdminPrincipal, permission: AdminPermission, tenantId: string): Reach | null {
  const grants = principal.grants.filter((g) => allows(g, permission) && (g.tenantId === null || g.tenantId === tenantId));
  const whole = grants.find((g) => g.tenantId === null || g.structureIds.length === 0);
  if (whole) return { kind: 'tenant', role: whole.role };
  if (grants.length === 0) return null;
  return { kind: 'structures', role: grants[0]!.role, structureIds: [...new Set(grants.flatMap((g) => g.structureIds))] };
}

export function requireReach(principal: AdminPrincipal, permission: AdminPermission, tenantId: string): Reach {
  const reach = reachIn(principal, permission, tenantId);
  if (!reach) throw new Forbidden(`your roles do not allow ${permission} in tenant ${tenantId}`);
  return reach;
}

/** The platform grant allowing `permission` (platform clients, SPs, connectors, tenants). */
export function requirePlatform(principal: AdminPrincipal, permission: AdminPermission): AdminRole {
  const grant = principal.grants.find((g) => g.tenantId === null && allows(g, permission));
  if (!grant) throw new Forbidden(`your roles do not allow ${permission} on the platform`);
  return grant.role;
}

/** Whether a set of structure ids is within the reach (the whole tenant reaches everything). */
export function reachesAny(reach: Reach, structureIds: readonly string[]): boolean {
  if (reach.kind === 'tenant') return true;
  const mine = new Set(reach.structureIds);
  return structureIds.some((id) => mine.has(id));
}

/** Whether every structure id is within the reach: what a bulk action on schools needs. */
export function reachesAll(reach: Reach, structureIds: readonly string[]): boolean {
  if (reach.kind === 'tenant') return true;
  const mine = new Set(reach.structureIds);
  return structureIds.every((id) => mine.has(id));
}

/** The actor the audit log records for an action done with this reach (tenantId null: the platform). */
export function actorOf(principal: AdminPrincipal, role: AdminRole, tenantId: string | null): Actor {
  return {
    kind: 'admin', accountId: principal.subjectKind === 'account' ? principal.subjectId : null,
    clientId: principal.clientId, role, tenantId,
  };
}

/** The tenants where the principal holds any grant (null in the list: a platform grant). */
export function tenantsOf(principal: AdminPrincipal): Array<string | null> {
  return [...new Set(principal.grants.map((g) => g.tenantId))];
}
