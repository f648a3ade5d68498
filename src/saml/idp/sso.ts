/**
 * Single sign-on (SAML profiles 4.1): an SP's AuthnRequest (HTTP-Redirect or HTTP-POST) or an
 * IdP-initiated link (`/saml/sso/<entityID>?RelayState=…`, what an ENT portal's link to a GAR
 * resource is) is answered from the hub session when it satisfies the request, else after the
 * hub's sign-in pages (sign-ins.ts). The answer is the signed (and, for an SP with an encryption
 * certificate, encrypted) Response in an auto-posted form; a request that cannot be answered
 * with an assertion gets a status Response (NoPassive, NoAuthnContext, InvalidNameIDPolicy).
 */
import type { Context } from 'koa';
import { ACR_ONE_FACTOR, ACR_TWO_FACTORS } from '../../identity/acr.js';
import { garProjectIdOf } from '../../identity/gar.js';
import { garPersonIdentifier } from '../../identity/gar-identifier.js';
import type { HubSignIn } from '../../login/hub-session.js';
import { HubError } from '../../shared/errors.js';
import type { Account, ServiceProvider } from '../../storage/ports/index.js';
import type { Lang } from '../../ui/i18n.js';
import { signEnveloped } from '../core/keys.js';
import { entityIdOf, type IdpDeps } from './deps.js';
import { defaultPostAcs, type RequestedAcr, type VerifiedAuthnRequest } from './inbound.js';
import { STATUS, statusResponseXml, type Status } from './messages.js';
import { currentPairwiseNameId, NAMEID_FORMATS } from './nameid.js';
import { releasePolicy } from './policies.js';
import { chooseNameId, releaseAttributes, type ReleaseSubject } from './release.js';
import { buildResponse } from './response.js';
import { setRequestTenant } from '../../shared/request-scope.js';
import { autoPostForm } from './post-form.js';
import { takePosted } from './posted.js';
import { requiredAcr, type SsoRequest } from './sign-ins.js';
import { newSessionIndex } from './sp-sessions.js';

const PASSWORD_PROTECTED_TRANSPORT = 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';

/** A request that cannot be served to this person: a page, not an assertion. */
export class SsoRefused extends HubError {
  constructor(code: 'gar_no_school' | 'tenant_not_served' | 'account_unavailable', message: string) {
    super(code, message, { status: 403 });
  }
}

export function ssoRequestOf(verified: VerifiedAuthnRequest): SsoRequest {
  return {
    sp: verified.sp.entityId, requestId: verified.id, acsUrl: verified.acs.location, relayState: verified.relayState,
    forceAuthn: verified.forceAuthn, isPassive: verified.isPassive, nameIdFormat: verified.nameIdFormat, requestedAcr: verified.requestedAcr,
  };
}

/** An IdP-initiated request for `sp`: its default HTTP-POST ACS, nothing asked. */
export function unsolicitedRequest(sp: ServiceProvider, relayState: string | null): SsoRequest {
  const acs = defaultPostAcs(sp);
  if (!acs) throw new HubError('saml_idp_acs', 'This service cannot receive a sign-in from the ENT: its registration has no address for it.', { status: 400 });
  return { sp: sp.entityId, requestId: null, acsUrl: acs.location, relayState, forceAuthn: false, isPassive: false, nameIdFormat: null, requestedAcr: null };
}

/** The authentication context class the assertion states: the hub's acr, as the SP asked for it where it can. */
function classRefOf(acr: string, requested: RequestedAcr | null): string {
  // A two-factor sign-in is also a password one: an SP that asked exactly for the latter gets it named so.
  const stated = acr === ACR_TWO_FACTORS && requested?.comparison === 'exact' && !requested.acrs.includes(ACR_TWO_FACTORS) ? ACR_ONE_FACTOR : acr;
  return stated === ACR_ONE_FACTOR ? PASSWORD_PROTECTED_TRANSPORT : stated;
}

/** Whether the hub session may answer the request as it is. */
function sessionSatisfies(signIn: HubSignIn | null, request: SsoRequest): signIn is HubSignIn {
  if (!signIn || request.forceAuthn) return false;
  const needed = requiredAcr(request.requestedAcr);
  return needed === null || signIn.acr === needed;
}

/** The SSO step: answer now, answer the status of a passive request, or send the browser to sign in. */
export async function serveSso(ctx: Context, deps: IdpDeps, request: SsoRequest, sp: ServiceProvider, lang: Lang): Promise<void> {
  const signIn = await deps.hubSession.current(ctx);
  if (sessionSatisfies(signIn, request)) return answer(ctx, deps, request, sp, signIn, lang);
  if (request.isPassive) return answerStatus(ctx, deps, request, [STATUS.responder, signIn && !request.forceAuthn ? STATUS.noAuthnContext : STATUS.noPassive], lang);
  ctx.set('Cache-Control', 'no-store');
  ctx.redirect(await deps.signIns.start(ctx, request, sp, lang));
}

/** A request that came on HTTP-POST, once the browser is back in a top-level GET (posted.ts). */
export async function resumePostedRequest(ctx: Context, deps: IdpDeps, key: string): Promise<void> {
  const { request, lang } = await takePosted<{ request: SsoRequest; lang: Lang }>(deps.ephemeral, 'sso', key);
  const sp = await deps.store.serviceProviders.find(request.sp);
  if (!sp || !sp.enabled) throw new HubError('unknown_sp', 'unknown or disabled service provider', { status: 404 });
  await serveSso(ctx, deps, request, sp, lang);
}

