/**
 * How to start a sign-in again once its interaction has expired: the client, and the
 * authorization request to send again. Kept (an hour beyond the interaction) under the
 * interaction's uid, since an expired interaction tells nothing of where it came from.
 */
import type Provider from 'oidc-provider';
import type { EphemeralStore } from '../storage/ports/ephemeral.js';

export interface RestartInfo {
  clientId: string;
  /** The authorization endpoint's query of the first request, without hints that name a person. */
  query: string;
}

/** Lifetime beyond the interaction's own: a tab left open over lunch still gets its way back. */
const RESTART_EXTRA_SECONDS = 3600;

/** Parameters never kept: they name a person (hints) or cannot be sent twice (request objects). */
const NOT_RESENT = new Set(['login_hint', 'id_token_hint', 'request', 'request_uri']);

const restartKey = (uid: string) => `interaction-restart:${uid}`;

export async function rememberRestart(
  deps: { ephemeral: EphemeralStore; interactionTtl: number }, interaction: { uid: string; params: Record<string, unknown> },
): Promise<void> {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(interaction.params)) {
    if (NOT_RESENT.has(name)) continue;
    for (const v of Array.isArray(value) ? value : [value]) if (typeof v === 'string') query.append(name, v);
  }
  const info: RestartInfo = { clientId: String(interaction.params.client_id ?? ''), query: query.toString() };
  await deps.ephemeral.put(restartKey(interaction.uid), JSON.stringify(info), deps.interactionTtl + RESTART_EXTRA_SECONDS);
}

export async function recallRestart(deps: { ephemeral: EphemeralStore }, uid: string): Promise<RestartInfo | null> {
  const raw = await deps.ephemeral.get(restartKey(uid));
  return raw ? (JSON.parse(raw) as RestartInfo) : null;
}

/** The authorization endpoint (oidc-provider's default `/auth`, under the issuer). */
export function authorizationUrl(provider: Provider, query: string): string {
  return `${provider.issuer.replace(/\/$/, '')}/auth?${query}`;
}
