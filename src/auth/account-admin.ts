/**
 * What the helpdesk and school admins do to accounts of a tenant (the admin console and API):
 * find, read the whole picture (why someone cannot sign in), issue a new code, block and
 * unblock (one account or a profile of a school), revoke sessions, remove the second factor,
 * unlink a federated identity, change the login. Each change takes the actor and is audited.
 * The caller has checked the actor's role in the tenant; `inReach` narrows to its structures.
 */
import type { Actor } from '../identity/actor.js';
import { normalizeLogin } from '../identity/login.js';
import type { Profile } from '../identity/vocabulary.js';
import { HubError, NotFound } from '../shared/errors.js';
import { AuditWriter } from '../storage/ports/audit-writer.js';
import type {
  Account, AccountFilters, AccountSearch, FederatedIdentity, GroupWithStructure, KeysetPage, KeysetResult, PlatformStore, Structure,
} from '../storage/ports/index.js';
import { checkNewLogin, newActivation, type IssuedCode } from './account-service.js';
import type { LoginThrottle } from './login-throttle.js';
import type { AuthPolicies } from './policy.js';

export interface AccountAdminPorts {
  store: PlatformStore;
  policies: AuthPolicies;
  throttle: Pick<LoginThrottle, 'isLocked' | 'unlock' | 'lockedLogins'>;
}

/** Which structures an admin reaches in the tenant; null: all of them. */
export type StructureReach = readonly string[] | null;

const invalid = (message: string) => new HubError('invalid_argument', message, { status: 400 });

/** Why an account cannot sign in right now, in the order a helpdesk agent would check. */
export type SignInObstacle =
  | 'pending' | 'activation_expired' | 'locked' | 'blocked' | 'merged' | 'disabled' | 'disappeared' | 'no_federated_link';

export interface AccountPicture {
  account: Account;
  identities: FederatedIdentity[];
  structures: Structure[];
  groups: GroupWithStructure[];
  parents: Account[];
  children: Account[];
  secondFactor: boolean;
  locked: boolean;
  obstacles: SignInObstacle[];
}

/** Pupils and parents sign in through ÉduConnect: without a link or a password they cannot. */
const FEDERATED_PROFILES: ReadonlySet<Profile> = new Set(['Student', 'Relative']);

function obstaclesOf(account: Account, locked: boolean, identities: number, now: Date): SignInObstacle[] {
  const found: SignInObstacle[] = [];
  if (account.status === 'pending') {
    found.push('pending');
    if (account.activationExpiresAt && account.activationExpiresAt < now) found.push('activation_expired');
  }
  if (account.status === 'disabled') found.push(account.disabledReason ?? 'disabled');
  if (account.status === 'disappeared') found.push('disappeared');
  if (locked) found.push('locked');
  if (account.status === 'active' && !account.passwordHash && identities === 0 && FEDERATED_PROFILES.has(account.profile)) found.push('no_federated_link');
  return found;
}

export async function searchAccounts(store: PlatformStore, tenantId: string, reach: StructureReach, query: AccountSearch, filters: AccountFilters, page: KeysetPage): Promise<KeysetResult<Account>> {
  return store.forTenant(tenantId).accounts.search(query, reach === null ? filters : { ...filters, structureIds: reach }, page);
}

/** The account if it is in the tenant and within reach; NotFound otherwise, whichever it is. */
export async function accountInReach(store: PlatformStore, tenantId: string, reach: StructureReach, accountId: string): Promise<Account> {
  const scope = store.forTenant(tenantId);
  const account = await scope.accounts.get(accountId);
  if (reach === null) return account;
  const mine = new Set(reach);
  const structures = await scope.memberships.structuresOf(account.id);
  if (!structures.some((s) => mine.has(s.id))) throw new NotFound(`account "${accountId}"`);
  return account;
}

