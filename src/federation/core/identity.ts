/**
 * What a connector hands to the linking step: who the upstream says the user is, and the
 * identifiers it vouches for. Linking trusts only `match` (never a self-declared e-mail).
 */
import { FederationFailure } from './failure.js';

/** A school the person belongs to, from the académie's `FrEduRne` (`uai$type$category$function$…`). */
export interface RneEntry {
  uai: string;
  /** The rest of the value, kept for audit (type, category, function…). */
  fields: string[];
}

/** How the upstream identity may be matched to imported accounts. */
export type MatchKey =
  /** ÉduConnect: the AAF ids found in FrEduCtRefId, each in the tenant of its académie code. */
  | { kind: 'externalId'; candidates: Array<{ tenantId: string; externalId: string }> }
  /** Académie staff IdP: the académie e-mail it vouches for, in the IdP's own tenant. */
  | { kind: 'academicEmail'; tenantId: string; email: string };

export interface UpstreamIdentity {
  connectorId: string;
  /** The upstream's stable subject (FrEduCtId, sub…): the key of the remembered link. */
  subject: string;
  /** Tenants where a remembered link may exist (a platform connector spans several). */
  tenantIds: string[];
  match: MatchKey | null;
  givenName?: string | undefined;
  familyName?: string | undefined;
  /** ÉduConnect affiliation, or staff. */
  kind?: 'pupil' | 'parent' | 'staff' | undefined;
  structures?: RneEntry[] | undefined;
  /**
   * How the upstream says it authenticated the user (SAML AuthnContextClassRef, OIDC `acr` and
   * `amr` values): with the connector's policy, the sign-in's `acr` and `amr`.
   */
  authnContexts: string[];
  /** The upstream's SAML session (NameID, SessionIndex), for single logout. */
  upstreamSession?: UpstreamSession | undefined;
  /** A few non-sensitive attributes for the audit trail. */
  auditDetails: Record<string, unknown>;
}

/** What single logout needs to name the user's session at a SAML IdP. */
export interface UpstreamSession {
  nameId: string;
  sessionIndex: string | null;
}

const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

function holdsControlCharacter(value: unknown): boolean {
  if (typeof value === 'string') return CONTROL_CHARACTER.test(value);
  if (Array.isArray(value)) return value.some(holdsControlCharacter);
  if (value !== null && typeof value === 'object') return Object.values(value).some(holdsControlCharacter);
  return false;
}

/**
 * An upstream's values go into the store and onto pages: one holding a control character (a NUL
 * in an OIDC claim, which PostgreSQL would refuse) makes the sign-in a clear refusal, not a 500.
 */
export function checkIdentityText(identity: UpstreamIdentity): void {
  if (holdsControlCharacter(identity)) throw new FederationFailure('malformed', 'a value of the upstream identity holds a control character');
}
