/**
 * Single logout (SAML profiles 4.4) across every SP and RP of the hub session, through the logout
 * orchestrator (src/login/logout.ts):
 * - an SP's LogoutRequest ends the hub session (the OIDC RPs are told by back-channel, the other
 *   SPs by the page below, the upstream IdP last), then the SP gets its LogoutResponse;
 * - any end of the hub session (an OIDC RP's logout, the upstream IdP's) reaches this module as a
 *   session participant: the SPs of that session are told on a page that loads one hidden frame
 *   per SP (its LogoutRequest on its own binding), asks the hub how many answered, and goes on
 *   when all did or after a few seconds: one SP that does not answer never blocks the chain.
 * The frames' answers (LogoutResponses) come back to /saml/slo and are matched by InResponseTo.
 */
import { randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import type { LogoutContinuation, SessionParticipant } from '../../login/logout.js';
import type { ServiceProvider, SpEndpoint } from '../../storage/ports/index.js';
import type { Lang } from '../../ui/i18n.js';
import { entityIdOf, type IdpDeps } from './deps.js';
import type { VerifiedLogoutRequest, VerifiedLogoutResponse } from './inbound.js';
import { logoutRequestXml, logoutResponseXml, sendToSp, STATUS } from './messages.js';
import { frameDonePage, loggedOutPage, propagationPage } from './pages.js';
import { BINDINGS } from './sp-metadata.js';
import type { SpSession } from './sp-sessions.js';
import { samlId } from './xml-text.js';

/** How long a logout run and its requests are remembered: the page gives up well before. */
const RUN_TTL_SECONDS = 120;
/** How long an SP has to act on a LogoutRequest (its NotOnOrAfter). */
const REQUEST_LIFETIME_SECONDS = 60;

export const SLO_PATHS = {
  reply: '/slo/reply/:id',
  run: '/slo/run/:run',
  frame: '/slo/run/:run/:n',
  status: '/slo/run/:run/status',
  done: '/slo/run/:run/done',
} as const;
const path = (template: string, values: Record<string, string | number>): string =>
  `/saml${template.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(String(values[name])))}`;

interface LogoutRun {
  lang: Lang;
  then: string | null;
  accountId: string;
  requests: Array<{ id: string; session: SpSession }>;
}

interface PendingReply {
  sp: string;
  slo: SpEndpoint;
  inResponseTo: string;
  relayState: string | null;
  lang: Lang;
}

const runKey = (run: string): string => `saml-idp:slo-run:${run}`;
const outKey = (requestId: string): string => `saml-idp:slo-out:${requestId}`;
const replyKey = (id: string): string => `saml-idp:slo-reply:${id}`;
const newId = (): string => randomBytes(18).toString('base64url');

/** The SP's SLO endpoint the IdP sends its requests to: HTTP-Redirect preferred (no page of its own in the frame), else HTTP-POST. */
function sloEndpointOf(sp: ServiceProvider): SpEndpoint | null {
  const endpoints = sp.metadata.singleLogoutServices;
  return endpoints.find((e) => e.binding === BINDINGS.redirect) ?? endpoints.find((e) => e.binding === BINDINGS.post) ?? null;
}

/** This module as a participant of the hub session: its SPs told on the logout page. */
export function spSessionsParticipant(deps: IdpDeps): SessionParticipant {
  return {
    end: async (_ctx, ended, next: LogoutContinuation) => {
      const sessions = await deps.spSessions.takeAll(ended.sessionId);
      if (sessions.length === 0) return null;
      const run = newId();
      const record: LogoutRun = { lang: next.lang, then: next.then, accountId: ended.accountId, requests: sessions.map((session) => ({ id: samlId(), session })) };
      await deps.ephemeral.put(runKey(run), JSON.stringify(record), RUN_TTL_SECONDS);
      await Promise.all(record.requests.map((r) => deps.ephemeral.put(outKey(r.id), run, RUN_TTL_SECONDS)));
      return path(SLO_PATHS.run, { run });
    },
  };
}

async function loadRun(deps: IdpDeps, run: string): Promise<LogoutRun | null> {
  const raw = await deps.ephemeral.get(runKey(run));
  return raw ? (JSON.parse(raw) as LogoutRun) : null;
}

/** Frames may show the hub's pages inside its own logout page, nowhere else. */
function frameableBySelf(ctx: Context): void {
  ctx.set('Content-Security-Policy', "default-src 'none'; script-src 'self'; style-src 'self'; form-action 'self' http: https:; frame-ancestors 'self'; base-uri 'none'");
  ctx.remove('X-Frame-Options');
}

/** The logout page: one frame per SP; the frames may load the SPs' SLO endpoints, the script asks for the status. */
export async function showRun(ctx: Context, deps: IdpDeps, run: string): Promise<void> {
  const record = await loadRun(deps, run);
  if (!record) return continueTo(ctx, null, 'fr');
  const sps = await Promise.all(record.requests.map((r) => deps.store.serviceProviders.find(r.session.sp)));
  const origins = new Set(sps.flatMap((sp) => (sp ? [sloEndpointOf(sp)] : [])).flatMap((e) => (e ? [new URL(e.location).origin] : [])));
  ctx.set('Content-Security-Policy', `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-src 'self' ${[...origins].join(' ')}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`);
  ctx.set('Cache-Control', 'no-store');
  ctx.type = 'html';
  ctx.body = propagationPage({
    lang: record.lang,
    frames: record.requests.map((_, n) => path(SLO_PATHS.frame, { run, n })),
    status: path(SLO_PATHS.status, { run }),
    done: path(SLO_PATHS.done, { run }),
  });
}

/** One frame: the LogoutRequest to SP number `n` of the run, on the SP's binding. */
export async function sendFrame(ctx: Context, deps: IdpDeps, run: string, n: number): Promise<void> {
  frameableBySelf(ctx);
  const record = await loadRun(deps, run);
  const request = record?.requests[n];
  const sp = request ? await deps.store.serviceProviders.find(request.session.sp) : null;
  const endpoint = sp ? sloEndpointOf(sp) : null;
  if (!record || !request || !endpoint) {
    if (request) await deps.ephemeral.delete(outKey(request.id));
    ctx.type = 'html';
    ctx.body = frameDonePage(record?.lang ?? 'fr');
    return;
  }
  const now = new Date();
  const xml = logoutRequestXml({ issuer: entityIdOf(deps), destination: endpoint.location, now }, request.id, request.session, new Date(now.getTime() + REQUEST_LIFETIME_SECONDS * 1000));
  sendToSp(ctx, endpoint, 'SAMLRequest', xml, null, deps.keys.current().signing, record.lang);
}

/** How many SPs of the run have not answered yet. */
export async function runStatus(ctx: Context, deps: IdpDeps, run: string): Promise<void> {
  const record = await loadRun(deps, run);
  const pending = record ? (await Promise.all(record.requests.map((r) => deps.ephemeral.get(outKey(r.id))))).filter((v) => v !== null).length : 0;
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { pending };
}

/** The end of the logout page: the SPs' answers audited, then where the logout goes on. */
export async function finishRun(ctx: Context, deps: IdpDeps, run: string): Promise<void> {
  const raw = await deps.ephemeral.take(runKey(run));
  // Already finished (the button after the script, a reload): the user is signed out all the same.
  if (!raw) return continueTo(ctx, null, 'fr');
  const record = JSON.parse(raw) as LogoutRun;
  const unanswered = await Promise.all(record.requests.map(async (r) => ((await deps.ephemeral.take(outKey(r.id))) === null ? [] : [r.session.sp])));
  const account = await deps.store.accounts.findById(record.accountId);
  const audit = account ? deps.store.forTenant(account.tenantId).audit : deps.store.audit;
  await audit.record({
    type: 'saml.logout', accountId: record.accountId, ip: ctx.ip, userAgent: ctx.get('user-agent'),
    details: { initiator: 'hub', sps: record.requests.map((r) => r.session.sp), unanswered: unanswered.flat() },
  });
  continueTo(ctx, record.then, record.lang);
}

function continueTo(ctx: Context, then: string | null, lang: Lang): void {
  ctx.set('Cache-Control', 'no-store');
  if (then) {
    ctx.status = 303;
    ctx.redirect(then);
    return;
  }
  ctx.type = 'html';
  ctx.body = loggedOutPage(lang);
}

/** An SP's LogoutResponse to one of the frames' requests. */
export async function receiveLogoutResponse(ctx: Context, deps: IdpDeps, response: VerifiedLogoutResponse, lang: Lang): Promise<void> {
  frameableBySelf(ctx);
  const run = await deps.ephemeral.take(outKey(response.inResponseTo));
  if (!run) deps.log.info({ sp: response.sp.entityId }, 'SAML LogoutResponse to no pending request');
  else if (!response.success) deps.log.warn({ sp: response.sp.entityId, status: response.status }, 'SAML SP answered its LogoutRequest with a failure');
  ctx.set('Cache-Control', 'no-store');
  ctx.type = 'html';
  ctx.body = frameDonePage(lang);
}

/** An SP's verified LogoutRequest, as the logout needs it (and as it is kept across a POST, see posted.ts). */
export interface SpLogoutRequest {
  id: string;
  sp: string;
  slo: SpEndpoint;
  nameId: string;
  relayState: string | null;
}

export const spLogoutRequestOf = (verified: VerifiedLogoutRequest): SpLogoutRequest =>
  ({ id: verified.id, sp: verified.sp.entityId, slo: verified.slo, nameId: verified.nameId, relayState: verified.relayState });

/**
 * An SP's LogoutRequest: when this browser's hub session holds that SP's session for that NameID,
 * the hub session ends with everything after it; the SP gets its LogoutResponse last. Any other
 * request is answered at once (there is nothing of it to end here).
 */
export async function receiveLogoutRequest(ctx: Context, deps: IdpDeps, request: SpLogoutRequest, lang: Lang): Promise<void> {
  const signIn = await deps.hubSession.current(ctx);
  const held = signIn ? (await deps.spSessions.list(signIn.sessionId)).find((s) => s.sp === request.sp && s.nameId.value === request.nameId) : undefined;
  const reply = newId();
  const pending: PendingReply = { sp: request.sp, slo: request.slo, inResponseTo: request.id, relayState: request.relayState, lang };
  await deps.ephemeral.put(replyKey(reply), JSON.stringify(pending), RUN_TTL_SECONDS * 5);
  const replyUrl = path(SLO_PATHS.reply, { id: reply });
  if (!signIn || !held) {
    ctx.redirect(replyUrl);
    return;
  }
  await deps.spSessions.leave(signIn.sessionId, request.sp);
  const account = await deps.store.accounts.findById(signIn.accountId);
  await (account ? deps.store.forTenant(account.tenantId).audit : deps.store.audit).record({
    type: 'saml.logout', accountId: signIn.accountId, clientId: request.sp, ip: ctx.ip, userAgent: ctx.get('user-agent'),
    details: { initiator: 'sp', sp: request.sp },
  });
  const to = await deps.logout.endHubSession(ctx, { lang, then: replyUrl });
  ctx.set('Cache-Control', 'no-store');
  ctx.redirect(to ?? replyUrl);
}

/** The LogoutResponse to the SP that started the logout, once everything else is done. */
export async function sendReply(ctx: Context, deps: IdpDeps, id: string): Promise<void> {
  const raw = await deps.ephemeral.take(replyKey(id));
  if (!raw) return continueTo(ctx, null, 'fr');
  const pending = JSON.parse(raw) as PendingReply;
  // Success whatever was found: the SP's session at the hub is over either way (nothing of it is left here).
  const xml = logoutResponseXml({ issuer: entityIdOf(deps), destination: pending.slo.location, now: new Date() }, pending.inResponseTo, [STATUS.success]);
  sendToSp(ctx, pending.slo, 'SAMLResponse', xml, pending.relayState, deps.keys.current().signing, pending.lang);
}
