/**
 * Authentication context classes the hub issues (`acr`), with the methods behind them (`amr`,
 * RFC 8176). An RP asks for a second factor with `acr_values=urn:ent-hdf:loa:2` (or an
 * essential `acr` claim) and finds the level it got in the ID token.
 */
export const ACR_ONE_FACTOR = 'urn:ent-hdf:loa:1';
export const ACR_TWO_FACTORS = 'urn:ent-hdf:loa:2';
export const ACR_VALUES = [ACR_ONE_FACTOR, ACR_TWO_FACTORS];

function requestedAcrs(params: Record<string, unknown>): string[] {
  const fromValues = typeof params.acr_values === 'string' ? params.acr_values.split(' ') : [];
  let fromClaims: string[] = [];
  if (typeof params.claims === 'string') {
    try {
      const acr = (JSON.parse(params.claims) as { id_token?: { acr?: { value?: unknown; values?: unknown } } }).id_token?.acr;
      fromClaims = [acr?.value, ...(Array.isArray(acr?.values) ? acr.values : [])].filter((v): v is string => typeof v === 'string');
    } catch {
      // oidc-provider has already refused malformed claims before any interaction.
    }
  }
  return [...fromValues, ...fromClaims];
}

/** Whether the authorization request asks for two factors (and not for a single one as an alternative). */
export function requestsTwoFactors(params: Record<string, unknown>): boolean {
  const acrs = requestedAcrs(params);
  return acrs.includes(ACR_TWO_FACTORS) && !acrs.includes(ACR_ONE_FACTOR);
}
