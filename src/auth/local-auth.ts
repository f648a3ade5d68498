/**
 * Local accounts' authentication: password login, activation with a code, password change,
 * TOTP and recovery codes. No HTTP here: the interaction routes call these and render pages.
 *
 * Every path that tests a secret goes through the login throttle, keyed by the login string as
 * typed (not the account), so a login that does not exist is slowed and locked exactly like one
 * that does; and every outcome is audited.
 */
import type { Account, AuditStore, PlatformStore } from '../storage/ports/index.js';
import type { EphemeralStore } from '../storage/ports/ephemeral.js';
import type { HubMetrics } from '../shared/metrics.js';
import { setRequestTenant } from '../shared/request-scope.js';
import { hashActivationCode, verifyActivationCode } from '../identity/activation-code.js';
import { normalizeLogin } from '../identity/login.js';
import type { AuthConfig } from './config.js';
import { applyDelay, type LoginThrottle } from './login-throttle.js';
import { checkPassword, type PasswordProblem } from './password-policy.js';
import { hashPassword, needsRehash, verifyPassword } from './passwords.js';
import type { AccountPolicy, AuthPolicies } from './policy.js';
import { hashRecoveryCode, isRecoveryCodeShape, newRecoveryCodes } from './recovery-codes.js';
import type { SecretBox } from './secret-box.js';
import { checkTotp, newTotpSecret, type TotpCheck } from './totp.js';

/** Who is asking, for the audit trail. */
export interface RequestOrigin {
  clientId: string | null;
  ip: string;
  userAgent: string;
}

export type Refusal =
  | { ok: false; error: 'missing_fields' | 'invalid_credentials' | 'invalid_code' | 'expired_code' | 'mismatch' | 'same_password' | 'terms' | 'email' }
  | { ok: false; error: PasswordProblem; policy: AccountPolicy['password'] }
  | { ok: false; error: 'locked' | 'ip_limited'; retryAfterSeconds: number };

/** Refused before any secret was tested: the login or the address is over its limits. */
export type LimitRefusal = Extract<Refusal, { retryAfterSeconds: number }>;

export interface LocalAuthDeps {
  store: PlatformStore;
  ephemeral: EphemeralStore;
  throttle: LoginThrottle;
  policies: AuthPolicies;
  secrets: SecretBox;
  config: Pick<AuthConfig, 'termsVersion'>;
  /** Each factor checked, by method and result (`refused`: over the throttle's limits). */
  metrics: HubMetrics;
}

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,253}\.[^\s@]{2,}$/;

export class LocalAuth {
  constructor(private readonly deps: LocalAuthDeps) {}

  policyOf(account: Account): AccountPolicy {
    return this.deps.policies.for(account.tenantId, account.profile);
  }

  auditOf(account: Account | null): AuditStore {
    return account ? this.deps.store.forTenant(account.tenantId).audit : this.deps.store.audit;
  }

  async audit(account: Account | null, type: string, origin: RequestOrigin, details: Record<string, unknown> = {}): Promise<void> {
    await this.auditOf(account).record({ type, accountId: account?.id ?? null, clientId: origin.clientId, ip: origin.ip, userAgent: origin.userAgent.slice(0, 512), details });
  }

  /**
   * The first factor: login and password. Unknown login, wrong password and an account that may
   * not log in get the same answer after the same work (a dummy hash is verified).
   */
  async checkPassword(login: string, password: string, origin: RequestOrigin): Promise<{ ok: true; account: Account } | Refusal> {
    if (!login || !password) return { ok: false, error: 'missing_fields' };
    const gate = await this.gate(login, origin, 'password');
    if (gate) return gate;
    const account = await this.deps.store.accounts.findByLogin(normalizeLogin(login));
    if (account) setRequestTenant(account.tenantId);
    const passwordOk = await verifyPassword(account?.passwordHash ?? null, password);
    if (!account || !passwordOk || account.status !== 'active') {
      const reason = !account ? 'unknown_login' : !passwordOk ? 'wrong_password' : `account_${account.status}`;
      await this.fail(login, account, origin, { method: 'password', reason });
      return { ok: false, error: 'invalid_credentials' };
    }
    await this.deps.throttle.recordSuccess(login, origin.ip);
    this.deps.metrics.signIn('password', 'success');
    if (needsRehash(account.passwordHash!)) {
      await this.deps.store.forTenant(account.tenantId).accounts.update(account.id, { passwordHash: await hashPassword(password) });
    }
    return { ok: true, account };
  }

