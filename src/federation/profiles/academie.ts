/**
 * The académie staff profile (DOMAIN.md): matched by the académie e-mail the IdP vouches for
 * (`mail`, fallback `ctemail`), `FrEduRne` parsed to structures. Used by the SAML and the OIDC
 * connectors alike: both hand over a bag of named values.
 */
import type { RneEntry, UpstreamIdentity } from '../core/identity.js';

export interface AcademieNames {
  subject?: string | undefined;
  givenName: string[];
  familyName: string[];
  /** Tried in order. */
  email: string[];
  rne: string[];
}

/** SAML attribute names seen for the staff IdPs: friendly names and their OIDs. */
export const ACADEMIE_SAML_NAMES: AcademieNames = {
  givenName: ['givenName', 'urn:oid:2.5.4.42', 'given_name'],
  familyName: ['sn', 'urn:oid:2.5.4.4', 'family_name'],
  email: ['mail', 'urn:oid:0.9.2342.19200300.100.1.3', 'ctemail'],
  rne: ['FrEduRne'],
};

/** `0590121L$UAJ$PU$DIR$0590121L$T3$LYC$3000` → UAI and the other fields; junk → null. */
export function parseRne(value: string): RneEntry | null {
  const [uai, ...fields] = value.split('$');
  if (!uai || !/^\d{7}[A-Z]$/.test(uai.trim().toUpperCase())) return null;
  return { uai: uai.trim().toUpperCase(), fields };
}

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,190}\.[^\s@]{2,}$/;

export function academieIdentity(
  connectorId: string,
  tenantId: string,
  subject: string | null,
  values: Record<string, string[]>,
  names: AcademieNames,
  emailDomains: string[],
): UpstreamIdentity {
  const firstOf = (candidates: string[]): string | undefined => candidates.map((n) => values[n]?.find((v) => v.trim() !== '')).find((v) => v !== undefined)?.trim();
  const rawEmail = firstOf(names.email)?.toLowerCase();
  // An address outside the académie's domains is not one the IdP vouches for as académie e-mail;
  // with no domain configured nothing matches (fail closed: a staff IdP vouching for gmail.com
  // addresses would otherwise open any account whose académie e-mail was mistyped).
  const domainOk = rawEmail !== undefined && emailDomains.some((d) => rawEmail.endsWith(`@${d.toLowerCase()}`));
  const email = rawEmail && EMAIL.test(rawEmail) && domainOk ? rawEmail : undefined;
  const rneValues = names.rne.flatMap((n) => values[n] ?? []);
  const structures = rneValues.map(parseRne).filter((r): r is RneEntry => r !== null);
  return {
    connectorId,
    subject: subject ?? email ?? '',
    tenantIds: [tenantId],
    match: email ? { kind: 'academicEmail', tenantId, email } : null,
    givenName: firstOf(names.givenName),
    familyName: firstOf(names.familyName),
    kind: 'staff',
    structures,
    authnContexts: [],
    auditDetails: { email: email ?? null, ...(rawEmail && !email ? { refusedEmail: rawEmail } : {}), uai: structures.map((s) => s.uai) },
  };
}
