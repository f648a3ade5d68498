/**
 * `linkOnly: false`: a federated login that matches no account creates one, in the tenant the
 * upstream's vouched identifier belongs to, from what the upstream vouches for and nothing
 * more. Pupils are minors: no birth date, no e-mail, no INE hash are kept, even when sent.
 *
 * - profile: ÉduConnect's affiliation (eleve… → Student, resp… → Relative); staff → Teacher or
 *   Personnel per the connector's `accountCreation` (by FrEduRne function by default);
 * - external id: the profile's matching rule (ÉduConnect: `<PREFIX>-<AAF id>`, so a later
 *   import meets the same account); staff have none, their académie e-mail is kept instead;
 * - login: `firstname.lastname` from the generator the importer uses, unique platform-wide;
 * - active, no password (federated only), source = the connector id.
 *
 * The link itself is made by completeFederatedLogin, like for any other first login.
 */
import { createHash } from 'node:crypto';
import { baseLogin, pickLogins } from '../../identity/login-generator.js';
import { Conflict } from '../../shared/errors.js';
import type { EphemeralStore } from '../../storage/ports/ephemeral.js';
import type { Account, NewAccount, PlatformStore } from '../../storage/ports/index.js';
import type { AccountCreationConfig } from '../config.js';
import { FederationFailure } from '../core/failure.js';
import type { UpstreamIdentity } from '../core/identity.js';
import type { AuditContext } from './link.js';
import type { Profile } from '../../identity/vocabulary.js';

/** What creation needs to know of the connector. */
export interface ProvisioningConnector {
  id: string;
  /** null: a platform connector, whose accounts go to the tenant of the vouched identifier. */
  tenantId: string | null;
  accountCreation: AccountCreationConfig;
}

/** Why no account is created; audited with `federation.no_account`. */
export type NotCreatedReason = 'no_vouched_identifier' | 'no_tenant' | 'several_tenants' | 'affiliation' | 'no_name' | 'account_unusable';

export type AccountPlan = { ok: true; tenantId: string; fields: Omit<NewAccount, 'login'> } | { ok: false; reason: NotCreatedReason };

const NAME_MAX = 100;
/** Control characters never belong in a name (they would reach pages, tokens and logs). */
const cleanName = (value: string | undefined): string => (value ?? '').replace(/\p{Cc}/gu, ' ').replace(/\s+/g, ' ').trim().slice(0, NAME_MAX);

function staffProfile(identity: UpstreamIdentity, rules: AccountCreationConfig): Profile {
  if (rules.staffProfile !== 'byFunction') return rules.staffProfile;
  // FrEduRne `uai$type$category$function$…`: the function is the third field after the UAI.
  const teaches = (identity.structures ?? []).some((s) => rules.teachingFunctions.includes((s.fields[2] ?? '').trim().toUpperCase()));
  return teaches ? 'Teacher' : 'Personnel';
}

/** The account the identity would get, or why it gets none. Pure: no store access. */
export function accountPlan(identity: UpstreamIdentity, connector: ProvisioningConnector): AccountPlan {
  const match = identity.match;
  if (!match) return { ok: false, reason: 'no_vouched_identifier' };
  let tenantId: string;
  let externalId: string | null = null;
  let academicEmail: string | null = null;
  if (match.kind === 'externalId') {
    const candidates = match.candidates.filter((c) => connector.tenantId === null || c.tenantId === connector.tenantId);
    const tenants = [...new Set(candidates.map((c) => c.tenantId))];
    // Several académies vouch for this person: which one owns the account is not ours to guess.
    if (tenants.length === 0) return { ok: false, reason: 'no_tenant' };
    if (tenants.length > 1) return { ok: false, reason: 'several_tenants' };
    tenantId = tenants[0]!;
    externalId = candidates[0]!.externalId;
  } else {
    if (connector.tenantId !== null && match.tenantId !== connector.tenantId) return { ok: false, reason: 'no_tenant' };
    tenantId = match.tenantId;
    academicEmail = match.email;
  }
  const profile: Profile | null = identity.kind === 'pupil' ? 'Student' : identity.kind === 'parent' ? 'Relative'
    : identity.kind === 'staff' ? staffProfile(identity, connector.accountCreation) : null;
  if (!profile) return { ok: false, reason: 'affiliation' };
  const firstName = cleanName(identity.givenName);
  const lastName = cleanName(identity.familyName);
  if (!firstName || !lastName) return { ok: false, reason: 'no_name' };
  return {
    ok: true,
    tenantId,
    fields: {
      profile, firstName, lastName, displayName: `${firstName} ${lastName}`,
      status: 'active', passwordHash: null, source: connector.id, externalId, academicEmail,
      birthDate: null, email: null,
    },
  };
}

/** Two first logins of one person at once (two tabs) must not make two accounts. */
const CREATION_LOCK_SECONDS = 30;
/** A login taken between the read and the insert (an import, another creation): try the next one. */
const LOGIN_ATTEMPTS = 5;

export type CreationOutcome = { account: Account; created: boolean } | { account: null; reason: NotCreatedReason };

/**
 * Creates the account (audited `account.created`), or returns the one a concurrent creation made
 * with the same external id. Throws FederationFailure('unavailable') while another creation for
 * the same upstream subject is in progress.
 */
export async function createFederatedAccount(
  store: PlatformStore, ephemeral: EphemeralStore, identity: UpstreamIdentity, connector: ProvisioningConnector, audit: AuditContext,
): Promise<CreationOutcome> {
  const plan = accountPlan(identity, connector);
  if (!plan.ok) return { account: null, reason: plan.reason };
  const lock = `fed:create:${connector.id}:${createHash('sha256').update(identity.subject).digest('hex')}`;
  if (!(await ephemeral.claimOnce(lock, CREATION_LOCK_SECONDS))) throw new FederationFailure('unavailable', 'an account is being created for this identity', 503);
  try {
    const scope = store.forTenant(plan.tenantId);
    const base = baseLogin(plan.fields.firstName, plan.fields.lastName);
    for (let attempt = 1; attempt <= LOGIN_ATTEMPTS; attempt++) {
      const [login] = pickLogins([base], await scope.imports.takenLogins([base]));
      try {
        const account = await scope.accounts.create({ ...plan.fields, login: login! });
        await scope.audit.record({
          type: 'account.created', accountId: account.id, ip: audit.ip, userAgent: audit.userAgent, clientId: audit.clientId,
          details: { by: 'federation', connector: connector.id, subject: identity.subject, profile: account.profile, externalId: account.externalId, via: identity.match?.kind ?? null },
        });
        return { account, created: true };
      } catch (err) {
        if (!(err instanceof Conflict)) throw err;
        if (err.field === 'externalId' && plan.fields.externalId) {
          // Imported or created meanwhile: that account is the person's.
          const existing = await scope.accounts.findByExternalId(plan.fields.externalId);
          // A disabled or disappeared account is not reopened by a login (candidateAccounts' rule).
          if (existing) return existing.status === 'active' || existing.status === 'pending' ? { account: existing, created: false } : { account: null, reason: 'account_unusable' };
        }
        if (err.field !== 'login') throw err;
      }
    }
    throw new FederationFailure('unavailable', `no free login for ${base} after ${LOGIN_ATTEMPTS} attempts`, 503);
  } finally {
    await ephemeral.delete(lock);
  }
}