export async function accountPicture(ports: AccountAdminPorts, tenantId: string, reach: StructureReach, accountId: string, now = new Date()): Promise<AccountPicture> {
  const account = await accountInReach(ports.store, tenantId, reach, accountId);
  const scope = ports.store.forTenant(tenantId);
  const [identities, structures, groups, parents, children, totp, locked] = await Promise.all([
    scope.identities.listForAccount(account.id), scope.memberships.structuresOf(account.id), scope.memberships.groupsOf(account.id),
    scope.relations.parentsOf(account.id), scope.relations.childrenOf(account.id), scope.mfa.totpOf(account.id),
    ports.throttle.isLocked(account.login),
  ]);
  return {
    account, identities, structures, groups, parents, children, locked,
    secondFactor: Boolean(totp?.confirmedAt), obstacles: obstaclesOf(account, locked, identities.length, now),
  };
}

/** A new activation code: the account is pending again, its password and sessions gone. */
export async function reissueActivationCode(ports: AccountAdminPorts, actor: Actor, tenantId: string, reach: StructureReach, accountId: string): Promise<{ account: Account; activation: IssuedCode }> {
  const found = await accountInReach(ports.store, tenantId, reach, accountId);
  if (found.status === 'disabled' || found.status === 'disappeared') throw invalid(`account "${found.login}" is ${found.status}; unblock it before issuing a code`);
  const activation = newActivation(ports.policies, tenantId, found.profile);
  const account = await ports.store.forTenant(tenantId).accounts.update(found.id, {
    status: 'pending', passwordHash: null, passwordChangedAt: new Date(), ...activation.patch,
  });
  await new AuditWriter(ports.store, actor, tenantId).write('activation.reset', { accountId: account.id, details: {} });
  return { account, activation: activation.issued };
}

/** Status after an admin's block is lifted: what it would be had it never been blocked. */
const unblockedStatus = (account: Account) => (account.passwordHash ? 'active' : 'pending');

export async function blockAccount(ports: AccountAdminPorts, actor: Actor, tenantId: string, reach: StructureReach, accountId: string): Promise<Account> {
  const found = await accountInReach(ports.store, tenantId, reach, accountId);
  if (found.status !== 'active' && found.status !== 'pending') throw invalid(`account "${found.login}" is ${found.disabledReason ?? found.status}: it cannot be blocked`);
  const account = await ports.store.forTenant(tenantId).accounts.update(found.id, { status: 'disabled', disabledReason: 'blocked', passwordChangedAt: new Date() });
  await new AuditWriter(ports.store, actor, tenantId).write('account.blocked', { accountId: account.id, details: { before: found.status } });
  return account;
}

export async function unblockAccount(ports: AccountAdminPorts, actor: Actor, tenantId: string, reach: StructureReach, accountId: string): Promise<Account> {
  const found = await accountInReach(ports.store, tenantId, reach, accountId);
  if (found.status !== 'disabled' || found.disabledReason !== 'blocked') throw invalid(`account "${found.login}" is not blocked`);
  const account = await ports.store.forTenant(tenantId).accounts.update(found.id, { status: unblockedStatus(found), disabledReason: null });
  await new AuditWriter(ports.store, actor, tenantId).write('account.unblocked', { accountId: account.id, details: { after: account.status } });
  return account;
}

export interface ProfileOfStructure {
  uai: string;
  profile: Profile;
}

const PAGE = 500;

/** Every account of `profile` attached to the school, page by page. */
async function* membersOf(store: PlatformStore, tenantId: string, uai: string, profile: Profile): AsyncGenerator<Account> {
  const accounts = store.forTenant(tenantId).accounts;
  for (let offset = 0; ; offset += PAGE) {
    const page = await accounts.listInStructure(uai, undefined, { offset, limit: PAGE });
    for (const account of page) if (account.profile === profile) yield account;
    if (page.length < PAGE) return;
  }
}

export async function structureInReach(store: PlatformStore, tenantId: string, reach: StructureReach, uai: string): Promise<Structure> {
  const structure = await store.forTenant(tenantId).structures.findByUai(uai);
  if (!structure || (reach !== null && !reach.includes(structure.id))) throw new NotFound(`structure ${uai}`);
  return structure;
}

/**
 * Blocks (`block` true) or unblocks every account of a profile of a school: all pupils of a
 * school during an incident. Unblocking lifts only admins' blocks, never a merge.
 */
