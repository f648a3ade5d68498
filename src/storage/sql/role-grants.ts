/** Admin role grants: one table for every tenant and the platform (tenant_id null). */
import type { Kysely, Selectable } from 'kysely';
import type { AdminRole } from '../../identity/admin-roles.js';
import { Conflict, NotFound } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import type { GrantSubjectKind, NewRoleGrant, RoleGrant, RoleGrantStore } from '../ports/index.js';
import { guarded } from './constraints.js';
import { nowTimestamp, toDate } from './rows.js';
import type { Database, RoleGrantsTable } from './schema.js';

function toRoleGrant(row: Selectable<RoleGrantsTable>): RoleGrant {
  return {
    id: row.id,
    subjectKind: row.subject_kind as GrantSubjectKind,
    subjectId: row.subject_id,
    role: row.role as AdminRole,
    tenantId: row.tenant_id,
    structureIds: JSON.parse(row.structure_ids) as string[],
    grantedAt: toDate(row.granted_at),
    grantedBy: row.granted_by,
  };
}

export function roleGrantStore(db: Kysely<Database>): RoleGrantStore {
  const all = () => db.selectFrom('role_grants').selectAll();
  return {
    async grant(input: NewRoleGrant): Promise<RoleGrant> {
      const structureIds = JSON.stringify([...input.structureIds].sort());
      const row = {
        id: newId(), subject_kind: input.subjectKind, subject_id: input.subjectId, role: input.role, tenant_id: input.tenantId,
        structure_ids: structureIds, scope_key: `${input.tenantId ?? ''}/${structureIds}`, granted_at: nowTimestamp(), granted_by: input.grantedBy,
      };
      const conflict = () => new Conflict('grant', `${input.subjectKind} "${input.subjectId}" already holds ${input.role} there`);
      await guarded({ conflicts: { 'subject_kind,subject_id,role,scope_key': conflict }, missing: `tenant "${input.tenantId}"` },
        () => db.insertInto('role_grants').values(row).execute());
      return toRoleGrant(row);
    },

    async revoke(id: string): Promise<RoleGrant> {
      const row = await all().where('id', '=', id).executeTakeFirst();
      if (!row) throw new NotFound(`role grant "${id}"`);
      await db.deleteFrom('role_grants').where('id', '=', id).execute();
      return toRoleGrant(row);
    },

    async get(id: string): Promise<RoleGrant | null> {
      const row = await all().where('id', '=', id).executeTakeFirst();
      return row ? toRoleGrant(row) : null;
    },

    async listFor(subjectKind: GrantSubjectKind, subjectId: string): Promise<RoleGrant[]> {
      const rows = await all().where('subject_kind', '=', subjectKind).where('subject_id', '=', subjectId).orderBy('granted_at').orderBy('id').execute();
      return rows.map(toRoleGrant);
    },

    async listOn(tenantId: string | null): Promise<RoleGrant[]> {
      const query = all().orderBy('granted_at').orderBy('id');
      const rows = await (tenantId === null ? query.where('tenant_id', 'is', null) : query.where('tenant_id', '=', tenantId)).execute();
      return rows.map(toRoleGrant);
    },
  };
}
