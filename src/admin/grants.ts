/**
 * Granting and revoking admin roles: itself an audited admin action. A tenant admin grants
 * roles within its tenant, to its tenant's accounts or to clients; only a platform admin grants
 * on the platform or to anyone. Structures are named by UAI and must be the tenant's.
 */
import { scopeProblem, type AdminRole } from '../identity/admin-roles.js';
import { actorLabel, type Actor } from '../identity/actor.js';
import { HubError, NotFound } from '../shared/errors.js';
import { AuditWriter } from '../storage/ports/audit-writer.js';
import type { GrantSubjectKind, PlatformStore, RoleGrant } from '../storage/ports/index.js';

export interface GrantRequest {
  subjectKind: GrantSubjectKind;
  /** An account's login, or a client id. */
  subject: string;
  role: AdminRole;
  /** null: the platform. */
  tenantId: string | null;
  /** UAIs; empty: the whole tenant. */
  uais: string[];
}

const invalid = (message: string) => new HubError('invalid_argument', message, { status: 400 });

async function subjectId(store: PlatformStore, request: GrantRequest): Promise<string> {
  if (request.subjectKind === 'client') {
    const client = await store.clients.get(request.subject);
    if (!client || (request.tenantId !== null && client.tenantId !== null && client.tenantId !== request.tenantId)) throw new NotFound(`client "${request.subject}"`);
    return client.clientId;
  }
  const account = await store.accounts.findByLogin(request.subject.toLowerCase());
  // A tenant's roles go to its own accounts; platform roles to any account.
  if (!account || (request.tenantId !== null && account.tenantId !== request.tenantId)) throw new NotFound(`account "${request.subject}" in ${request.tenantId ?? 'the platform'}`);
  return account.id;
}

async function structureIds(store: PlatformStore, tenantId: string | null, uais: string[]): Promise<string[]> {
  if (uais.length === 0) return [];
  if (tenantId === null) throw invalid('structures belong to a tenant: name the tenant');
  const structures = store.forTenant(tenantId).structures;
  const ids: string[] = [];
  for (const uai of uais) {
    const structure = await structures.findByUai(uai.toUpperCase());
    if (!structure) throw invalid(`no structure ${uai} in tenant ${tenantId}`);
    ids.push(structure.id);
  }
  return ids;
}

const auditDetails = (g: RoleGrant) => ({ grant: g.id, subjectKind: g.subjectKind, subject: g.subjectId, role: g.role, tenant: g.tenantId, structures: g.structureIds });

export async function grantRole(store: PlatformStore, actor: Actor, request: GrantRequest): Promise<RoleGrant> {
  const ids = await structureIds(store, request.tenantId, request.uais);
  const scope = request.tenantId === null ? { kind: 'platform' as const }
    : ids.length === 0 ? { kind: 'tenant' as const, tenantId: request.tenantId } : { kind: 'structures' as const, tenantId: request.tenantId, structureIds: ids };
  const problem = scopeProblem(request.role, scope);
  if (problem) throw invalid(problem);
  const grant = await store.roleGrants.grant({
    subjectKind: request.subjectKind, subjectId: await subjectId(store, request), role: request.role, tenantId: request.tenantId,
    structureIds: ids, grantedBy: actorLabel(actor),
  });
  await new AuditWriter(store, actor, request.tenantId).write('grant.added', { details: auditDetails(grant) });
  return grant;
}

/** `tenantId`: the tenant the revoking admin acts on (null: the platform); a grant elsewhere is not found. */
export async function revokeRole(store: PlatformStore, actor: Actor, tenantId: string | null, grantId: string): Promise<RoleGrant> {
  const found = await store.roleGrants.get(grantId);
  if (!found || found.tenantId !== tenantId) throw new NotFound(`role grant "${grantId}"`);
  const grant = await store.roleGrants.revoke(grantId);
  await new AuditWriter(store, actor, tenantId).write('grant.removed', { details: auditDetails(grant) });
  return grant;
}

export async function grantsOn(store: PlatformStore, tenantId: string | null): Promise<RoleGrant[]> {
  return store.roleGrants.listOn(tenantId);
}
