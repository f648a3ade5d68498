/**
 * The salt of the pairwise NameIDs (nameid.ts): one per hub, kept sealed in the store, so every
 * node issues the same NameIDs without being given the salt. Never rotated: changing it changes
 * every persistent NameID the SPs have stored. A first start stores the configured salt
 * (samlIdp.pairwiseSalt), else 32 random bytes; a configured salt that is not the stored one
 * refuses the start rather than silently change the identifiers.
 */
import type { AdoptedKey, KeyKind, SigningKeyRing } from '../../auth/signing-keys.js';
import { newSecret, secretMaterial } from '../../auth/stored-secrets.js';
import { ConfigError } from '../../shared/errors.js';
import { configuredPairwiseSalt, type IdpSettings } from './config.js';

export function pairwiseSaltKind(secretsKey: string): KeyKind {
  return {
    use: 'pairwise',
    generate: async () => [secretMaterial('pairwise', 'HMAC-SHA256', newSecret(), secretsKey)],
    // Never replaced, so nothing it computed outlives it.
    lifetimeSeconds: 0,
    neverRotated: 'the pairwise salt is never rotated: changing it would change every persistent NameID the SPs know; nothing created',
  };
}

/** The configured salt, for a store without one. */
export function pairwiseSaltInConfig(settings: Pick<IdpSettings, 'idp'>, secretsKey: string, env: NodeJS.ProcessEnv = process.env): AdoptedKey[] {
  const salt = configuredPairwiseSalt(settings, env);
  return salt === undefined ? [] : [{ material: secretMaterial('pairwise', 'HMAC-SHA256', salt, secretsKey), role: 'active' }];
}

/** The stored salt (the start stored one already); ConfigError when the configured one is another. */
export async function storedPairwiseSalt(ring: SigningKeyRing, settings: Pick<IdpSettings, 'idp'>, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const stored = (await ring.live('pairwise')).find((k) => k.state === 'active');
  if (!stored) throw new ConfigError('samlIdp', ['pairwiseSalt: the store holds none: run "hub keys import" or start the hub once to store one']);
  const configured = configuredPairwiseSalt(settings, env);
  if (configured !== undefined && configured !== stored.privateKey) {
    throw new ConfigError('samlIdp', ['pairwiseSalt: the configured salt is not the one in the store, which every persistent NameID was computed with; remove samlIdp.pairwiseSalt from the configuration (the store keeps the salt) rather than change every NameID']);
  }
  return stored.privateKey;
}
