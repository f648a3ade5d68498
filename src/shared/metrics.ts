/**
 * What the modules tell the hub's metrics. Label values are bounded by their source: fixed
 * vocabularies (methods, results, reasons, grant types) or ids from the configuration and the
 * registries (connectors, SPs), never request input. The Prometheus implementation is the
 * composition root's (wiring/metrics.ts); without it (CLI commands, unit tests) nothing is kept.
 */

/** How a factor or an upstream was tried: `refused` is the throttle's answer, before any secret was tested. */
export type SignInResult = 'success' | 'failure' | 'refused';

export interface HubMetrics {
  /** A local factor checked (`password`, `totp`, `recovery_code`, `activation`…), or an upstream's sign-in (`federation` and its connector id). */
  signIn(method: string, result: SignInResult, connector?: string): void;
  /** A federated login refused: the connector's id (`unknown` when none) and the FederationFailure reason. */
  federationFailure(connector: string, reason: string): void;
  /** A SAML Response sent to a registered SP (`status`: the top-level StatusCode's last part). */
  samlResponse(sp: string, status: string): void;
  /** A token endpoint request answered (`grant_type` as oidc-provider accepted it, else `other`). */
  tokenRequest(grantType: string, result: 'success' | 'error'): void;
  /** A token oidc-provider issued, by kind (`access_token`, `refresh_token`, `authorization_code`, `client_credentials`). */
  tokenIssued(kind: string): void;
  /** A request answered: its route template (`other` when none matched), method, status, seconds. */
  httpRequest(route: string, method: string, status: number, seconds: number): void;
}

/** What the admin listener's `/metrics` answers (the text exposition format). */
export interface MetricsExposition {
  scrape(): Promise<{ contentType: string; text: string }>;
}

const nothing = (): void => {};

/** Metrics off: every call is a no-op. */
export const NO_METRICS: HubMetrics = {
  signIn: nothing, federationFailure: nothing, samlResponse: nothing, tokenRequest: nothing, tokenIssued: nothing, httpRequest: nothing,
};