/** The step after the sign-in pages: the finished sign-in's request answered. */
export async function respondAfterSignIn(ctx: Context, deps: IdpDeps, id: string): Promise<void> {
  const { request, lang } = await deps.signIns.takeCompleted(ctx, id);
  const sp = await deps.store.serviceProviders.find(request.sp);
  const signIn = await deps.hubSession.current(ctx);
  if (!sp || !sp.enabled || !signIn) throw new SsoRefused('account_unavailable', 'The service or the session ended during the sign-in.');
  await answer(ctx, deps, request, sp, signIn, lang);
}

function postToAcs(ctx: Context, request: SsoRequest, xml: string, lang: Lang): void {
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = autoPostForm(request.acsUrl, 'SAMLResponse', Buffer.from(xml, 'utf8').toString('base64'), request.relayState ?? undefined, lang);
}

/** The most specific StatusCode's name (`NoPassive`): a fixed SAML vocabulary. */
const statusLabel = (status: Status): string => status[status.length - 1]!.split(':').pop()!;

async function answerStatus(ctx: Context, deps: IdpDeps, request: SsoRequest, status: Status, lang: Lang): Promise<void> {
  const xml = statusResponseXml({ issuer: entityIdOf(deps), destination: request.acsUrl, now: new Date() }, request.requestId, status);
  deps.metrics.samlResponse(request.sp, statusLabel(status));
  postToAcs(ctx, request, signEnveloped(xml, "/*[local-name(.)='Response']", deps.keys.current().signing), lang);
}

async function releaseSubjectOf(deps: IdpDeps, account: Account, spEntityId: string): Promise<ReleaseSubject> {
  const tenant = deps.store.forTenant(account.tenantId);
  const [structures, groups] = await Promise.all([tenant.memberships.structuresOf(account.id), tenant.memberships.groupsOf(account.id)]);
  const gar = deps.garOf(account.tenantId);
  return {
    tenantId: account.tenantId, profile: account.profile, firstName: account.firstName, lastName: account.lastName,
    displayName: account.displayName, email: account.email, birthDate: account.birthDate, ine: null,
    pairwiseId: currentPairwiseNameId(deps.pairwiseSalts, spEntityId, account),
    garPersonIdentifier: gar ? garPersonIdentifier(gar.identifierKey, account) : null,
    structures: structures.map((s) => ({ uai: s.uai, name: s.name, garProjectId: garProjectIdOf(gar?.settings, s.uai) })),
    groups: groups.map((g) => ({ kind: g.kind, uai: g.structure.uai, code: g.code })),
  };
}

const pemOf = (base64Der: string): string => `-----BEGIN CERTIFICATE-----\n${base64Der.replace(/\s+/g, '').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`;

async function accountFor(deps: IdpDeps, sp: ServiceProvider, signIn: HubSignIn): Promise<Account> {
  const account = await deps.store.accounts.findById(signIn.accountId);
  if (!account || account.status !== 'active') throw new SsoRefused('account_unavailable', 'The account of this session can no longer sign in.');
  setRequestTenant(account.tenantId);
  if (sp.tenantId !== null && sp.tenantId !== account.tenantId) throw new SsoRefused('tenant_not_served', 'This service is reserved for the accounts of another tenant.');
  return account;
}

/** The assertion for the session's account, as the SP's release policy allows, posted to its ACS. */
async function answer(ctx: Context, deps: IdpDeps, request: SsoRequest, sp: ServiceProvider, signIn: HubSignIn, lang: Lang): Promise<void> {
  const account = await accountFor(deps, sp, signIn);
  const subject = await releaseSubjectOf(deps, account, sp.entityId);
  const policy = releasePolicy(sp.releasePolicy);
  const attributes = releaseAttributes(policy, subject);
  let chosen: { format: string; value: string };
  try {
    chosen = chooseNameId(policy, request.nameIdFormat, subject);
  } catch (err) {
    if (err instanceof HubError && err.code === 'nameid_format_refused') return answerStatus(ctx, deps, request, [STATUS.requester, STATUS.invalidNameIdPolicy], lang);
    throw err;
  }
  // A pairwise id means something only to its SP: the SP's entityID qualifies it.
  const nameId = chosen.format === NAMEID_FORMATS.persistent ? { ...chosen, spNameQualifier: sp.entityId } : chosen;
  const sessionIndex = newSessionIndex();
  const authnContext = classRefOf(signIn.acr, request.requestedAcr);
  await deps.spSessions.join(signIn.sessionId, { sp: sp.entityId, nameId, sessionIndex });
  const encryptionCert = sp.encryptAssertions ? sp.metadata.encryptionCertificates[0] : undefined;
  const xml = buildResponse({
    issuer: entityIdOf(deps), sp: sp.entityId, acsUrl: request.acsUrl, inResponseTo: request.requestId,
    nameId,
    attributes,
    authn: { instant: signIn.authTime, acr: authnContext, sessionIndex },
    now: new Date(),
    keys: deps.keys.current().signing,
    signatures: sp.signatures,
    ...(encryptionCert ? { encryptTo: pemOf(encryptionCert) } : {}),
  });
  await deps.store.forTenant(account.tenantId).audit.record({
    type: 'saml.sso', accountId: account.id, clientId: sp.entityId, ip: ctx.ip, userAgent: ctx.get('user-agent'),
    details: { sp: sp.entityId, nameIdFormat: nameId.format, attributes: attributes.map((a) => a.name), initiated: request.requestId === null ? 'idp' : 'sp', authnContext, encrypted: Boolean(encryptionCert) },
  });
  deps.metrics.samlResponse(sp.entityId, 'Success');
  postToAcs(ctx, request, xml, lang);
}
