/**
 * The signed cookie naming this browser's upstream SAML session (kept server-side), set when a
 * federated sign-in finishes; the hub's "signed out" page reads it to start single logout.
 */
export const UPSTREAM_SESSION_COOKIE = 'hub_fed_slo';
