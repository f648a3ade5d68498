/**
 * Claims released per scope. Pupils are minors: `profile` carries names and the login only
 * (no birth date); structures, classes and children come only with `ent` / `ent_children`.
 */
import { NATIONAL_PROFILE } from '../identity/vocabulary.js';
import type { Account, TenantScope } from '../storage/ports/index.js';

export const SCOPE_CLAIMS = {
  openid: ['sub'],
  profile: ['name', 'given_name', 'family_name', 'preferred_username'],
  email: ['email', 'email_verified'],
  ent: ['ent_profile', 'ent_national_profile', 'tenant', 'structures', 'classes'],
  ent_children: ['children'],
} as const;

type Claims = Record<string, unknown> & { sub: string };

function profileClaims(account: Account): Record<string, unknown> {
  return {
    name: account.displayName,
    given_name: account.firstName,
    family_name: account.lastName,
    preferred_username: account.login,
  };
}

async function entClaims(account: Account, scope: TenantScope): Promise<Record<string, unknown>> {
  const [structures, groups] = await Promise.all([scope.memberships.structuresOf(account.id), scope.memberships.groupsOf(account.id)]);
  return {
    ent_profile: account.profile,
    ent_national_profile: NATIONAL_PROFILE[account.profile],
    tenant: account.tenantId,
    structures: structures.map((s) => ({ uai: s.uai, name: s.name })),
    classes: groups.filter((g) => g.kind === 'class').map((g) => ({ uai: g.structure.uai, code: g.code, name: g.name })),
  };
}

async function childrenClaims(account: Account, scope: TenantScope): Promise<Record<string, unknown>> {
  if (account.profile !== 'Relative') return { children: [] };
  const children = await scope.relations.childrenOf(account.id);
  return {
    children: children.map((c) => ({ sub: c.id, given_name: c.firstName, family_name: c.lastName })),
  };
}

/** Only the groups of claims a granted scope asks for are read from the store. */
export async function claimsFor(account: Account, scopes: ReadonlySet<string>, tenantScope: TenantScope): Promise<Claims> {
  const claims: Claims = { sub: account.id };
  if (scopes.has('profile')) Object.assign(claims, profileClaims(account));
  if (scopes.has('email') && account.email) Object.assign(claims, { email: account.email, email_verified: false });
  if (scopes.has('ent')) Object.assign(claims, await entClaims(account, tenantScope));
  if (scopes.has('ent_children')) Object.assign(claims, await childrenClaims(account, tenantScope));
  return claims;
}