  /** Activation: login + code, a new password (twice), the terms of use, an optional e-mail. */
  async activate(input: { login: string; code: string; password: string; password2: string; terms: string; email: string }, origin: RequestOrigin): Promise<{ ok: true; account: Account } | Refusal> {
    if (!input.login || !input.code || !input.password || !input.password2) return { ok: false, error: 'missing_fields' };
    const gate = await this.gate(input.login, origin, 'activation');
    if (gate) return gate;
    const account = await this.deps.store.accounts.findByLogin(normalizeLogin(input.login));
    const codeHash = account?.activationCodeHash ?? null;
    if (!account || account.status !== 'pending' || !codeHash || !verifyActivationCode(input.code, codeHash)) {
      await this.fail(input.login, account, origin, { method: 'activation', reason: !account ? 'unknown_login' : account.status !== 'pending' ? `account_${account.status}` : 'wrong_code' }, 'activation.failure');
      return { ok: false, error: 'invalid_code' };
    }
    // The code is right: from here on, answers may be specific, the user holds the account's code.
    if (this.codeExpiry(account) <= new Date()) {
      await this.audit(account, 'activation.failure', origin, { reason: 'expired_code' });
      return { ok: false, error: 'expired_code' };
    }
    if (input.terms !== this.deps.config.termsVersion) return { ok: false, error: 'terms' };
    const email = input.email.trim();
    if (email && !EMAIL.test(email)) return { ok: false, error: 'email' };
    const weak = this.passwordRefusal(account, input.password, input.password2);
    if (weak) return weak;
    const now = new Date();
    const activated = await this.deps.store.forTenant(account.tenantId).accounts.consumeActivationCode(account.id, hashActivationCode(input.code), {
      status: 'active', passwordHash: await hashPassword(input.password), activationCodeHash: null, activationExpiresAt: null,
      termsVersion: this.deps.config.termsVersion, termsAcceptedAt: now, passwordChangedAt: now, ...(email ? { email: email.toLowerCase() } : {}),
    });
    if (!activated) return { ok: false, error: 'invalid_code' }; // used meanwhile by a concurrent request
    await this.deps.throttle.recordSuccess(input.login, origin.ip);
    this.deps.metrics.signIn('activation', 'success');
    await this.audit(activated, 'account.activated', origin, { termsVersion: this.deps.config.termsVersion, email: Boolean(email) });
    return { ok: true, account: activated };
  }

  /** Checks a password change; the new hash is applied by `applyPasswordChange` once every factor passed. */
  async preparePasswordChange(input: { login: string; current: string; password: string; password2: string }, origin: RequestOrigin): Promise<{ ok: true; account: Account; newHash: string } | Refusal> {
    if (!input.password || !input.password2) return { ok: false, error: 'missing_fields' };
    const first = await this.checkPassword(input.login, input.current, origin);
    if (!first.ok) return first;
    const weak = this.passwordRefusal(first.account, input.password, input.password2);
    if (weak) return weak;
    if (input.password === input.current) return { ok: false, error: 'same_password' };
    return { ok: true, account: first.account, newHash: await hashPassword(input.password) };
  }

  /** Sessions and tokens issued before now stop working (see the provider's checks). */
  async applyPasswordChange(account: Account, newHash: string, origin: RequestOrigin): Promise<void> {
    await this.deps.store.forTenant(account.tenantId).accounts.update(account.id, { passwordHash: newHash, passwordChangedAt: new Date() });
    await this.audit(account, 'password.changed', origin);
  }

  async hasTotp(account: Account): Promise<boolean> {
    return Boolean((await this.deps.store.forTenant(account.tenantId).mfa.totpOf(account.id))?.confirmedAt);
  }

  async verifyTotp(account: Account, code: string, origin: RequestOrigin): Promise<TotpCheck | LimitRefusal> {
    const gate = await this.gate(account.login, origin, 'totp');
    if (gate) return gate;
    const enrolment = await this.deps.store.forTenant(account.tenantId).mfa.totpOf(account.id);
    const result = enrolment?.confirmedAt ? await checkTotp(this.deps.ephemeral, account.id, this.deps.secrets.open(enrolment.secret), code) : 'invalid';
    if (result === 'ok') {
      await this.deps.throttle.recordSuccess(account.login, origin.ip);
      this.deps.metrics.signIn('totp', 'success');
    } else await this.fail(account.login, account, origin, { method: 'totp', reason: result });
    return result;
  }

