/**
 * The keys the hub's cookies are signed with (Keygrip, through Koa's `cookies`), kept in the
 * store and rotated like signing keys: a next key verifies only, so every node knows it before
 * any node signs with it; the active key signs; a previous key verifies until the cookies it
 * signed have expired. Koa reads an application's `keys` at each request, so installing a new
 * list is an assignment: no restart.
 */
import { ConfigError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { KeyRefresh, type AdoptedKey, type KeyKind, type LiveKey, type SigningKeyRing } from './signing-keys.js';
import { newSecret, secretMaterial } from './stored-secrets.js';

/** Keygrip's default HMAC, which `cookies` signs with. */
const COOKIE_ALG = 'HMAC-SHA1';

/** One key per rotation; a replaced key verifies for `lifetimeSeconds` (the longest cookie the hub signs). */
export function cookieKeyKind(lifetimeSeconds: number, secretsKey: string): KeyKind {
  return { use: 'cookie', generate: async () => [secretMaterial('cookie', COOKIE_ALG, newSecret(), secretsKey)], lifetimeSeconds };
}

/** The configured keys (HUB_COOKIE_KEYS, newest first), for a store without any: the first signs, the others verify. */
export function configuredCookieKeys(keys: readonly string[] | undefined, secretsKey: string): AdoptedKey[] {
  return (keys ?? []).map((key, i) => ({ material: secretMaterial('cookie', COOKIE_ALG, key, secretsKey), role: i === 0 ? 'active' : 'previous' }));
}

/** Keygrip's list: the active key first (it signs), then the next and previous ones, which only verify. */
export function keygripOf(keys: readonly LiveKey[]): string[] {
  const active = keys.find((k) => k.state === 'active');
  if (!active) throw new ConfigError('keys', ['no active cookie key in the store: run "hub keys list" and "hub keys rotate --use cookie"']);
  return [active, ...keys.filter((k) => k !== active).reverse()].map((k) => k.privateKey);
}

/** What signs cookies with a key list: a Koa application (the hub's, oidc-provider's). */
export interface CookieSigner {
  keys?: unknown;
}

/**
 * Installs the store's cookie keys on every signer now, then again whenever they change (a
 * rotation, a key's time come); close() stops it. The signers share one list: the hub's app runs
 * oidc-provider's middleware with its own context, and oidc-provider reads its interaction
 * cookies with its own, so both must sign and verify alike.
 */
export async function followCookieKeys(signers: CookieSigner[], ring: SigningKeyRing, refreshSeconds: number, log: Logger): Promise<KeyRefresh> {
  const refresh = new KeyRefresh(ring, 'cookie', (keys) => {
    const keygrip = keygripOf(keys);
    for (const signer of signers) signer.keys = keygrip;
  }, log);
  await refresh.refresh();
  refresh.start(refreshSeconds);
  return refresh;
}
