/**
 * Generic OIDC upstream connector (the académies' "FIM", ÉduConnect's OIDC variant): discovery,
 * authorization code + PKCE (S256), state and nonce kept server-side as one-time tickets, ID
 * token checked with jose (signature through the upstream's JWKS, issuer, audience, expiry,
 * nonce), claims mapped by configuration.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { readSecret } from '../../../shared/secrets.js';
import { HubError } from '../../../shared/errors.js';
import type { ConnectorConfig } from '../../config.js';
import type { ConnectorContext, ConnectorType, LoginState, OpenConnector } from '../../core/connector.js';
import { FederationFailure } from '../../core/failure.js';
import { ConnectorMisconfigured } from '../../core/registry.js';
import { academieIdentity } from '../../profiles/academie.js';
import { federationPath } from '../saml/connector.js';
import { oidcSettingsSchema, type OidcSettings } from './settings.js';

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  userinfo_endpoint?: string;
}

interface Pending {
  state: LoginState;
  nonce: string;
  verifier: string;
}

const stateKey = (connectorId: string, state: string) => `fed:oidc:state:${connectorId}:${state}`;

/** The upstream's discovery document cannot be used (logged; the login answers "unavailable"). */
class DiscoveryFailed extends HubError {
  constructor(message: string) {
    super('oidc_discovery_failed', message, { status: 503, expose: false });
  }
}

