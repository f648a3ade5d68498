/** The words of the domain every module shares: profiles, account states, group kinds. */

/** ENT profiles (DOMAIN.md): Student ↔ National_1, Relative ↔ National_2, Teacher ↔ National_3, Personnel ↔ National_4. */
export const PROFILES = ['Student', 'Relative', 'Teacher', 'Personnel', 'Guest'] as const;
export type Profile = (typeof PROFILES)[number];

/** ENT profile → the national code partner systems expect (OIDC `ent_national_profile`, SAML release). */
export const NATIONAL_PROFILE: Record<Profile, string> = {
  Student: 'National_1',
  Relative: 'National_2',
  Teacher: 'National_3',
  Personnel: 'National_4',
  Guest: 'Guest',
};

/** pending: waits for activation; disappeared: missing from a complete import, purged later. */
export const ACCOUNT_STATUSES = ['active', 'pending', 'disabled', 'disappeared'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

/** A class (`DIVISION` in the GAR's words) or any other group of a structure. */
export type GroupKind = 'class' | 'group';
