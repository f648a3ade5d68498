/**
 * The federation endpoints, all under /federation/:
 *   GET  /federation/start/:connector?uid=     leave for the upstream (remembers the choice)
 *   GET  /federation/staff?uid=                 "Personnel de l'Éducation nationale": pick an académie
 *   GET  /federation/back/:uid                  back to the login page, forgetting the remembered choice
 *   GET  /federation/:connector/metadata        our SAML SP metadata
 *   POST /federation/:connector/acs             SAML responses (HTTP-POST binding)
 *   GET  /federation/:connector/callback        OIDC upstream callback
 *   GET  /federation/continue/:ticket           resolve the account(s), finish the interaction
 *   POST /federation/choose/:ticket             the account chosen among several
 *   GET  /federation/logout                     after the hub's end-session page: the SAML IdP's logout (SP-initiated SLO)
 *   GET  /federation/:connector/slo             SAML LogoutRequest / LogoutResponse (HTTP-Redirect binding)
 *
 * The SAML POST arrives cross-site, so it carries no SameSite=Lax cookie: the response is
 * checked there, then the result waits under a one-time ticket and the browser is sent (a
 * top-level GET, which does carry the interaction cookie) to /continue, where oidc-provider
 * ties it to the interaction it started.
 */
import { randomBytes } from 'node:crypto';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';
import { langOf } from '../../oidc/provider-pages.js';
import type { Lang } from '../../oidc/views/i18n.js';
import type { Logger } from '../../shared/logger.js';
import type { EphemeralStore } from '../../storage/ports/ephemeral.js';
import type { Account, PlatformStore } from '../../storage/ports/index.js';
import type { LoginState, OpenConnector } from '../core/connector.js';
import { FederationFailure } from '../core/failure.js';
import type { UpstreamIdentity } from '../core/identity.js';
import { candidateAccounts, completeFederatedLogin, type AuditContext } from '../linking/link.js';
import { createFederatedAccount } from '../linking/provision.js';
import { renderAccountChoice, renderFailure, renderLoggedOut, renderNoAccount, renderStaffChoice } from './pages.js';
import { UPSTREAM_SESSION_COOKIE } from '../session-cookie.js';
import { endHubSession, hubSessionAccount } from './hub-session.js';

export const REMEMBERED_CHOICE_COOKIE = 'hub_fed_choice';
const TICKET_TTL_SECONDS = 300;
const SAML_BODY_LIMIT = '256kb';

export interface RouteDeps {
  provider: Provider;
  store: PlatformStore;
  ephemeral: EphemeralStore;
  log: Logger;
  connectors: Map<string, OpenConnector>;
  tenantNames: Map<string, string>;
  rememberChoiceDays: number;
  /** The hub session's lifetime: the upstream session record lives as long. */
  sessionTtlSeconds: number;
}

/** What single logout needs, kept server-side under the cookie's random id. */
interface UpstreamSessionRecord {
  connectorId: string;
  tenantId: string;
  accountId: string;
  nameId: string;
  sessionIndex: string | null;
}
const upstreamSessionKey = (id: string) => `fed:slo:${id}`;

interface Ticket {
  state: LoginState;
  identity: UpstreamIdentity;
  /** Set once the account-choice page was shown: the only ids the POST may choose. */
  candidates?: string[];
}

const ticketKey = (ticket: string) => `fed:ticket:${ticket}`;
const uidOk = (uid: unknown): uid is string => typeof uid === 'string' && /^[\w-]{10,64}$/.test(uid);
const langSwitchOf = (ctx: Context, lang: Lang) => `${ctx.path}?${new URLSearchParams({ ...(ctx.query as Record<string, string>), lang: lang === 'fr' ? 'en' : 'fr' })}`;

function auditContext(ctx: Context, clientId: string | null = null): AuditContext {
  return { ip: ctx.ip || null, userAgent: ctx.get('user-agent') || null, clientId };
}

async function interactionOf(ctx: Context, provider: Provider, uid: string) {
  try {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.uid !== uid || details.prompt.name !== 'login') throw new FederationFailure('expired_interaction', 'interaction mismatch');
    return details;
  } catch (err) {
    if (err instanceof errors.SessionNotFound) throw new FederationFailure('expired_interaction', 'no interaction cookie');
    throw err;
  }
}

