/** The shapes the admin API answers with: what an admin may see of each thing, never a secret or a hash. */
import { z } from 'zod';
import { ADMIN_ROLES } from '../../identity/admin-roles.js';
import { ACCOUNT_STATUSES, PROFILES } from '../../identity/vocabulary.js';
import type { Account, FederatedIdentity, GroupWithStructure, RoleGrant, Structure } from '../../storage/ports/index.js';

const iso = z.string().describe('ISO 8601 date and time');

export const accountSummary = z.object({
  id: z.string(),
  login: z.string(),
  profile: z.enum(PROFILES),
  firstName: z.string(),
  lastName: z.string(),
  displayName: z.string(),
  status: z.enum(ACCOUNT_STATUSES),
  disabledReason: z.enum(['blocked', 'merged']).nullable(),
  externalId: z.string().nullable(),
  source: z.string(),
  email: z.string().nullable(),
  birthDate: z.string().nullable(),
  createdAt: iso,
});

export const toAccountSummary = (a: Account): z.output<typeof accountSummary> => ({
  id: a.id, login: a.login, profile: a.profile, firstName: a.firstName, lastName: a.lastName, displayName: a.displayName,
  status: a.status, disabledReason: a.disabledReason, externalId: a.externalId, source: a.source, email: a.email,
  birthDate: a.birthDate, createdAt: a.createdAt.toISOString(),
});

export const structureSummary = z.object({ id: z.string(), uai: z.string(), name: z.string() });
export const toStructureSummary = (s: Structure) => ({ id: s.id, uai: s.uai, name: s.name });

export const groupSummary = z.object({ id: z.string(), kind: z.enum(['class', 'group']), code: z.string(), name: z.string(), uai: z.string() });
export const toGroupSummary = (g: GroupWithStructure) => ({ id: g.id, kind: g.kind, code: g.code, name: g.name, uai: g.structure.uai });

export const identitySummary = z.object({ id: z.string(), connectorId: z.string(), subject: z.string(), createdAt: iso });
export const toIdentitySummary = (i: FederatedIdentity) => ({ id: i.id, connectorId: i.connectorId, subject: i.subject, createdAt: i.createdAt.toISOString() });

export const roleGrant = z.object({
  id: z.string(),
  subjectKind: z.enum(['account', 'client']),
  subjectId: z.string(),
  role: z.enum(ADMIN_ROLES),
  tenantId: z.string().nullable(),
  structureIds: z.array(z.string()),
  grantedAt: iso,
  grantedBy: z.string(),
});
export const toRoleGrant = (g: RoleGrant): z.output<typeof roleGrant> => ({ ...g, grantedAt: g.grantedAt.toISOString() });
