/**
 * The SAML SP connector (samlify for requests and metadata; our own strict response validation
 * and decryption in ./response.ts, on the SAML kit of src/saml/core). AuthnRequests go out signed on the
 * HTTP-Redirect binding (no auto-submitted form: the hub's CSP allows no inline script);
 * responses come back on the HTTP-POST binding to `/federation/<id>/acs`.
 */
import { createHash } from 'node:crypto';
import * as samlify from 'samlify';
import type { KeyObject } from 'node:crypto';
import type { ConnectorConfig } from '../../config.js';
import { ENCRYPTION_ALGORITHMS, SAFE_ENCRYPTION_ALGORITHMS, samlSettingsSchema, type SamlSettings } from './settings.js';
import type { LogoutContinuation } from '../../../login/logout.js';
import type { ConnectorContext, ConnectorType, IdpLogoutMessage, LoginState, OpenConnector, SamlLogout } from '../../core/connector.js';
import { verifyLogoutMessage } from './logout.js';
import { FederationFailure } from '../../core/failure.js';
import { ConnectorUnavailable } from '../../core/registry.js';
import type { UpstreamIdentity } from '../../core/identity.js';
import { ACADEMIE_SAML_NAMES, academieIdentity } from '../../profiles/academie.js';
import { EDUCONNECT_ATTRIBUTES, eduConnectIdentity, type EduConnectAttribute } from '../../profiles/educonnect.js';
import { loadKeyPair } from './keys.js';
import { openIdpMetadata } from './metadata.js';
import { verifySamlResponse, type VerifiedAssertion } from './response.js';
import { publicKeysOf, RSA_SHA256 } from '../../../saml/core/keys.js';
import { samlSchemaValidator, warmUpSchemaValidator } from '../../../saml/core/schema-validator.js';

const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

samlify.setSchemaValidator(samlSchemaValidator);

export const federationPath = (connectorId: string, what: string): string => `/federation/${connectorId}/${what}`;

const requestKey = (connectorId: string, requestId: string) => `fed:saml:req:${connectorId}:${requestId}`;
const logoutKey = (connectorId: string, requestId: string) => `fed:saml:logout:${connectorId}:${requestId}`;
const logoutSeenKey = (connectorId: string, hash: string) => `fed:saml:logout-seen:${connectorId}:${hash}`;
const assertionKey = (connectorId: string, a: VerifiedAssertion) => `fed:saml:seen:${connectorId}:${createHash('sha256').update(`${a.issuer}\n${a.id}`).digest('hex')}`;

function certsOf(idp: samlify.IdentityProviderInstance): string[] {
  const certs = idp.entityMeta.getX509Certificate('signing');
  return (Array.isArray(certs) ? certs.flat() : [certs]).filter((c): c is string => typeof c === 'string' && c.length > 0);
}

/**
 * The algorithm URIs accepted in encrypted assertions: the configured list, else AES-GCM/CBC with
 * RSA-OAEP, plus 3DES and RSA 1.5 outside production (pysaml2 and older test IdPs default to them).
 */
export function acceptedEncryptionAlgorithms(settings: Pick<SamlSettings, 'encryptionAlgorithms'>, production: boolean): string[] {
  const names = settings.encryptionAlgorithms ?? (production ? SAFE_ENCRYPTION_ALGORITHMS : [...SAFE_ENCRYPTION_ALGORITHMS, 'tripledes-cbc', 'rsa-1_5'] as const);
  return names.map((n) => ENCRYPTION_ALGORITHMS[n]);
}

function identityOf(config: ConnectorConfig, settings: SamlSettings, tenantId: string | null, context: ConnectorContext, a: VerifiedAssertion): UpstreamIdentity {
  if (config.profile === 'educonnect') {
    const names = { ...EDUCONNECT_ATTRIBUTES } as Record<EduConnectAttribute, string>;
    for (const [k, v] of Object.entries(settings.attributes)) if (k in names) names[k as EduConnectAttribute] = v;
    return eduConnectIdentity(config.id, a.attributes, names, context.routing, context.routing.allTenants());
  }
  if (!tenantId) throw new FederationFailure('unknown_connector', 'an académie connector must belong to a tenant');
  const names = { ...ACADEMIE_SAML_NAMES };
  const override = (key: 'email' | 'rne' | 'givenName' | 'familyName') => (settings.attributes[key] ? [settings.attributes[key]] : names[key]);
  return academieIdentity(config.id, tenantId, a.nameId, a.attributes, { givenName: override('givenName'), familyName: override('familyName'), email: override('email'), rne: override('rne') }, context.routing.academicDomains(tenantId, config.emailDomains));
}

