/**
 * The connector model (after Dex's connectors): a connector type knows how to read its
 * configuration and open a connector; an open connector offers one or more capabilities.
 * The HTTP layer speaks only to capabilities, so a new IdP kind needs no route changes.
 */
import type { LogoutContinuation } from '../../login/logout.js';
import type { z } from 'zod';
import type { ConnectorConfig } from '../config.js';
import type { UpstreamIdentity, UpstreamSession } from './identity.js';
import type { EduConnectRouting } from '../profiles/educonnect.js';
import type { EphemeralStore } from '../../storage/ports/ephemeral.js';
import type { Logger } from '../../shared/logger.js';

/** Where the login started, carried through the upstream round trip (stored server-side). */
export interface LoginState {
  /** The sign-in's transaction id (src/login/transaction.ts). */
  transactionId: string;
  connectorId: string;
  /** The tenant owning the connector (null: a platform connector). */
  tenantId: string | null;
  lang: 'fr' | 'en';
}

/** Browser redirect to the upstream, answered on a callback URL with GET parameters (OIDC). */
export interface RedirectCallbackConnector {
  /** Returns the URL to send the browser to; remembers `state` server-side. */
  loginUrl(state: LoginState): Promise<string>;
  /** Reads the callback's query; returns the state it was started with and the identity. */
  handleCallback(query: Record<string, string>): Promise<{ state: LoginState; identity: UpstreamIdentity }>;
}

/** SAML SP: redirect with an AuthnRequest, answered by a POST to the ACS. */
export interface SamlPostConnector {
  loginUrl(state: LoginState): Promise<string>;
  /** Validates the POSTed SAMLResponse; returns the state of the request it answers and the identity. */
  handlePost(body: Record<string, string>): Promise<{ state: LoginState; identity: UpstreamIdentity }>;
  /** Our SP metadata for the IdP. */
  metadata(): string;
  /** Single logout (HTTP-Redirect), when the IdP's metadata offers it. */
  logout?: SamlLogout;
}

/** A LogoutRequest or LogoutResponse from the IdP, verified. */
export type IdpLogoutMessage =
  | { kind: 'request'; nameId: string; sessionIndexes: string[]; relayState: string | null; respond(): string }
  | { kind: 'response'; success: boolean; status: string; pending: LogoutContinuation };

export interface SamlLogout {
  /** A signed LogoutRequest for this upstream session: the URL to send the browser to. */
  requestUrl(session: UpstreamSession, after: LogoutContinuation): Promise<string>;
  /** Verifies a message received on our SLO endpoint (the raw query string, as signed). */
  handle(rawQuery: string): Promise<IdpLogoutMessage>;
}

export interface OpenConnector {
  readonly id: string;
  readonly config: ConnectorConfig;
  readonly tenantId: string | null;
  readonly redirect?: RedirectCallbackConnector;
  readonly saml?: SamlPostConnector;
  close(): Promise<void>;
}

/** What open() may use; given by createFederation. */
export interface ConnectorContext {
  /** The hub's public issuer URL (our endpoints are under `<issuer>/federation/`). */
  issuer: string;
  /** Tenants by académie code and their external id prefixes, for profiles that route by them (ÉduConnect). */
  routing: EduConnectRouting & {
    allTenants(): string[];
    /** The académie e-mail domains a tenant's staff connector may match (its own, else the tenant's sources'). */
    academicDomains(tenantId: string, connectorDomains: string[]): string[];
  };
  /** Short-lived shared state (pending requests, replay caches). */
  ephemeral: EphemeralStore;
  log: Logger;
  /** Development/test leniency (http issuers); false in production. */
  production: boolean;
}

export interface ConnectorType<S extends z.ZodType = z.ZodType> {
  type: string;
  /** Validates the type-specific section of the connector's configuration (the key named after the type). */
  settingsSchema: S;
  /** Set when a connector of this type matches accounts in one tenant: why it cannot be a platform connector. */
  tenantOnly?: string;
  open(config: ConnectorConfig, settings: z.infer<S>, tenantId: string | null, context: ConnectorContext): Promise<OpenConnector>;
}