async function discover(settings: OidcSettings, production: boolean): Promise<Discovery> {
  const issuer = settings.issuer.replace(/\/$/, '');
  if (!issuer.startsWith('https://') && (production || !settings.allowInsecureHttp)) throw new DiscoveryFailed(`OIDC upstream ${issuer}: https required`);
  const res = await fetch(`${issuer}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(10_000), redirect: 'error' });
  if (!res.ok) throw new DiscoveryFailed(`OIDC discovery at ${issuer}: HTTP ${res.status}`);
  const doc = (await res.json()) as Partial<Discovery>;
  // The discovery document must name the issuer we were configured with (OIDC Discovery 4.3).
  if (doc.issuer?.replace(/\/$/, '') !== issuer || !doc.authorization_endpoint || !doc.token_endpoint || !doc.jwks_uri) throw new DiscoveryFailed(`OIDC discovery at ${issuer}: incomplete or foreign document`);
  return doc as Discovery;
}

/** jose's error codes → our reasons (the audit trail says which check failed). */
function idTokenFailure(err: unknown): FederationFailure {
  const code = (err as { code?: string }).code ?? 'invalid';
  const claim = (err as { claim?: string }).claim;
  if (code === 'ERR_JWT_EXPIRED') return new FederationFailure('expired', 'ID token expired', 401);
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && claim === 'aud') return new FederationFailure('audience', 'ID token for another audience', 401);
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && claim === 'iss') return new FederationFailure('issuer', 'ID token from another issuer', 401);
  if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' || code === 'ERR_JWKS_NO_MATCHING_KEY' || code === 'ERR_JOSE_ALG_NOT_ALLOWED' || code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') {
    return new FederationFailure('signature', `ID token signature refused: ${code}`, 401);
  }
  return new FederationFailure('token', `ID token refused: ${code}${claim ? ` (${claim})` : ''}`, 401);
}

const claimValues = (payload: Record<string, unknown>): Record<string, string[]> => {
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(payload)) {
    if (typeof v === 'string') out[k] = [v];
    else if (Array.isArray(v)) out[k] = v.filter((x): x is string => typeof x === 'string');
  }
  return out;
};

async function open(config: ConnectorConfig, settings: OidcSettings, tenantId: string | null, context: ConnectorContext): Promise<OpenConnector> {
  if (!tenantId) throw new ConnectorMisconfigured(`connector ${config.id}: the OIDC connector serves the académie profile and must belong to a tenant`);
  let meta: Discovery | undefined;
  let jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  // Discovery is lazy and retried: an upstream down at start must not stop the hub.
  const metadata = async (): Promise<Discovery> => {
    if (!meta) {
      try {
        meta = await discover(settings, context.production);
      } catch (err) {
        context.log.warn({ connector: config.id, err: (err as Error).message }, 'OIDC discovery failed');
        throw new FederationFailure('unavailable', 'discovery failed', 503);
      }
      jwks = createRemoteJWKSet(new URL(meta.jwks_uri));
    }
    return meta;
  };
  const secret = settings.clientSecret ? readSecret(settings.clientSecret, `connector ${config.id}: client secret`) : null;
  const redirectUri = context.issuer + federationPath(config.id, 'callback');

  return {
    id: config.id,
    config,
    tenantId,
    redirect: {
      async loginUrl(state: LoginState): Promise<string> {
        const m = await metadata();
        const pending: Pending = { state, nonce: randomBytes(24).toString('base64url'), verifier: randomBytes(32).toString('base64url') };
        const stateValue = randomBytes(24).toString('base64url');
        await context.ephemeral.put(stateKey(config.id, stateValue), JSON.stringify(pending), 600);
        const url = new URL(m.authorization_endpoint);
        url.search = new URLSearchParams({
          response_type: 'code', client_id: settings.clientId, redirect_uri: redirectUri, scope: settings.scopes.join(' '),
          state: stateValue, nonce: pending.nonce, code_challenge: createHash('sha256').update(pending.verifier).digest('base64url'), code_challenge_method: 'S256',
        }).toString();
        return url.href;
      },
      async handleCallback(query: Record<string, string>) {
        const raw = query.state ? await context.ephemeral.take(stateKey(config.id, query.state)) : null;
        if (!raw) throw new FederationFailure('state', 'unknown, used or expired state', 401);
        const pending = JSON.parse(raw) as Pending;
        if (query.error) throw new FederationFailure('upstream_error', `upstream answered ${query.error.slice(0, 60)}`, 401);
        if (!query.code) throw new FederationFailure('malformed', 'no code');
        const m = await metadata();
        const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
        const form = new URLSearchParams({ grant_type: 'authorization_code', code: query.code, redirect_uri: redirectUri, code_verifier: pending.verifier });
        if (secret) headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(settings.clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
        else form.set('client_id', settings.clientId);
        const res = await fetch(m.token_endpoint, { method: 'POST', headers, body: form, signal: AbortSignal.timeout(10_000), redirect: 'error' }).catch(() => null);
        if (!res) throw new FederationFailure('unavailable', 'token endpoint unreachable', 503);
        const tokens = (await res.json().catch(() => ({}))) as { id_token?: unknown; access_token?: unknown; error?: unknown };
        if (!res.ok || typeof tokens.id_token !== 'string') throw new FederationFailure('token', `token request failed (${String(tokens.error ?? res.status)})`, 401);
        let claims: JWTPayload;
        try {
          ({ payload: claims } = await jwtVerify(tokens.id_token, jwks!, {
            issuer: m.issuer, audience: settings.clientId, algorithms: settings.idTokenAlgorithms,
            clockTolerance: settings.clockSkewSeconds, requiredClaims: ['sub', 'exp', 'iat'],
          }));
        } catch (err) {
          throw idTokenFailure(err);
        }
        if (claims.nonce !== pending.nonce) throw new FederationFailure('nonce', 'nonce mismatch', 401);
        if (claims.azp !== undefined && claims.azp !== settings.clientId) throw new FederationFailure('audience', 'azp is another client', 401);
        let released: Record<string, unknown> = claims;
        // Staff IdPs often keep the e-mail and FrEduRne for userinfo; it answers for the same subject only.
        if (m.userinfo_endpoint && typeof tokens.access_token === 'string' && !settings.claims.email.some((n) => claims[n] !== undefined)) {
          const info = await fetch(m.userinfo_endpoint, { headers: { authorization: `Bearer ${tokens.access_token}` }, signal: AbortSignal.timeout(10_000), redirect: 'error' })
            .then((r) => (r.ok ? r.json() : null)).catch(() => null) as Record<string, unknown> | null;
          if (info && info.sub === claims.sub) released = { ...info, ...claims };
        }
        const values = claimValues(released);
        const c = settings.claims;
        // OIDC's `email` is often user-editable upstream: only a verified one may link an account.
        for (const name of c.email) if (!settings.directoryEmailClaims.includes(name) && released.email_verified !== true) delete values[name];
        const subject = values[c.subject]?.[0] ?? null;
        if (!subject) throw new FederationFailure('no_identifier', `no ${c.subject} claim`);
        const domains = context.routing.academicDomains(tenantId, config.emailDomains);
        const identity = academieIdentity(config.id, tenantId, subject, values, { givenName: [c.givenName], familyName: [c.familyName], email: c.email, rne: [c.rne] }, domains);
        // Read from the signed ID token only (userinfo does not say how the user authenticated).
        identity.authnContexts = [claims.acr, ...(Array.isArray(claims.amr) ? claims.amr : [])].filter((v): v is string => typeof v === 'string');
        if (released.email !== undefined && values.email === undefined) identity.auditDetails.unverifiedEmailIgnored = true;
        return { state: pending.state, identity };
      },
    },
    close: async () => undefined,
  };
}

export const oidcConnectorType: ConnectorType<typeof oidcSettingsSchema> = {
  type: 'oidc',
  settingsSchema: oidcSettingsSchema,
  tenantOnly: 'the OIDC connector serves académie staff and belongs to a tenant (use --tenant)',
  open,
};