/** An unavailable SAML connector: its SP metadata, and "unavailable" for everything else. */
function metadataOnly(config: ConnectorConfig, tenantId: string | null, spMetadata: string, reason: string): OpenConnector {
  const unavailable = async (): Promise<never> => {
    throw new FederationFailure('unavailable', `connector ${config.id} is unavailable: ${reason}`, 503);
  };
  return { id: config.id, config, tenantId, saml: { metadata: () => spMetadata, loginUrl: unavailable, handlePost: unavailable }, close: async () => undefined };
}

async function open(config: ConnectorConfig, settings: SamlSettings, tenantId: string | null, context: ConnectorContext): Promise<OpenConnector> {
  await warmUpSchemaValidator();
  const acsUrl = context.issuer + federationPath(config.id, 'acs');
  const sloUrl = context.issuer + federationPath(config.id, 'slo');
  const spEntityId = settings.spEntityId ?? context.issuer + federationPath(config.id, 'metadata');
  const signing = loadKeyPair(settings.signing, 'signing key pair');
  const encryption = settings.encryption ? loadKeyPair(settings.encryption, 'encryption key pair') : null;
  const encryptionAlgorithms = acceptedEncryptionAlgorithms(settings, context.production);

  const sp = samlify.ServiceProvider({
    entityID: spEntityId,
    authnRequestsSigned: true,
    wantAssertionsSigned: settings.wantAssertionSigned,
    wantMessageSigned: settings.wantResponseSigned,
    isAssertionEncrypted: settings.wantAssertionsEncrypted,
    privateKey: signing.keyPem,
    signingCert: signing.certPem,
    ...(encryption ? { encPrivateKey: encryption.keyPem, encryptCert: encryption.certPem } : {}),
    requestSignatureAlgorithm: RSA_SHA256,
    assertionConsumerService: [{ Binding: POST, Location: acsUrl }],
    singleLogoutService: [{ Binding: REDIRECT, Location: sloUrl }],
    nameIDFormat: ['urn:oasis:names:tc:SAML:2.0:nameid-format:persistent', 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient'],
  });
  const spMetadata = sp.getMetadata();

  // Our SP metadata needs only our keys: while the IdP's metadata is not there yet (the IdP
  // needs ours to produce its own), the connector is unavailable but still publishes it.
  let metadataSource: Awaited<ReturnType<typeof openIdpMetadata>>;
  try {
    metadataSource = await openIdpMetadata(settings.idpMetadata, (err) => context.log.warn({ connector: config.id, err: err.message }, 'IdP metadata refresh failed; keeping the last good copy'));
  } catch (err) {
    if (err instanceof ConnectorUnavailable) throw err.withPartial(metadataOnly(config, tenantId, spMetadata, err.message));
    throw err;
  }

  // Keys are parsed once per metadata copy, not per response (ARCHITECTURE.md: key parsing dominates).
  let keysFor: { idp: samlify.IdentityProviderInstance; keys: KeyObject[] } | undefined;
  const idpKeys = (idp: samlify.IdentityProviderInstance): KeyObject[] => {
    if (keysFor?.idp !== idp) keysFor = { idp, keys: publicKeysOf(certsOf(idp)) };
    return keysFor.keys;
  };

  const logout: SamlLogout = {
    async requestUrl(session, after) {
      const idp = metadataSource.current();
      // samlify looks SLO endpoints up by its binding key ('redirect'), not by the binding URN.
      if (typeof idp.entityMeta.getSingleLogoutService('redirect') !== 'string') throw new FederationFailure('unavailable', 'the IdP offers no HTTP-Redirect SLO endpoint', 503);
      const { id, context: url } = sp.createLogoutRequest(idp, 'redirect', { logoutNameID: session.nameId, ...(session.sessionIndex ? { sessionIndex: session.sessionIndex } : {}) });
      await context.ephemeral.put(logoutKey(config.id, id), JSON.stringify(after), settings.requestTtlSeconds);
      return url;
    },
    async handle(rawQuery): Promise<IdpLogoutMessage> {
      const idp = metadataSource.current();
      const message = verifyLogoutMessage(rawQuery, {
        idpEntityId: idp.entityMeta.getEntityID(), idpKeys: idpKeys(idp), sloUrl,
        skewSeconds: settings.clockSkewSeconds, maxAgeSeconds: settings.requestTtlSeconds, now: new Date(),
      });
      if (message.kind === 'response') {
        const pending = await context.ephemeral.take(logoutKey(config.id, message.inResponseTo));
        if (!pending) throw new FederationFailure('unknown_request', 'the LogoutResponse answers no pending request of this hub', 401);
        return { kind: 'response', success: message.success, status: message.status, pending: JSON.parse(pending) as LogoutContinuation };
      }
      if (!(await context.ephemeral.claimOnce(logoutSeenKey(config.id, message.replayKey), settings.requestTtlSeconds + settings.clockSkewSeconds))) {
        throw new FederationFailure('replay', `LogoutRequest ${message.id} already received`, 401);
      }
      return {
        kind: 'request', nameId: message.nameId, sessionIndexes: message.sessionIndexes, relayState: message.relayState,
        // Our LogoutResponse: signed on the redirect binding, answering the request's ID.
        respond: () => {
          const { context: url } = sp.createLogoutResponse(idp, { extract: { request: { id: message.id } } } as never, 'redirect', message.relayState ?? '');
          return url;
        },
      };
    },
  };

  return {
    id: config.id,
    config,
    tenantId,
    saml: {
      logout,
      metadata: () => spMetadata,
      async loginUrl(state: LoginState): Promise<string> {
        const idp = metadataSource.current();
        if (!idp.entityMeta.getSingleSignOnService(REDIRECT)) throw new FederationFailure('unavailable', 'the IdP offers no HTTP-Redirect SSO endpoint', 503);
        const { id, context: url } = sp.createLoginRequest(idp, 'redirect');
        await context.ephemeral.put(requestKey(config.id, id), JSON.stringify(state), settings.requestTtlSeconds);
        return url;
      },
      async handlePost(body: Record<string, string>) {
        const encoded = body.SAMLResponse;
        if (!encoded) throw new FederationFailure('malformed', 'no SAMLResponse in the POST');
        const idp = metadataSource.current();
        const assertion = await verifySamlResponse(encoded, {
          idpEntityId: idp.entityMeta.getEntityID(),
          idpKeys: idpKeys(idp),
          spEntityId,
          acsUrl,
          skewSeconds: settings.clockSkewSeconds,
          wantResponseSigned: settings.wantResponseSigned,
          wantAssertionSigned: settings.wantAssertionSigned,
          wantEncrypted: settings.wantAssertionsEncrypted,
          decryptionKey: encryption?.privateKey ?? null,
          encryptionAlgorithms,
          now: new Date(),
        });
        // Replay: the id is remembered (in Redis with several processes) until the assertion expires.
        const ttl = Math.max(1, Math.ceil((assertion.validUntil.getTime() - Date.now()) / 1000) + settings.clockSkewSeconds);
        if (!(await context.ephemeral.claimOnce(assertionKey(config.id, assertion), ttl))) throw new FederationFailure('replay', `assertion ${assertion.id} already used`, 401);
        if (!assertion.inResponseTo) throw new FederationFailure('unsolicited', 'IdP-initiated (unsolicited) responses are not accepted', 401);
        const pending = await context.ephemeral.take(requestKey(config.id, assertion.inResponseTo));
        if (!pending) throw new FederationFailure('unknown_request', 'the response answers no pending request of this hub', 401);
        const state = JSON.parse(pending) as LoginState;
        const identity = identityOf(config, settings, tenantId, context, assertion);
        if (!identity.subject) throw new FederationFailure('no_identifier', 'the assertion carries no stable identifier');
        if (assertion.authnContextClassRef) identity.authnContexts = [assertion.authnContextClassRef];
        if (assertion.nameId) identity.upstreamSession = { nameId: assertion.nameId, sessionIndex: assertion.sessionIndex };
        return { state, identity };
      },
    },
    close: async () => metadataSource.close(),
  };
}

export const samlConnectorType: ConnectorType<typeof samlSettingsSchema> = { type: 'saml', settingsSchema: samlSettingsSchema, open };
