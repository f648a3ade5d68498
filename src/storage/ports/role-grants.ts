/** Who holds which admin role where: an account (a person at the console) or a client (a script). */
import type { AdminRole } from '../../identity/admin-roles.js';

export type GrantSubjectKind = 'account' | 'client';

export interface RoleGrant {
  id: string;
  subjectKind: GrantSubjectKind;
  /** An account id, or a client id. */
  subjectId: string;
  role: AdminRole;
  /** null: the platform. */
  tenantId: string | null;
  /** Empty: the whole tenant (or the platform); else these structures of the tenant. */
  structureIds: string[];
  grantedAt: Date;
  /** How the audit log names who granted it (`cli`, an admin account id). */
  grantedBy: string;
}
export type NewRoleGrant = Omit<RoleGrant, 'id' | 'grantedAt'>;

/** Platform-wide: a subject's grants may span tenants (an auditor of two académies). */
export interface RoleGrantStore {
  /** Conflict('grant') if the same subject already holds the same role on the same scope. */
  grant(grant: NewRoleGrant): Promise<RoleGrant>;
  /** The removed grant; NotFound if absent. */
  revoke(id: string): Promise<RoleGrant>;
  get(id: string): Promise<RoleGrant | null>;
  listFor(subjectKind: GrantSubjectKind, subjectId: string): Promise<RoleGrant[]>;
  /** Grants on this tenant (null: platform grants), oldest first. */
  listOn(tenantId: string | null): Promise<RoleGrant[]>;
}
