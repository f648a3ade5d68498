/**
 * The signing keys' wiring: the ring on the store, sealed with the secrets key, the kinds of keys
 * each enabled protocol uses, and what a first start does when the store has none.
 */
import { SigningKeyRing, type AdoptedKey, type KeyKind } from '../auth/signing-keys.js';
import type { HubConfig } from '../config/schema.js';
import { keySetInFolder, oidcKeyKind } from '../oidc/keys.js';
import { configuredSigningKeys, samlKeyKind } from '../saml/idp/keys.js';
import type { Logger } from '../shared/logger.js';
import type { PlatformStore, SigningKeyUse } from '../storage/ports/index.js';

/** Production refuses to start without a secrets key (config checks); development gets a labelled one. */
export const DEVELOPMENT_SECRETS_KEY = 'development-only secrets key: set HUB_SECRETS_KEY in production';

export function secretsKeyOf(config: Pick<HubConfig, 'auth'>): string {
  return config.auth.secretsKey ?? DEVELOPMENT_SECRETS_KEY;
}

export function signingKeyRing(config: HubConfig, store: PlatformStore, clock?: () => Date): SigningKeyRing {
  return new SigningKeyRing(store.signingKeys, secretsKeyOf(config), clock);
}

/** The uses the hub signs for: OIDC always, SAML when the IdP is enabled. */
export function keyUses(config: HubConfig): SigningKeyUse[] {
  return config.samlIdp.enabled ? ['oidc', 'saml'] : ['oidc'];
}

export function keyKind(config: HubConfig, use: SigningKeyUse): KeyKind {
  return use === 'oidc' ? oidcKeyKind(config.oidc.ttl) : samlKeyKind(`ent-sso-hub SAML IdP ${config.issuer}`);
}

/** The keys of `use` kept as files: `jwks.json` of the keys folder; the configured SAML pairs. */
export function keysInFiles(config: HubConfig, use: SigningKeyUse): AdoptedKey[] {
  return use === 'oidc' ? keySetInFolder(config.keys.dir) : configuredSigningKeys({ keysDir: config.keys.dir, idp: config.samlIdp });
}

/** At start: each use without keys in the store gets the files' keys, else new ones. */
export async function ensureSigningKeys(config: HubConfig, ring: SigningKeyRing, log: Logger): Promise<void> {
  for (const use of keyUses(config)) {
    await ring.ensure(keyKind(config, use), async () => keysInFiles(config, use), config.keys.publishDelaySeconds, log);
  }
}

/** `hub keys import`: the files' keys of every use into the store; what was added, per use. */
export async function importKeyFiles(config: HubConfig, ring: SigningKeyRing): Promise<Array<{ use: SigningKeyUse; found: number; added: string[] }>> {
  const outcomes = [];
  for (const use of keyUses(config)) {
    const adopted = keysInFiles(config, use);
    const added = adopted.length ? await ring.adopt(keyKind(config, use), adopted, config.keys.publishDelaySeconds) : [];
    outcomes.push({ use, found: adopted.length, added });
  }
  return outcomes;
}
