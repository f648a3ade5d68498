/**
 * The federation endpoints. Those that belong to one sign-in live under the sign-in's own steps
 * path (`/interaction/<id>`, see src/login/transaction.ts), so concurrent sign-ins in two tabs
 * do not overwrite each other:
 *   GET  /interaction/:id/federation/start/:connector   leave for the upstream (remembers the choice)
 *   GET  /interaction/:id/federation/staff              "Personnel de l'Éducation nationale": pick an académie
 *   GET  /interaction/:id/federation/back               back to the login page, forgetting the remembered choice
 *   GET  /interaction/:id/federation/continue/:ticket   resolve the account(s), finish the sign-in
 *   POST /interaction/:id/federation/choose/:ticket     the account chosen among several
 * The upstream's endpoints do not know the sign-in and live under /federation/:
 *   GET  /federation/:connector/metadata        our SAML SP metadata
 *   POST /federation/:connector/acs             SAML responses (HTTP-POST binding)
 *   GET  /federation/:connector/callback        OIDC upstream callback
 *   GET  /federation/logout                     the SAML IdP's logout (SP-initiated SLO)
 *   GET  /federation/:connector/slo             SAML LogoutRequest / LogoutResponse (HTTP-Redirect binding)
 *
 * The SAML POST arrives cross-site, so it carries no SameSite=Lax cookie: the response is
 * checked there, then the result waits under a one-time ticket and the browser is sent (a
 * top-level GET, which does carry the sign-in's cookie) to the sign-in's /continue, where the
 * protocol that started the sign-in (src/login/completion.ts) ties it to this browser.
 */
import { randomBytes } from 'node:crypto';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import type { LoginProtocol } from '../../login/completion.js';
import type { LogoutOrchestrator, UpstreamLogout } from '../../login/logout.js';
import { isTransactionId, LoginExpired, stepsPathOf, type LoginTransaction } from '../../login/transaction.js';
import { t, type Lang } from '../../ui/i18n.js';
import type { HubMetrics } from '../../shared/metrics.js';
import { setRequestTenant } from '../../shared/request-scope.js';
import type { Logger } from '../../shared/logger.js';
import type { EphemeralStore } from '../../storage/ports/ephemeral.js';
import type { Account, PlatformStore } from '../../storage/ports/index.js';
import type { LoginState, OpenConnector } from '../core/connector.js';
import { FederationFailure } from '../core/failure.js';
import { checkIdentityText, type UpstreamIdentity } from '../core/identity.js';
import { federatedAuthentication } from '../core/authn-level.js';
import { candidateAccounts, completeFederatedLogin, type AuditContext } from '../linking/link.js';
import { createFederatedAccount } from '../linking/provision.js';
import { SIGN_IN_STEPS, UPSTREAM_ENDPOINTS } from './paths.js';
import { renderAccountChoice, renderFailure, renderLoggedOut, renderNoAccount, renderStaffChoice } from './pages.js';
import { langOf, langSwitchOf } from '../../ui/request-lang.js';

export const REMEMBERED_CHOICE_COOKIE = 'hub_fed_choice';
/** The signed cookie naming this browser's upstream SAML session (kept server-side), for single logout. */
const UPSTREAM_SESSION_COOKIE = 'hub_fed_slo';
const TICKET_TTL_SECONDS = 300;
const SAML_BODY_LIMIT = '256kb';

