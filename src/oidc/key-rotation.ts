/**
 * The issuer's keys follow the store without a restart: every refresh that finds another set or
 * state rebuilds oidc-provider's keystore and published JWKS in place (the provider object is
 * held in many places, so it is not rebuilt). Next and previous keys are published with
 * `key_ops: ['verify']`, which oidc-provider's `selectForSign` passes over: they verify, never sign.
 */
import type Provider from 'oidc-provider';
import initializeKeystore from 'oidc-provider/lib/helpers/initialize_keystore.js';
import { KeyRefresh, type LiveKey, type SigningKeyRing } from '../auth/signing-keys.js';
import type { Logger } from '../shared/logger.js';
import { keySetOf, providerJwks } from './keys.js';

export function installKeys(provider: Provider, keys: LiveKey[]): void {
  initializeKeystore.call(provider, providerJwks(keySetOf(keys)));
}

/** Installs the store's keys now, then again whenever they change; close() stops it. */
export async function followKeys(provider: Provider, ring: SigningKeyRing, refreshSeconds: number, log: Logger): Promise<KeyRefresh> {
  const refresh = new KeyRefresh(ring, 'oidc', (keys) => installKeys(provider, keys), log);
  await refresh.refresh();
  refresh.start(refreshSeconds);
  return refresh;
}