  /** The number of codes left, or a refusal; each code works once. */
  async useRecoveryCode(account: Account, code: string, origin: RequestOrigin): Promise<{ ok: true; remaining: number } | Refusal> {
    const gate = await this.gate(account.login, origin, 'recovery_code');
    if (gate) return gate;
    const mfa = this.deps.store.forTenant(account.tenantId).mfa;
    if (!isRecoveryCodeShape(code) || !(await mfa.useRecoveryCode(account.id, hashRecoveryCode(code)))) {
      await this.fail(account.login, account, origin, { method: 'recovery_code', reason: 'invalid' });
      return { ok: false, error: 'invalid_code' };
    }
    await this.deps.throttle.recordSuccess(account.login, origin.ip);
    this.deps.metrics.signIn('recovery_code', 'success');
    const remaining = await mfa.remainingRecoveryCodes(account.id);
    await this.audit(account, 'mfa.recovery_code_used', origin, { remaining });
    return { ok: true, remaining };
  }

  remainingRecoveryCodes(account: Account): Promise<number> {
    return this.deps.store.forTenant(account.tenantId).mfa.remainingRecoveryCodes(account.id);
  }

  /** A new secret, sealed: kept by the caller until the user proves it with a first code. */
  newEnrolment(): { secret: string; sealed: string } {
    const secret = newTotpSecret();
    return { secret, sealed: this.deps.secrets.seal(secret) };
  }

  openSecret(sealed: string): string {
    return this.deps.secrets.open(sealed);
  }

  /**
   * Confirms an enrolment with its first code; replaces any previous app and its recovery codes.
   * Returns the new recovery codes in clear, to be shown once.
   */
  async confirmEnrolment(account: Account, sealed: string, code: string, origin: RequestOrigin): Promise<{ ok: true; codes: string[] } | { ok: false; error: Exclude<TotpCheck, 'ok'> } | LimitRefusal> {
    const gate = await this.gate(account.login, origin, 'totp_enrolment');
    if (gate) return gate;
    const check = await checkTotp(this.deps.ephemeral, account.id, this.deps.secrets.open(sealed), code);
    if (check !== 'ok') {
      await this.fail(account.login, account, origin, { method: 'totp_enrolment', reason: check });
      return { ok: false, error: check };
    }
    const mfa = this.deps.store.forTenant(account.tenantId).mfa;
    const replaced = await this.hasTotp(account);
    const codes = newRecoveryCodes();
    await mfa.removeTotp(account.id);
    await mfa.startTotp(account.id, sealed);
    await mfa.confirmTotp(account.id, codes.map(hashRecoveryCode));
    await this.audit(account, 'mfa.enrolled', origin, { method: 'totp', replaced });
    return { ok: true, codes };
  }

  async removeTotp(account: Account, origin: RequestOrigin): Promise<void> {
    await this.deps.store.forTenant(account.tenantId).mfa.removeTotp(account.id);
    await this.audit(account, 'mfa.removed', origin, { method: 'totp' });
  }

  private codeExpiry(account: Account): Date {
    if (account.activationExpiresAt) return account.activationExpiresAt;
    const days = this.policyOf(account).activationCodeTtlDays;
    return new Date(account.createdAt.getTime() + days * 86_400_000);
  }

  private passwordRefusal(account: Account, password: string, password2: string): Refusal | null {
    if (password !== password2) return { ok: false, error: 'mismatch' };
    const policy = this.policyOf(account).password;
    const [problem] = checkPassword(password, policy, account);
    return problem ? { ok: false, error: problem, policy } : null;
  }

  /** Refuses while the login or the address is over its limits; otherwise waits the progressive delay. */
  private async gate(login: string, origin: RequestOrigin, method: string): Promise<LimitRefusal | null> {
    const decision = await this.deps.throttle.check(login, origin.ip);
    if (decision.allowed) {
      await applyDelay(decision.delayMs);
      return null;
    }
    this.deps.metrics.signIn(method, 'refused');
    await this.audit(null, 'login.refused', origin, { method, reason: decision.reason, login: login.slice(0, 64) });
    return { ok: false, error: decision.reason === 'account_locked' ? 'locked' : 'ip_limited', retryAfterSeconds: decision.retryAfterSeconds };
  }

  private async fail(login: string, account: Account | null, origin: RequestOrigin, details: { method: string; reason: string }, type = 'login.failure'): Promise<void> {
    this.deps.metrics.signIn(details.method, 'failure');
    const { lockedNow } = await this.deps.throttle.recordFailure(login, origin.ip);
    await this.audit(account, type, origin, { ...details, login: login.slice(0, 64) });
    if (lockedNow) await this.audit(account, 'account.locked', origin, { login: login.slice(0, 64) });
  }
}