export interface RouteDeps {
  /** The protocol of the sign-ins (OIDC today): their transactions, their completion. */
  login: LoginProtocol;
  logout: LogoutOrchestrator;
  store: PlatformStore;
  ephemeral: EphemeralStore;
  log: Logger;
  metrics: HubMetrics;
  connectors: Map<string, OpenConnector>;
  tenantNames: Map<string, string>;
  rememberChoiceDays: number;
  /** The hub session's lifetime: the upstream session record lives as long. */
  sessionTtlSeconds: number;
  /** Whether a connector is open (an unavailable one may still serve its SP metadata). */
  isAvailable(connectorId: string): boolean;
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

function auditContext(ctx: Context, clientId: string | null = null): AuditContext {
  return { ip: ctx.ip || null, userAgent: ctx.get('user-agent') || null, clientId };
}

/** This browser's sign-in `id`; an expired one is a federation failure (its page offers a restart). */
async function transactionOf(ctx: Context, login: LoginProtocol, id: string): Promise<LoginTransaction> {
  try {
    return await login.transaction(ctx, id);
  } catch (err) {
    if (err instanceof LoginExpired) throw new FederationFailure('expired_interaction', err.detail);
    throw err;
  }
}

/** The federation paths of one sign-in (under its steps path). */
export const federationStepPath = (transactionId: string, rest: string): string => `${stepsPathOf(transactionId)}/federation/${rest}`;

/** The two routers: the sign-in's own steps, and the upstreams' endpoints. */
export function federationRouters(deps: RouteDeps): Router[] {
  const samlBody = bodyParser({ enableTypes: ['form'], formLimit: SAML_BODY_LIMIT, encoding: 'utf-8' });
  const form = bodyParser({ enableTypes: ['form'], formLimit: '4kb', encoding: 'utf-8' });
  const signIn = new Router({ prefix: `${stepsPathOf(':transaction')}/federation` });
  const upstream = new Router({ prefix: '/federation' });

  /** Refusals become a clear page and an audit event (in the connector's tenant, else the platform's). */
  const guarded = (connectorOf: (ctx: Context) => OpenConnector | undefined, handler: (ctx: Context) => Promise<void>) => async (ctx: Context) => {
    try {
      await handler(ctx);
    } catch (err) {
      if (!(err instanceof FederationFailure)) throw err;
      const connector = connectorOf(ctx);
      if (connector?.tenantId) setRequestTenant(connector.tenantId);
      deps.metrics.federationFailure(connector?.id ?? 'unknown', err.reason);
      deps.metrics.signIn('federation', 'failure', connector?.id ?? 'unknown');
      const event = { type: 'federation.failure', ...auditContext(ctx), details: { connector: connector?.id ?? null, reason: err.reason, detail: err.detail.slice(0, 300) } };
      const audit = connector?.tenantId ? deps.store.forTenant(connector.tenantId).audit : deps.store.audit;
      await audit.record(event).catch((e: Error) => deps.log.error({ err: e.message }, 'cannot audit a federation failure'));
      deps.log.warn({ connector: connector?.id, reason: err.reason, detail: err.detail, requestId: ctx.state.requestId }, 'federated login refused');
      ctx.status = err.status;
      ctx.type = 'html';
      ctx.set('Cache-Control', 'no-store');
      const lang = langOf(ctx);
      ctx.body = renderFailure({
        lang, status: err.status, reason: err.reason, requestId: String(ctx.state.requestId ?? ''),
        langSwitchUrl: langSwitchOf(ctx, lang),
        ...(err.reason === 'expired_interaction' ? { restartUrl: await restartUrlOf(ctx) } : {}),
      });
    }
  };
  /** The sign-in's first request again, when its id is known and was kept. */
  const restartUrlOf = async (ctx: Context): Promise<string | undefined> => {
    const id = ctx.params.transaction;
    return isTransactionId(id) ? (await deps.login.restart(id))?.url : undefined;
  };
  const byParam = (ctx: Context) => deps.connectors.get(String(ctx.params.connector));
  const none = () => undefined;
  const connectorOrFail = (ctx: Context): OpenConnector => {
    const c = byParam(ctx);
    if (!c) throw new FederationFailure('unknown_connector', `no enabled connector ${String(ctx.params.connector).slice(0, 40)}`);
    return c;
  };
  const transactionIdOf = (ctx: Context): string => {
    const id = ctx.params.transaction;
    if (!isTransactionId(id)) throw new FederationFailure('expired_interaction', 'malformed interaction uid');
    return id;
  };

  signIn.get(SIGN_IN_STEPS.start, guarded(byParam, async (ctx) => {
    const connector = connectorOrFail(ctx);
    const transactionId = transactionIdOf(ctx);
    await transactionOf(ctx, deps.login, transactionId);
    const state: LoginState = { transactionId, connectorId: connector.id, tenantId: connector.tenantId, lang: langOf(ctx) };
    const url = connector.saml ? await connector.saml.loginUrl(state) : await connector.redirect!.loginUrl(state);
    if (deps.rememberChoiceDays > 0) {
      ctx.cookies.set(REMEMBERED_CHOICE_COOKIE, connector.id, { httpOnly: true, sameSite: 'lax', signed: true, secure: ctx.secure, maxAge: deps.rememberChoiceDays * 86_400_000, overwrite: true });
    }
    ctx.set('Cache-Control', 'no-store');
    ctx.redirect(url);
  }));

  signIn.get(SIGN_IN_STEPS.staff, guarded(none, async (ctx) => {
    const transactionId = transactionIdOf(ctx);
    const lang = langOf(ctx);
    const choices = [...deps.connectors.values()]
      .filter((c) => c.config.profile === 'academie')
      .map((c) => (deps.isAvailable(c.id)
        ? { href: `${federationStepPath(transactionId, `start/${c.id}`)}?${new URLSearchParams({ lang })}`, label: c.config.displayName }
        : { label: c.config.displayName, unavailable: t(lang, 'federation.choice.academieUnavailable') }));
    ctx.type = 'html';
    ctx.body = renderStaffChoice({ lang, choices, backUrl: `${federationStepPath(transactionId, 'back')}?lang=${lang}`, langSwitchUrl: langSwitchOf(ctx, lang) });
  }));

  signIn.get(SIGN_IN_STEPS.back, (ctx) => {
    const id = String(ctx.params.transaction);
    ctx.cookies.set(REMEMBERED_CHOICE_COOKIE, null, { signed: true });
    ctx.redirect(isTransactionId(id) ? `${stepsPathOf(id)}?lang=${langOf(ctx)}` : '/');
  });

  upstream.get(UPSTREAM_ENDPOINTS.metadata, guarded(byParam, async (ctx) => {
    const connector = connectorOrFail(ctx);
    if (!connector.saml) throw new FederationFailure('unknown_connector', 'not a SAML connector');
    ctx.type = 'application/samlmetadata+xml';
    ctx.body = connector.saml.metadata();
  }));

  const toContinue = async (ctx: Context, result: { state: LoginState; identity: UpstreamIdentity }) => {
    checkIdentityText(result.identity);
    const ticket = randomBytes(24).toString('base64url');
    await deps.ephemeral.put(ticketKey(ticket), JSON.stringify({ state: result.state, identity: result.identity } satisfies Ticket), TICKET_TTL_SECONDS);
    ctx.status = 303;
    ctx.redirect(`${federationStepPath(result.state.transactionId, `continue/${ticket}`)}?lang=${result.state.lang}`);
  };

  upstream.post(UPSTREAM_ENDPOINTS.acs, samlBody, guarded(byParam, async (ctx) => {
    const connector = connectorOrFail(ctx);
    if (!connector.saml) throw new FederationFailure('unknown_connector', 'not a SAML connector');
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const strings = Object.fromEntries(Object.entries(body).filter((e): e is [string, string] => typeof e[1] === 'string'));
    await toContinue(ctx, await connector.saml.handlePost(strings));
  }));

  upstream.get(UPSTREAM_ENDPOINTS.callback, guarded(byParam, async (ctx) => {
    const connector = connectorOrFail(ctx);
    if (!connector.redirect) throw new FederationFailure('unknown_connector', 'not a redirect connector');
    const query = Object.fromEntries(Object.entries(ctx.query).filter((e): e is [string, string] => typeof e[1] === 'string'));
    await toContinue(ctx, await connector.redirect.handleCallback(query));
  }));

  /** The ticket named by the path, with its sign-in (which must be this browser's). */
  const loadTicket = async (ctx: Context): Promise<Ticket & { key: string; transaction: LoginTransaction }> => {
    const key = ticketKey(String(ctx.params.ticket));
    const raw = await deps.ephemeral.get(key);
    if (!raw) throw new FederationFailure('expired_interaction', 'unknown or used ticket');
    const ticket = JSON.parse(raw) as Ticket;
    ctx.state.federationConnector = ticket.state.connectorId;
    // This browser's sign-in (its cookie on the path it came by) must be the ticket's.
    const transaction = await transactionOf(ctx, deps.login, ticket.state.transactionId);
    return { ...ticket, key, transaction };
  };
  const connectorOfTicketPath = (ctx: Context) => deps.connectors.get(String(ctx.state.federationConnector ?? ''));

  const finish = async (ctx: Context, ticket: Ticket & { key: string; transaction: LoginTransaction }, account: Account) => {
    await deps.ephemeral.delete(ticket.key);
    setRequestTenant(account.tenantId);
    await completeFederatedLogin(deps.store, ticket.identity, account, auditContext(ctx, ticket.transaction.client.id));
    const connector = deps.connectors.get(ticket.state.connectorId);
    deps.metrics.signIn('federation', 'success', connector?.id ?? 'unknown');
    const session = ticket.identity.upstreamSession;
    if (session && connector?.saml?.logout) {
      const id = randomBytes(24).toString('base64url');
      const record: UpstreamSessionRecord = { connectorId: ticket.state.connectorId, tenantId: account.tenantId, accountId: account.id, ...session };
      await deps.ephemeral.put(upstreamSessionKey(id), JSON.stringify(record), deps.sessionTtlSeconds);
      ctx.cookies.set(UPSTREAM_SESSION_COOKIE, id, { httpOnly: true, sameSite: 'lax', signed: true, secure: ctx.secure, maxAge: deps.sessionTtlSeconds * 1000, overwrite: true });
    }
    const { acr, amr } = federatedAuthentication(connector?.config.acr, ticket.identity.authnContexts);
    const to = await deps.login.complete(ctx, ticket.transaction, { accountId: account.id, acr, amr });
    ctx.status = 303;
    ctx.redirect(to);
  };

  signIn.get(SIGN_IN_STEPS.continue, guarded(connectorOfTicketPath, async (ctx) => {
    const ticket = await loadTicket(ctx);
    const accounts = await candidateAccounts(deps.store, ticket.identity);
    const lang = ticket.state.lang;
    if (accounts.length === 0) {
      const connector = deps.connectors.get(ticket.state.connectorId);
      let notCreated: string | null = null;
      if (connector && !connector.config.linkOnly) {
        const provisioning = { id: connector.id, tenantId: connector.tenantId, accountCreation: connector.config.accountCreation };
        const outcome = await createFederatedAccount(deps.store, deps.ephemeral, ticket.identity, provisioning, auditContext(ctx, ticket.transaction.client.id));
        if (outcome.account) return finish(ctx, ticket, outcome.account);
        notCreated = outcome.reason;
      }
      await deps.ephemeral.delete(ticket.key);
      const audit = connector?.tenantId ? deps.store.forTenant(connector.tenantId).audit : deps.store.audit;
      await audit.record({ type: 'federation.no_account', ...auditContext(ctx, ticket.transaction.client.id), details: { connector: ticket.state.connectorId, subject: ticket.identity.subject, ...ticket.identity.auditDetails, ...(notCreated ? { notCreated } : {}) } });
      ctx.type = 'html';
      ctx.set('Cache-Control', 'no-store');
      ctx.body = renderNoAccount({ lang, kind: ticket.identity.kind === 'staff' ? 'staff' : 'family', backUrl: `${federationStepPath(ticket.state.transactionId, 'back')}?lang=${lang}` });
      return;
    }
    if (accounts.length === 1) return finish(ctx, ticket, accounts[0]!);
    await deps.ephemeral.put(ticket.key, JSON.stringify({ state: ticket.state, identity: ticket.identity, candidates: accounts.map((a) => a.id) } satisfies Ticket), TICKET_TTL_SECONDS);
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = renderAccountChoice({ lang, action: `${federationStepPath(ticket.state.transactionId, `choose/${String(ctx.params.ticket)}`)}?lang=${lang}`, accounts: accounts.map((a) => ({ ...a, tenantName: deps.tenantNames.get(a.tenantId) ?? a.tenantId })) });
  }));

  signIn.post(SIGN_IN_STEPS.choose, form, guarded(connectorOfTicketPath, async (ctx) => {
    const ticket = await loadTicket(ctx);
    const chosen = String((ctx.request.body as Record<string, unknown> | undefined)?.account ?? '');
    if (!ticket.candidates?.includes(chosen)) throw new FederationFailure('state', 'the chosen account was not offered');
    // Re-read: the account may have been disabled while the page was open.
    const account = (await candidateAccounts(deps.store, ticket.identity)).find((a) => a.id === chosen);
    if (!account) throw new FederationFailure('state', 'the chosen account is no longer available');
    await finish(ctx, ticket, account);
  }));

  upstream.get(UPSTREAM_ENDPOINTS.logout, guarded(none, async (ctx) => {
    const lang = langOf(ctx);
    // While a hub session lives, its confirmation page asks first; the upstream logout follows it.
    const confirmation = await deps.logout.confirmationUrl(ctx, lang);
    if (confirmation) {
      ctx.redirect(confirmation);
      return;
    }
    const to = await deps.logout.afterHubSession(ctx, { lang, then: null }, null);
    if (to) {
      ctx.set('Cache-Control', 'no-store');
      ctx.redirect(to);
      return;
    }
    loggedOut(ctx, lang, true);
  }));

  upstream.get(UPSTREAM_ENDPOINTS.slo, guarded(byParam, async (ctx) => {
    const connector = connectorOrFail(ctx);
    if (!connector.saml?.logout) throw new FederationFailure('unknown_connector', 'not a SAML connector');
    const message = await connector.saml.logout.handle(ctx.querystring);
    if (message.kind === 'response') {
      await auditLogout(ctx, deps, connector, null, { initiator: 'hub', upstreamStatus: message.status });
      // The RP's post_logout_redirect_uri, when the logout started there: the browser ends where the RP asked.
      if (message.pending.then) {
        ctx.status = 303;
        ctx.redirect(message.pending.then);
        return;
      }
      loggedOut(ctx, message.pending.lang, message.success);
      return;
    }
    // IdP-initiated: this browser's hub session ends if it is the one the IdP names.
    const id = ctx.cookies.get(UPSTREAM_SESSION_COOKIE, { signed: true });
    const raw = id ? await deps.ephemeral.get(upstreamSessionKey(id)) : null;
    const record = raw ? (JSON.parse(raw) as UpstreamSessionRecord) : null;
    const same = record !== null && record.connectorId === connector.id && record.nameId === message.nameId
      && (message.sessionIndexes.length === 0 || record.sessionIndex === null || message.sessionIndexes.includes(record.sessionIndex));
    let outcome = { ended: false, to: message.respond() };
    if (same) {
      await takeUpstreamSession(ctx, deps);
      outcome = await deps.logout.upstreamEnded(ctx, record.accountId, { lang: langOf(ctx), then: outcome.to });
    }
    await auditLogout(ctx, deps, connector, same ? record.accountId : null, { initiator: 'idp', subject: message.nameId, matchedSession: same, hubSessionEnded: outcome.ended });
    ctx.set('Cache-Control', 'no-store');
    ctx.redirect(outcome.to);
  }));

  return [signIn, upstream];
}

/** This browser's upstream session record, if any (the cookie is dropped either way). */
async function takeUpstreamSession(ctx: Context, deps: Pick<RouteDeps, 'ephemeral'>): Promise<UpstreamSessionRecord | null> {
  const id = ctx.cookies.get(UPSTREAM_SESSION_COOKIE, { signed: true });
  ctx.cookies.set(UPSTREAM_SESSION_COOKIE, null, { signed: true });
  if (!id) return null;
  const raw = await deps.ephemeral.take(upstreamSessionKey(id));
  return raw ? (JSON.parse(raw) as UpstreamSessionRecord) : null;
}

async function auditLogout(ctx: Context, deps: Pick<RouteDeps, 'store'>, connector: OpenConnector | undefined, accountId: string | null, details: Record<string, unknown>): Promise<void> {
  const audit = connector?.tenantId ? deps.store.forTenant(connector.tenantId).audit : deps.store.audit;
  await audit.record({ type: 'federation.logout', accountId, ...auditContext(ctx), details: { connector: connector?.id ?? null, ...details } });
}

function loggedOut(ctx: Context, lang: Lang, complete: boolean): void {
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = renderLoggedOut({ lang, complete });
}

/**
 * The upstream side of the hub's logout (src/login/logout.ts): the signed LogoutRequest URL for
 * this browser's upstream SAML session, or null when it has none (or its IdP offers no logout);
 * `then` is where the browser goes once the IdP has answered.
 */
export function upstreamLogout(deps: Pick<RouteDeps, 'connectors' | 'ephemeral' | 'store'>): UpstreamLogout {
  return {
    holds: (ctx) => Boolean(ctx.cookies.get(UPSTREAM_SESSION_COOKIE, { signed: true })),
    logoutUrl: async (ctx, after) => {
      const record = await takeUpstreamSession(ctx, deps);
      const connector = record ? deps.connectors.get(record.connectorId) : undefined;
      const logout = connector?.saml?.logout;
      await auditLogout(ctx, deps, connector, record?.accountId ?? null, { initiator: 'hub', upstream: Boolean(record && logout) });
      if (!record || !logout) return null;
      return logout.requestUrl({ nameId: record.nameId, sessionIndex: record.sessionIndex }, after);
    },
  };
}
