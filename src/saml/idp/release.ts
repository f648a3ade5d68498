/**
 * Release policies: what an SP is sent about a person. A policy names each attribute it
 * releases (SAML `Name`, `NameFormat`, the source of its values, the profiles it is sent for)
 * and the NameID formats it allows; nothing it does not name leaves the hub. Pupils are minors:
 * their e-mail, birth date and INE are sent only by an attribute (or NameID) that says
 * `minors: true`, whatever else the policy names. Every value is an `xs:string`, the only type
 * partners ask for.
 */
import { HubError } from '../../shared/errors.js';
import { NATIONAL_PROFILE, type Profile } from '../../identity/vocabulary.js';
import { NAMEID_FORMATS, NAMEID_UNSPECIFIED, transientNameId, type NameIdFormat } from './nameid.js';

/**
 * The person as one SP may see them, built by the SSO step for that SP: the ids derived for it
 * (pairwise NameID, GAR identifier) next to the account's facts.
 */
export interface ReleaseSubject {
  tenantId: string;
  profile: Profile;
  firstName: string;
  lastName: string;
  displayName: string;
  email: string | null;
  /** ISO date YYYY-MM-DD. */
  birthDate: string | null;
  /** National pupil id; the store keeps none yet (ÉduConnect sends only a hash). */
  ine: string | null;
  /** The persistent NameID of this account for this SP (`currentPairwiseNameId`). */
  pairwiseId: string;
  /** `garPersonIdentifier` of the account; null when the tenant has no GAR section. */
  garPersonIdentifier: string | null;
  /** `garProjectId`: the GAR project id of the school, null when it does not use the GAR. */
  structures: ReadonlyArray<{ uai: string; name: string; garProjectId: string | null }>;
  groups: ReadonlyArray<{ kind: 'class' | 'group'; uai: string; code: string }>;
}

const unique = (values: string[]): string[] => [...new Set(values)];
const present = (value: string | null): string[] => (value === null ? [] : [value]);
/** `<UAI>$<code>`: a code is unique only within its school (the annuaire's own convention). */
const groupCodes = (subject: ReleaseSubject, kind: 'class' | 'group'): string[] =>
  subject.groups.filter((g) => g.kind === kind).map((g) => `${g.uai}$${g.code}`);

/** Where an attribute's values come from. */
const SOURCES = {
  pairwiseId: (s: ReleaseSubject) => [s.pairwiseId],
  garPersonIdentifier: (s: ReleaseSubject) => present(s.garPersonIdentifier),
  /** The distinct GAR project ids of the person's GAR schools (`idEnt`). */
  garProjectId: (s: ReleaseSubject) => unique(s.structures.flatMap((st) => present(st.garProjectId))),
  profile: (s: ReleaseSubject) => [s.profile],
  /** `National_1`… (`NATIONAL_PROFILE`). */
  nationalProfile: (s: ReleaseSubject) => [NATIONAL_PROFILE[s.profile]],
  firstName: (s: ReleaseSubject) => [s.firstName],
  lastName: (s: ReleaseSubject) => [s.lastName],
  displayName: (s: ReleaseSubject) => [s.displayName],
  email: (s: ReleaseSubject) => present(s.email),
  birthDate: (s: ReleaseSubject) => present(s.birthDate),
  ine: (s: ReleaseSubject) => present(s.ine),
  uai: (s: ReleaseSubject) => s.structures.map((st) => st.uai),
  classCodes: (s: ReleaseSubject) => groupCodes(s, 'class'),
  groupCodes: (s: ReleaseSubject) => groupCodes(s, 'group'),
  tenant: (s: ReleaseSubject) => [s.tenantId],
} satisfies Record<string, (subject: ReleaseSubject) => string[]>;
export type AttributeSource = keyof typeof SOURCES;

