/**
 * The SAML SP connector (samlify for requests, metadata and decryption; our own strict
 * response validation in ../saml/response.ts). AuthnRequests go out signed on the
 * HTTP-Redirect binding (no auto-submitted form: the hub's CSP allows no inline script);
 * responses come back on the HTTP-POST binding to `/federation/<id>/acs`.
 */
import { createHash } from 'node:crypto';
import * as samlify from 'samlify';
import type { KeyObject } from 'node:crypto';
import { samlSettingsSchema, type ConnectorConfig, type SamlSettings } from '../config.js';
import type { ConnectorContext, ConnectorType, LoginState, OpenConnector } from '../core/connector.js';
import { FederationFailure } from '../core/failure.js';
import type { UpstreamIdentity } from '../core/identity.js';
import { ACADEMIE_SAML_NAMES, academieIdentity } from '../profiles/academie.js';
import { EDUCONNECT_ATTRIBUTES, eduConnectIdentity, type EduConnectAttribute } from '../profiles/educonnect.js';
import { loadKeyPair } from '../saml/keys.js';
import { openIdpMetadata } from '../saml/metadata.js';
import { verifySamlResponse, type VerifiedAssertion } from '../saml/response.js';
import { samlSchemaValidator, warmUpSchemaValidator } from '../saml/schema-validator.js';
import { publicKeysOf } from '../saml/xmldsig.js';

const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

samlify.setSchemaValidator(samlSchemaValidator);

export const federationPath = (connectorId: string, what: string): string => `/federation/${connectorId}/${what}`;

const requestKey = (connectorId: string, requestId: string) => `fed:saml:req:${connectorId}:${requestId}`;
const assertionKey = (connectorId: string, a: VerifiedAssertion) => `fed:saml:seen:${connectorId}:${createHash('sha256').update(`${a.issuer}\n${a.id}`).digest('hex')}`;

function certsOf(idp: samlify.IdentityProviderInstance): string[] {
  const certs = idp.entityMeta.getX509Certificate('signing');
  return (Array.isArray(certs) ? certs.flat() : [certs]).filter((c): c is string => typeof c === 'string' && c.length > 0);
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
  return academieIdentity(config.id, tenantId, a.nameId, a.attributes, { givenName: override('givenName'), familyName: override('familyName'), email: override('email'), rne: override('rne') }, config.emailDomains);
}

async function open(config: ConnectorConfig, settings: SamlSettings, tenantId: string | null, context: ConnectorContext): Promise<OpenConnector> {
  await warmUpSchemaValidator();
  const acsUrl = context.issuer + federationPath(config.id, 'acs');
  const spEntityId = settings.spEntityId ?? context.issuer + federationPath(config.id, 'metadata');
  const signing = loadKeyPair(settings.signing, `connector ${config.id} signing`);
  const encryption = settings.encryption ? loadKeyPair(settings.encryption, `connector ${config.id} encryption`) : null;
  const metadataSource = await openIdpMetadata(settings.idpMetadata, (err) => context.log.warn({ connector: config.id, err: err.message }, 'IdP metadata refresh failed; keeping the last good copy'));

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
    nameIDFormat: ['urn:oasis:names:tc:SAML:2.0:nameid-format:persistent', 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient'],
  });
  const spMetadata = sp.getMetadata();

  // Keys are parsed once per metadata copy, not per response (ARCHITECTURE.md: key parsing dominates).
  let keysFor: { idp: samlify.IdentityProviderInstance; keys: KeyObject[] } | undefined;
  const idpKeys = (idp: samlify.IdentityProviderInstance): KeyObject[] => {
    if (keysFor?.idp !== idp) keysFor = { idp, keys: publicKeysOf(certsOf(idp)) };
    return keysFor.keys;
  };

  return {
    id: config.id,
    config,
    tenantId,
    saml: {
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
          decryptionKey: encryption?.keyPem ?? null,
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
        return { state, identity };
      },
    },
    close: async () => metadataSource.close(),
  };
}

export const samlConnectorType: ConnectorType<typeof samlSettingsSchema> = { type: 'saml', configSchema: samlSettingsSchema, open };
