/**
 * The one logout orchestrator. Signing out ends, in this order: the hub session (the clients
 * signed in through it are told by its keeper: the OIDC provider's back-channel logout for the OIDC
 * RPs), then the registered session participants (the SAML IdP's SPs, told through a page the
 * browser goes through), then the upstream IdP the browser signed in through (federation's SAML
 * single logout), last because it takes the browser away.
 */
import type { Context } from 'koa';
import type { Lang } from '../ui/i18n.js';
import type { HubSession, HubSignIn } from './hub-session.js';

/** What follows a logout at the upstream IdP: the page language, and where the browser goes (null: the hub's "signed out" page). */
export interface LogoutContinuation {
  lang: 'fr' | 'en';
  then: string | null;
}

/** Something holding sessions opened through the hub session, told when it ends. */
export interface SessionParticipant {
  /**
   * Ends what it holds under the hub session `ended`. Work the browser must carry (front-channel)
   * is a page: its URL is returned, and that page goes on to `next.then` (null: the hub's "signed
   * out" page). Null when the browser has nothing to do here. A peer that does not answer never
   * stops the logout.
   */
  end(ctx: Context, ended: HubSignIn, next: LogoutContinuation): Promise<string | null>;
}

/** The upstream IdP's side of a logout. */
export interface UpstreamLogout {
  /** Whether this browser holds a session at an upstream IdP. */
  holds(ctx: Context): boolean;
  /** The URL of the upstream IdP's logout for this browser's session, or null when there is none; forgets that session either way. */
  logoutUrl(ctx: Context, after: LogoutContinuation): Promise<string | null>;
}

export class LogoutOrchestrator {
  private readonly participants: SessionParticipant[] = [];
  private upstream: UpstreamLogout | null = null;

  constructor(private readonly hubSession: HubSession) {}

  addParticipant(participant: SessionParticipant): void {
    this.participants.push(participant);
  }

  /** Federation registers its upstream logout here when it is built (it is built after this). */
  setUpstream(upstream: UpstreamLogout): void {
    this.upstream = upstream;
  }

  /** Whether ending this browser's hub session has anything to do after it. */
  hasFollowUps(ctx: Context): boolean {
    return this.participants.length > 0 || Boolean(this.upstream?.holds(ctx));
  }

  /**
   * A sign-out asked for by a link: while a hub session lives, the page confirming its end
   * (a GET must not end it: a link on another site could); null when there is none to end.
   */
  async confirmationUrl(ctx: Context, lang: Lang): Promise<string | null> {
    return (await this.hubSession.currentAccount(ctx)) ? this.hubSession.confirmationUrl(lang) : null;
  }

  /**
   * Once the hub session `ended` has ended (null when there was none): the participants, then the
   * upstream IdP. Returns where the browser goes first, or null when it has nowhere to go but
   * `after.then`.
   */
  async afterHubSession(ctx: Context, after: LogoutContinuation, ended: HubSignIn | null): Promise<string | null> {
    const upstream = this.upstream ? await this.upstream.logoutUrl(ctx, after) : null;
    const page = ended ? await this.throughParticipants(ctx, ended, { lang: after.lang, then: upstream ?? after.then }) : null;
    return page ?? upstream;
  }

  /** Ends this browser's hub session (any account's) and what follows it: see afterHubSession. */
  async endHubSession(ctx: Context, after: LogoutContinuation): Promise<string | null> {
    return this.afterHubSession(ctx, after, await this.hubSession.end(ctx, null));
  }

  /**
   * The upstream IdP ended the session this browser signed in with (its LogoutRequest): the hub
   * session, if it is `accountId`'s, then the participants, before the browser goes on to
   * `after.then` (the upstream's LogoutResponse). Returns whether the hub session ended, and where the browser goes.
   */
  async upstreamEnded(ctx: Context, accountId: string, after: LogoutContinuation & { then: string }): Promise<{ ended: boolean; to: string }> {
    const ended = await this.hubSession.end(ctx, accountId);
    const page = ended ? await this.throughParticipants(ctx, ended, after) : null;
    return { ended: ended !== null, to: page ?? after.then };
  }

  /** Each participant in turn, the last registered first, each page going on to the next one's; the first page. */
  private async throughParticipants(ctx: Context, ended: HubSignIn, last: LogoutContinuation): Promise<string | null> {
    let next = last;
    let first: string | null = null;
    for (const participant of [...this.participants].reverse()) {
      const page = await participant.end(ctx, ended, next);
      if (page) {
        first = page;
        next = { lang: last.lang, then: page };
      }
    }
    return first;
  }
}