export async function blockProfileOfStructure(ports: AccountAdminPorts, actor: Actor, tenantId: string, reach: StructureReach, target: ProfileOfStructure, block: boolean): Promise<{ changed: number; unchanged: number }> {
  const structure = await structureInReach(ports.store, tenantId, reach, target.uai);
  const accounts = ports.store.forTenant(tenantId).accounts;
  const audit = new AuditWriter(ports.store, actor, tenantId);
  let changed = 0;
  let unchanged = 0;
  const now = new Date();
  for await (const account of membersOf(ports.store, tenantId, structure.uai, target.profile)) {
    const eligible = block ? account.status === 'active' || account.status === 'pending' : account.status === 'disabled' && account.disabledReason === 'blocked';
    if (!eligible) {
      unchanged += 1;
      continue;
    }
    await accounts.update(account.id, block ? { status: 'disabled', disabledReason: 'blocked', passwordChangedAt: now } : { status: unblockedStatus(account), disabledReason: null });
    changed += 1;
  }
  await audit.write(block ? 'accounts.blocked_bulk' : 'accounts.unblocked_bulk', { details: { uai: structure.uai, profile: target.profile, changed, unchanged } });
  return { changed, unchanged };
}

/** Ends every session and token of the account: they were issued before now. */
export async function revokeSessions(ports: AccountAdminPorts, actor: Actor, tenantId: string, reach: StructureReach, accountId: string): Promise<void> {
  const found = await accountInReach(ports.store, tenantId, reach, accountId);
  // Sessions and tokens issued before `passwordChangedAt` are refused (oidc/account-access.ts).
  await ports.store.forTenant(tenantId).accounts.update(found.id, { passwordChangedAt: new Date() });
  await new AuditWriter(ports.store, actor, tenantId).write('account.sessions_revoked', { accountId: found.id, details: {} });
}

export async function removeSecondFactor(ports: AccountAdminPorts, actor: Actor, tenantId: string, reach: StructureReach, accountId: string): Promise<void> {
  const found = await accountInReach(ports.store, tenantId, reach, accountId);
  const scope = ports.store.forTenant(tenantId);
  if (!(await scope.mfa.totpOf(found.id))) throw invalid(`account "${found.login}" has no second factor`);
  await scope.mfa.removeTotp(found.id);
  await new AuditWriter(ports.store, actor, tenantId).write('account.second_factor_removed', { accountId: found.id, details: {} });
}

export async function unlinkIdentity(ports: AccountAdminPorts, actor: Actor, tenantId: string, reach: StructureReach, accountId: string, identityId: string): Promise<void> {
  const found = await accountInReach(ports.store, tenantId, reach, accountId);
  const scope = ports.store.forTenant(tenantId);
  const identity = (await scope.identities.listForAccount(found.id)).find((i) => i.id === identityId);
  if (!identity) throw new NotFound(`federated identity "${identityId}" of this account`);
  await scope.identities.unlink(identity.id);
  await new AuditWriter(ports.store, actor, tenantId).write('account.identity_unlinked', { accountId: found.id, details: { connector: identity.connectorId, subject: identity.subject } });
}

/** A new login (alias): unique platform-wide; the old one stops working at once. */
export async function changeLogin(ports: AccountAdminPorts, actor: Actor, tenantId: string, reach: StructureReach, accountId: string, login: string): Promise<Account> {
  const wanted = normalizeLogin(login);
  checkNewLogin(wanted);
  const found = await accountInReach(ports.store, tenantId, reach, accountId);
  if (found.login === wanted) throw invalid(`the login is already "${wanted}"`);
  const account = await ports.store.forTenant(tenantId).accounts.update(found.id, { login: wanted });
  await new AuditWriter(ports.store, actor, tenantId).write('account.login_changed', { accountId: account.id, details: { before: found.login, after: account.login } });
  return account;
}

/** Lifts a brute-force lock on the account's login. */
export async function unlockAccount(ports: AccountAdminPorts, actor: Actor, tenantId: string, reach: StructureReach, accountId: string): Promise<{ wasLocked: boolean }> {
  const found = await accountInReach(ports.store, tenantId, reach, accountId);
  const wasLocked = await ports.throttle.unlock(found.login);
  await new AuditWriter(ports.store, actor, tenantId).write('account.unlocked', { accountId: found.id, details: { login: found.login, wasLimited: wasLocked } });
  return { wasLocked };
}
