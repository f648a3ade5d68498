/**
 * The one logout orchestrator. Signing out ends, in this order: the hub session (the clients
 * signed in through it are told by its keeper: the OIDC provider's back-channel logout for the OIDC
 * RPs), then the registered session participants (the SAML IdP's SPs will register here), then
 * the upstream IdP the browser signed in through (federation's SAML single logout), last because
 * it takes the browser away.
 */
import type { Context } from 'koa';
import type { Lang } from '../ui/i18n.js';
import type { HubSession } from './hub-session.js';

/** What follows a logout at the upstream IdP: the page language, and where the browser goes (null: the hub's "signed out" page). */
export interface LogoutContinuation {
  lang: 'fr' | 'en';
  then: string | null;
}

/** Something holding sessions opened through the hub session, told when it ends. */
export interface SessionParticipant {
  /** Ends what it holds for this browser; a participant that cannot be reached logs it and lets the logout go on. */
  end(ctx: Context): Promise<void>;
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
   * Once the hub session has ended (or when there was none): the participants, then the
   * upstream IdP. Returns the upstream's logout URL, or null when the browser has nowhere to go.
   */
  async afterHubSession(ctx: Context, after: LogoutContinuation): Promise<string | null> {
    await this.endParticipants(ctx);
    return this.upstream ? this.upstream.logoutUrl(ctx, after) : null;
  }

  /**
   * The upstream IdP ended the session this browser signed in with (its LogoutRequest): the hub
   * session, if it is `accountId`'s, then the participants. True when the hub session ended.
   */
  async upstreamEnded(ctx: Context, accountId: string): Promise<boolean> {
    const ended = await this.hubSession.end(ctx, accountId);
    await this.endParticipants(ctx);
    return ended;
  }

  private async endParticipants(ctx: Context): Promise<void> {
    for (const participant of this.participants) await participant.end(ctx);
  }
}
