/** The rules that apply to one account, from the platform's `auth` config and its tenant's overrides. */
import type { AuthConfig, MfaMode, TenantAuthConfig } from './config.js';
import { passwordPolicySchema, type PasswordPolicy } from './password-policy.js';
import type { Profile } from '../identity/vocabulary.js';

export interface AccountPolicy {
  password: PasswordPolicy;
  mfa: MfaMode;
  activationCodeTtlDays: number;
}

const DEFAULT_PASSWORD_POLICY: PasswordPolicy = passwordPolicySchema.parse({});

export class AuthPolicies {
  constructor(private readonly platform: AuthConfig, private readonly tenants: ReadonlyMap<string, TenantAuthConfig>) {}

  for(tenantId: string, profile: Profile): AccountPolicy {
    const tenant = this.tenants.get(tenantId);
    return {
      password: tenant?.passwords?.[profile] ?? this.platform.passwords[profile] ?? DEFAULT_PASSWORD_POLICY,
      mfa: tenant?.mfa?.[profile] ?? this.platform.mfa[profile] ?? 'optional',
      activationCodeTtlDays: tenant?.activationCodeTtlDays ?? this.platform.activationCodeTtlDays,
    };
  }
}