/** Sources a pupil's release leaves out unless the attribute says `minors: true`. */
const MINORS_SENSITIVE: ReadonlySet<AttributeSource> = new Set(['email', 'birthDate', 'ine']);
const isMinor = (subject: ReleaseSubject): boolean => subject.profile === 'Student';

export const NAME_FORMATS = {
  basic: 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic',
  uri: 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri',
} as const;
export type NameFormat = keyof typeof NAME_FORMATS;

export interface AttributeRule {
  /** The SAML `Name`. */
  name: string;
  /** The SAML `FriendlyName`; none by default. */
  friendlyName?: string;
  nameFormat: NameFormat;
  source: AttributeSource;
  /** The profiles it is sent for; default: every profile. */
  profiles?: readonly Profile[];
  /** Send a pupil's e-mail, birth date or INE; default false (they are left out). */
  minors?: boolean;
}

export interface NameIdRule {
  format: NameIdFormat;
  /** For `emailAddress`: allow it for a pupil too; default false. */
  minors?: boolean;
}

export interface ReleasePolicy {
  name: string;
  /** The NameID formats allowed; the first is sent when the SP does not ask for one. */
  nameIds: readonly [NameIdRule, ...NameIdRule[]];
  attributes: readonly AttributeRule[];
  /** Throws when the person may not be sent to this SP at all (the GAR: no GAR school). */
  eligibility?: (subject: ReleaseSubject) => void;
}

/** An attribute as the assertion carries it; `NameFormat` is the full URN. */
export interface ReleasedAttribute {
  name: string;
  friendlyName?: string;
  nameFormat: string;
  values: string[];
}

function allowedFor(rule: AttributeRule, subject: ReleaseSubject): boolean {
  if (rule.profiles && !rule.profiles.includes(subject.profile)) return false;
  return !(isMinor(subject) && MINORS_SENSITIVE.has(rule.source) && rule.minors !== true);
}

/** Exactly the policy's attributes that apply to this person and have a value, in the policy's order. */
export function releaseAttributes(policy: ReleasePolicy, subject: ReleaseSubject): ReleasedAttribute[] {
  policy.eligibility?.(subject);
  return policy.attributes.flatMap((rule) => {
    if (!allowedFor(rule, subject)) return [];
    const values = SOURCES[rule.source](subject);
    if (values.length === 0) return [];
    const attribute: ReleasedAttribute = { name: rule.name, nameFormat: NAME_FORMATS[rule.nameFormat], values };
    if (rule.friendlyName !== undefined) attribute.friendlyName = rule.friendlyName;
    return [attribute];
  });
}

function nameIdRefused(policy: ReleasePolicy, why: string): HubError {
  return new HubError('nameid_format_refused', `The service asked for a name identifier that the "${policy.name}" release policy does not send: ${why}.`, { status: 400 });
}

/**
 * The NameID for an AuthnRequest's NameIDPolicy `Format` (null or `unspecified`: the policy's
 * first). A format the policy does not list, or an e-mail it may not send, is refused: the SSO
 * step answers `InvalidNameIDPolicy`.
 */
export function chooseNameId(policy: ReleasePolicy, requestedFormat: string | null, subject: ReleaseSubject): { format: string; value: string } {
  const rule = requestedFormat === null || requestedFormat === NAMEID_UNSPECIFIED
    ? policy.nameIds[0]
    : policy.nameIds.find((r) => NAMEID_FORMATS[r.format] === requestedFormat);
  if (!rule) throw nameIdRefused(policy, `${requestedFormat} is not among its formats`);
  const format = NAMEID_FORMATS[rule.format];
  switch (rule.format) {
    case 'persistent':
      return { format, value: subject.pairwiseId };
    case 'transient':
      return { format, value: transientNameId() };
    case 'emailAddress':
      if (isMinor(subject) && rule.minors !== true) throw nameIdRefused(policy, "a pupil's e-mail address is not sent");
      if (subject.email === null) throw nameIdRefused(policy, 'the account has no e-mail address');
      return { format, value: subject.email };
  }
}
