/**
 * Local account operations done on someone's behalf (`hub users …` today, the admin API next):
 * creation, new activation codes, lifting a brute-force lock. Each takes the actor, writes its
 * audit events, and returns what the caller shows once (an activation code exists nowhere else).
 */
import { generateActivationCode, hashActivationCode } from '../identity/activation-code.js';
import type { Actor } from '../identity/actor.js';
import { loginProblem, normalizeLogin } from '../identity/login.js';
import type { Profile } from '../identity/vocabulary.js';
import { HubError, NotFound } from '../shared/errors.js';
import { AuditWriter } from '../storage/ports/audit-writer.js';
import type { Account, AccountPatch, NewAccount, PlatformStore } from '../storage/ports/index.js';
import type { LoginThrottle } from './login-throttle.js';
import { checkPassword } from './password-policy.js';
import { hashPassword } from './passwords.js';
import type { AuthPolicies } from './policy.js';

export interface AccountPorts {
  store: PlatformStore;
  policies: AuthPolicies;
}

const invalid = (message: string) => new HubError('invalid_argument', message, { status: 400 });

/** An activation code to hand over once, and when it stops working. */
export interface IssuedCode {
  code: string;
  expiresAt: Date;
}

/** A fresh code for an account of this tenant and profile, and the fields that store its hash. */
export function newActivation(policies: AuthPolicies, tenantId: string, profile: Profile): { issued: IssuedCode; patch: AccountPatch } {
  const code = generateActivationCode();
  const days = policies.for(tenantId, profile).activationCodeTtlDays;
  const expiresAt = new Date(Date.now() + days * 86_400_000);
  return { issued: { code, expiresAt }, patch: { activationCodeHash: hashActivationCode(code), activationExpiresAt: expiresAt } };
}

/** Refuses a login the rules forbid; a caller may check it before collecting the rest (a password on stdin). */
export function checkNewLogin(login: string): void {
  const problem = loginProblem(login);
  if (problem) throw invalid(`invalid --login: ${problem}`);
}

export interface NewLocalAccount {
  tenantId: string;
  login: string;
  firstName: string;
  lastName: string;
  profile: Profile;
  email: string | null;
  /** Active with this password (checked against the profile's policy); null: pending, with an activation code. */
  password: string | null;
}

export async function createLocalAccount(ports: AccountPorts, actor: Actor, input: NewLocalAccount): Promise<{ account: Account; activation: IssuedCode | null }> {
  checkNewLogin(input.login);
  const { store, policies } = ports;
  if (!(await store.tenants.get(input.tenantId))) throw invalid(`unknown tenant "${input.tenantId}" (see hub tenants list)`);
  if (input.password !== null) {
    const policy = policies.for(input.tenantId, input.profile).password;
    const refused = checkPassword(input.password, policy, input);
    if (refused.length > 0) throw invalid(`the password is refused by the ${input.profile} policy (${refused.join(', ')}; at least ${policy.minLength} characters, not common, without the person's names)`);
  }
  const activation = input.password === null ? newActivation(policies, input.tenantId, input.profile) : null;
  const fields: NewAccount = {
    login: input.login, firstName: input.firstName, lastName: input.lastName, profile: input.profile,
    displayName: `${input.firstName} ${input.lastName}`, email: input.email, source: 'local',
    ...(activation ? { status: 'pending', ...activation.patch } : { status: 'active', passwordHash: await hashPassword(input.password!) }),
  };
  const account = await store.forTenant(input.tenantId).accounts.create(fields);
  await new AuditWriter(store, actor, input.tenantId).write('account.created', { accountId: account.id, details: {} });
  return { account, activation: activation?.issued ?? null };
}

/** A new code; the old one and the password stop working, so a lost or leaked account is recovered. */
export async function resetActivation(ports: AccountPorts, actor: Actor, login: string): Promise<{ account: Account; activation: IssuedCode }> {
  const { store, policies } = ports;
  const found = await store.accounts.findByLogin(normalizeLogin(login));
  if (!found) throw new NotFound(`account with login "${login}"`);
  if (found.status === 'disabled' || found.status === 'disappeared') throw invalid(`account "${found.login}" is ${found.status}; enable it before issuing a code`);
  const activation = newActivation(policies, found.tenantId, found.profile);
  const account = await store.forTenant(found.tenantId).accounts.update(found.id, {
    status: 'pending', passwordHash: null, passwordChangedAt: new Date(), ...activation.patch,
  });
  await new AuditWriter(store, actor, found.tenantId).write('activation.reset', { accountId: account.id, details: {} });
  return { account, activation: activation.issued };
}

/** Lifts a brute-force lock. The lock is on the login as typed, so an unknown login can be unlocked too. */
export async function unlockLogin(ports: { store: PlatformStore; throttle: Pick<LoginThrottle, 'unlock'> }, actor: Actor, login: string): Promise<{ wasLimited: boolean }> {
  const wasLimited = await ports.throttle.unlock(login);
  const account = await ports.store.accounts.findByLogin(normalizeLogin(login));
  await new AuditWriter(ports.store, actor, account?.tenantId ?? null)
    .write('account.unlocked', { accountId: account?.id ?? null, details: { login: login.slice(0, 64), wasLimited } });
  return { wasLimited };
}
