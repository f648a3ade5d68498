/**
 * The ÉduConnect profile (DOMAIN.md): OID attribute names, FrEduCtRefId parsing and the
 * pupil/parent affiliations. The identity is matched on the AAF ids ÉduConnect vouches for,
 * each in the tenant of its académie code; FrEduCtId is the subject of the remembered link.
 */
import type { UpstreamIdentity } from '../core/identity.js';

const OID = 'urn:oid:1.3.6.1.4.1.20326.10.999.1.';

/** Attribute names; FrEduCtRefId's OID is unverified, so its name is configurable. */
export const EDUCONNECT_ATTRIBUTES = {
  id: `${OID}57`,
  affiliation: `${OID}7`,
  uai: `${OID}72`,
  level: `${OID}73`,
  birthDate: `${OID}67`,
  ineHash: `${OID}64`,
  lastName: 'urn:oid:2.5.4.4',
  givenName: 'urn:oid:2.5.4.42',
  refId: 'FrEduCtRefId',
} as const;
export type EduConnectAttribute = keyof typeof EDUCONNECT_ATTRIBUTES;

export interface AafRef {
  academyCode: string;
  aafId: string;
}

/**
 * `{AAF}09|…|1234567` → académie code and AAF id (entcore SSOEduConnect: keep `{AAF}` values,
 * strip the prefix, split on `|`, field 0 the code and field 2 the id). Anything else: null.
 */
export function parseRefId(value: string): AafRef | null {
  if (!value.startsWith('{AAF}')) return null;
  const fields = value.slice(5).split('|');
  const academyCode = fields[0]?.trim() ?? '';
  const aafId = fields[2]?.trim() ?? '';
  if (!/^\d{1,3}$/.test(academyCode) || !/^[A-Za-z0-9]{1,64}$/.test(aafId)) return null;
  return { academyCode, aafId };
}

/** Académie codes compare as numbers: ÉduConnect writes `9` or `09`, the tenant `09`. */
export const sameAcademyCode = (a: string, b: string): boolean => /^\d+$/.test(a) && /^\d+$/.test(b) && Number(a) === Number(b);

export interface EduConnectRouting {
  /** The tenant of an académie code, or null when it is not one of ours. */
  tenantOfAcademyCode(code: string): string | null;
  /** External id prefixes of a tenant's sources (`LILLE` for `AC-LILLE`). */
  externalIdPrefixes(tenantId: string): string[];
}

export function eduConnectIdentity(
  connectorId: string,
  attributes: Record<string, string[]>,
  names: Record<EduConnectAttribute, string>,
  routing: EduConnectRouting,
  allTenants: string[],
): UpstreamIdentity {
  const first = (key: EduConnectAttribute): string | undefined => attributes[names[key]]?.[0];
  const subject = first('id');
  const candidates: Array<{ tenantId: string; externalId: string }> = [];
  const unknownAcademies: string[] = [];
  for (const value of attributes[names.refId] ?? []) {
    const ref = parseRefId(value);
    if (!ref) continue;
    const tenantId = routing.tenantOfAcademyCode(ref.academyCode);
    if (!tenantId) {
      unknownAcademies.push(ref.academyCode);
      continue;
    }
    for (const prefix of routing.externalIdPrefixes(tenantId)) candidates.push({ tenantId, externalId: `${prefix}-${ref.aafId}` });
  }
  const affiliation = first('affiliation') ?? '';
  const kind = /^eleve/.test(affiliation) ? 'pupil' : /^resp/.test(affiliation) ? 'parent' : undefined;
  return {
    connectorId,
    subject: subject ?? '',
    tenantIds: allTenants,
    match: candidates.length > 0 ? { kind: 'externalId', candidates } : null,
    givenName: first('givenName'),
    familyName: first('lastName'),
    kind,
    authnContexts: [],
    // No names, birth date or INE hash in the audit trail: the ids are enough to investigate.
    auditDetails: { affiliation, externalIds: candidates.map((c) => `${c.tenantId}:${c.externalId}`), ...(unknownAcademies.length ? { unknownAcademies } : {}) },
  };
}