export function federationRouter(deps: RouteDeps): Router {
  const router = new Router({ prefix: '/federation' });
  const samlBody = bodyParser({ enableTypes: ['form'], formLimit: SAML_BODY_LIMIT, encoding: 'utf-8' });
  const form = bodyParser({ enableTypes: ['form'], formLimit: '4kb', encoding: 'utf-8' });

  /** Refusals become a clear page and an audit event (in the connector's tenant, else the platform's). */
  const guarded = (connectorOf: (ctx: Context) => OpenConnector | undefined, handler: (ctx: Context) => Promise<void>) => async (ctx: Context) => {
    try {
      await handler(ctx);
    } catch (err) {
      if (!(err instanceof FederationFailure)) throw err;
      const connector = connectorOf(ctx);
      const event = { type: 'federation.failure', ...auditContext(ctx), details: { connector: connector?.id ?? null, reason: err.reason, detail: err.detail.slice(0, 300) } };
      const audit = connector?.tenantId ? deps.store.forTenant(connector.tenantId).audit : deps.store.audit;
      await audit.record(event).catch((e: Error) => deps.log.error({ err: e.message }, 'cannot audit a federation failure'));
      deps.log.warn({ connector: connector?.id, reason: err.reason, detail: err.detail, requestId: ctx.state.requestId }, 'federated login refused');
      ctx.status = err.status;
      ctx.type = 'html';
      ctx.set('Cache-Control', 'no-store');
      ctx.body = renderFailure({ lang: langOf(ctx), status: err.status, reason: err.reason, requestId: String(ctx.state.requestId ?? '') });
    }
  };
  const byParam = (ctx: Context) => deps.connectors.get(String(ctx.params.connector));
  const none = () => undefined;
  const connectorOrFail = (ctx: Context): OpenConnector => {
    const c = byParam(ctx);
    if (!c) throw new FederationFailure('unknown_connector', `no enabled connector ${String(ctx.params.connector).slice(0, 40)}`);
    return c;
  };

  router.get('/start/:connector', guarded(byParam, async (ctx) => {
    const connector = connectorOrFail(ctx);
    const uid = ctx.query.uid;
    if (!uidOk(uid)) throw new FederationFailure('expired_interaction', 'no uid');
    await interactionOf(ctx, deps.provider, uid);
    const state: LoginState = { uid, connectorId: connector.id, tenantId: connector.tenantId, lang: langOf(ctx) };
    const url = connector.saml ? await connector.saml.loginUrl(state) : await connector.redirect!.loginUrl(state);
    if (deps.rememberChoiceDays > 0) {
      ctx.cookies.set(REMEMBERED_CHOICE_COOKIE, connector.id, { httpOnly: true, sameSite: 'lax', signed: true, secure: ctx.secure, maxAge: deps.rememberChoiceDays * 86_400_000, overwrite: true });
    }
    ctx.set('Cache-Control', 'no-store');
    ctx.redirect(url);
  }));

  router.get('/staff', guarded(none, async (ctx) => {
    const uid = ctx.query.uid;
    if (!uidOk(uid)) throw new FederationFailure('expired_interaction', 'no uid');
    const lang = langOf(ctx);
    const choices = [...deps.connectors.values()]
      .filter((c) => c.config.profile === 'academie')
      .map((c) => ({ href: `/federation/start/${c.id}?${new URLSearchParams({ uid, lang })}`, label: c.config.displayName }));
    ctx.type = 'html';
    ctx.body = renderStaffChoice({ lang, choices, backUrl: `/federation/back/${uid}?lang=${lang}`, langSwitchUrl: langSwitchOf(ctx, lang) });
  }));

  router.get('/back/:uid', (ctx) => {
    const uid = String(ctx.params.uid);
    ctx.cookies.set(REMEMBERED_CHOICE_COOKIE, null, { signed: true });
    ctx.redirect(uidOk(uid) ? `/interaction/${uid}?lang=${langOf(ctx)}` : '/');
  });

  router.get('/:connector/metadata', guarded(byParam, async (ctx) => {
    const connector = connectorOrFail(ctx);
    if (!connector.saml) throw new FederationFailure('unknown_connector', 'not a SAML connector');
    ctx.type = 'application/samlmetadata+xml';
    ctx.body = connector.saml.metadata();
  }));

  const toContinue = async (ctx: Context, result: { state: LoginState; identity: UpstreamIdentity }) => {
    const ticket = randomBytes(24).toString('base64url');
    await deps.ephemeral.put(ticketKey(ticket), JSON.stringify({ state: result.state, identity: result.identity } satisfies Ticket), TICKET_TTL_SECONDS);
    ctx.status = 303;
    ctx.redirect(`/federation/continue/${ticket}?lang=${result.state.lang}`);
  };

  router.post('/:connector/acs', samlBody, guarded(byParam, async (ctx) => {
    const connector = connectorOrFail(ctx);
    if (!connector.saml) throw new FederationFailure('unknown_connector', 'not a SAML connector');
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const strings = Object.fromEntries(Object.entries(body).filter((e): e is [string, string] => typeof e[1] === 'string'));
    await toContinue(ctx, await connector.saml.handlePost(strings));
  }));

  router.get('/:connector/callback', guarded(byParam, async (ctx) => {
    const connector = connectorOrFail(ctx);
    if (!connector.redirect) throw new FederationFailure('unknown_connector', 'not a redirect connector');
    const query = Object.fromEntries(Object.entries(ctx.query).filter((e): e is [string, string] => typeof e[1] === 'string'));
    await toContinue(ctx, await connector.redirect.handleCallback(query));
  }));

  const loadTicket = async (ctx: Context): Promise<Ticket & { key: string }> => {
    const key = ticketKey(String(ctx.params.ticket));
    const raw = await deps.ephemeral.get(key);
    if (!raw) throw new FederationFailure('expired_interaction', 'unknown or used ticket');
    return { ...(JSON.parse(raw) as Ticket), key };
  };
  const connectorOfTicketPath = (ctx: Context) => deps.connectors.get(String(ctx.state.federationConnector ?? ''));

  const finish = async (ctx: Context, ticket: Ticket & { key: string }, account: Account, clientId: string) => {
    await deps.ephemeral.delete(ticket.key);
    await completeFederatedLogin(deps.store, ticket.identity, account, auditContext(ctx, clientId));
    const upstream = ticket.identity.upstreamSession;
    if (upstream && deps.connectors.get(ticket.state.connectorId)?.saml?.logout) {
      const id = randomBytes(24).toString('base64url');
      const record: UpstreamSessionRecord = { connectorId: ticket.state.connectorId, tenantId: account.tenantId, accountId: account.id, ...upstream };
      await deps.ephemeral.put(upstreamSessionKey(id), JSON.stringify(record), deps.sessionTtlSeconds);
      ctx.cookies.set(UPSTREAM_SESSION_COOKIE, id, { httpOnly: true, sameSite: 'lax', signed: true, secure: ctx.secure, maxAge: deps.sessionTtlSeconds * 1000, overwrite: true });
    }
    const to = await deps.provider.interactionResult(ctx.req, ctx.res, { login: { accountId: account.id, amr: ticket.identity.amr } }, { mergeWithLastSubmission: false });
    ctx.status = 303;
    ctx.redirect(to);
  };

  router.get('/continue/:ticket', guarded(connectorOfTicketPath, async (ctx) => {
    const ticket = await loadTicket(ctx);
    ctx.state.federationConnector = ticket.state.connectorId;
    const details = await interactionOf(ctx, deps.provider, ticket.state.uid);
    const clientId = String(details.params.client_id);
    const accounts = await candidateAccounts(deps.store, ticket.identity);
    const lang = ticket.state.lang;
    if (accounts.length === 0) {
      const connector = deps.connectors.get(ticket.state.connectorId);
      let notCreated: string | null = null;
      if (connector && !connector.config.linkOnly) {
        const provisioning = { id: connector.id, tenantId: connector.tenantId, accountCreation: connector.config.accountCreation };
        const outcome = await createFederatedAccount(deps.store, deps.ephemeral, ticket.identity, provisioning, auditContext(ctx, clientId));
        if (outcome.account) return finish(ctx, ticket, outcome.account, clientId);
        notCreated = outcome.reason;
      }
      await deps.ephemeral.delete(ticket.key);
      const audit = connector?.tenantId ? deps.store.forTenant(connector.tenantId).audit : deps.store.audit;
      await audit.record({ type: 'federation.no_account', ...auditContext(ctx, clientId), details: { connector: ticket.state.connectorId, subject: ticket.identity.subject, ...ticket.identity.auditDetails, ...(notCreated ? { notCreated } : {}) } });
      ctx.type = 'html';
      ctx.set('Cache-Control', 'no-store');
      ctx.body = renderNoAccount({ lang, kind: ticket.identity.kind === 'staff' ? 'staff' : 'family', backUrl: `/federation/back/${ticket.state.uid}?lang=${lang}` });
      return;
    }
    if (accounts.length === 1) return finish(ctx, ticket, accounts[0]!, clientId);
    await deps.ephemeral.put(ticket.key, JSON.stringify({ state: ticket.state, identity: ticket.identity, candidates: accounts.map((a) => a.id) } satisfies Ticket), TICKET_TTL_SECONDS);
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = renderAccountChoice({ lang, action: `/federation/choose/${String(ctx.params.ticket)}?lang=${lang}`, accounts: accounts.map((a) => ({ ...a, tenantName: deps.tenantNames.get(a.tenantId) ?? a.tenantId })) });
  }));

  router.post('/choose/:ticket', form, guarded(connectorOfTicketPath, async (ctx) => {
    const ticket = await loadTicket(ctx);
    ctx.state.federationConnector = ticket.state.connectorId;
    const details = await interactionOf(ctx, deps.provider, ticket.state.uid);
    const chosen = String((ctx.request.body as Record<string, unknown> | undefined)?.account ?? '');
    if (!ticket.candidates?.includes(chosen)) throw new FederationFailure('state', 'the chosen account was not offered');
    // Re-read: the account may have been disabled while the page was open.
    const account = (await candidateAccounts(deps.store, ticket.identity)).find((a) => a.id === chosen);
    if (!account) throw new FederationFailure('state', 'the chosen account is no longer available');
    await finish(ctx, ticket, account, String(details.params.client_id));
  }));

  /** This browser's upstream session record, if any (the cookie is dropped either way). */
  const takeUpstreamSession = async (ctx: Context): Promise<UpstreamSessionRecord | null> => {
    const id = ctx.cookies.get(UPSTREAM_SESSION_COOKIE, { signed: true });
    ctx.cookies.set(UPSTREAM_SESSION_COOKIE, null, { signed: true });
    if (!id) return null;
    const raw = await deps.ephemeral.take(upstreamSessionKey(id));
    return raw ? (JSON.parse(raw) as UpstreamSessionRecord) : null;
  };
  const auditLogout = async (ctx: Context, connector: OpenConnector | undefined, accountId: string | null, details: Record<string, unknown>) => {
    const audit = connector?.tenantId ? deps.store.forTenant(connector.tenantId).audit : deps.store.audit;
    await audit.record({ type: 'federation.logout', accountId, ...auditContext(ctx), details: { connector: connector?.id ?? null, ...details } });
  };
  const loggedOut = (ctx: Context, lang: Lang, complete: boolean) => {
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = renderLoggedOut({ lang, complete });
  };

  // SP-initiated. A GET must not end the hub session (a link on another site could): while one
  // lives, oidc-provider's end-session page asks first, with its xsrf token, and its "signed out"
  // step comes back here; then the IdP is asked to end its own session.
  router.get('/logout', guarded(none, async (ctx) => {
    const lang = langOf(ctx);
    if (await hubSessionAccount(deps.provider, ctx)) {
      ctx.redirect(`${new URL(deps.provider.issuer).pathname.replace(/\/$/, '')}/session/end?${new URLSearchParams({ ui_locales: lang })}`);
      return;
    }
    const record = await takeUpstreamSession(ctx);
    const connector = record ? deps.connectors.get(record.connectorId) : undefined;
    await auditLogout(ctx, connector, record?.accountId ?? null, { initiator: 'hub', upstream: Boolean(record && connector?.saml?.logout) });
    if (record && connector?.saml?.logout) {
      ctx.set('Cache-Control', 'no-store');
      ctx.redirect(await connector.saml.logout.requestUrl({ nameId: record.nameId, sessionIndex: record.sessionIndex }, lang));
      return;
    }
    loggedOut(ctx, lang, true);
  }));

  router.get('/:connector/slo', guarded(byParam, async (ctx) => {
    const connector = connectorOrFail(ctx);
    if (!connector.saml?.logout) throw new FederationFailure('unknown_connector', 'not a SAML connector');
    const message = await connector.saml.logout.handle(ctx.querystring);
    if (message.kind === 'response') {
      await auditLogout(ctx, connector, null, { initiator: 'hub', upstreamStatus: message.status });
      loggedOut(ctx, message.pending.lang, message.success);
      return;
    }
    // IdP-initiated: this browser's hub session ends if it is the one the IdP names.
    const id = ctx.cookies.get(UPSTREAM_SESSION_COOKIE, { signed: true });
    const raw = id ? await deps.ephemeral.get(upstreamSessionKey(id)) : null;
    const record = raw ? (JSON.parse(raw) as UpstreamSessionRecord) : null;
    const same = record !== null && record.connectorId === connector.id && record.nameId === message.nameId
      && (message.sessionIndexes.length === 0 || record.sessionIndex === null || message.sessionIndexes.includes(record.sessionIndex));
    let ended = false;
    if (same) {
      await takeUpstreamSession(ctx);
      ended = await endHubSession(deps.provider, ctx, record.accountId, deps.log);
    }
    await auditLogout(ctx, connector, same ? record.accountId : null, { initiator: 'idp', subject: message.nameId, matchedSession: same, hubSessionEnded: ended });
    ctx.set('Cache-Control', 'no-store');
    ctx.redirect(message.respond());
  }));

  return router;
}
