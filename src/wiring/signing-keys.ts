/**
 * The keys' wiring: the ring on the store, sealed with the secrets key, the kinds of keys each
 * enabled protocol uses (signing keys, cookie keys, the pairwise salt), and what a first start
 * does when the store has none.
 */
import { configuredCookieKeys, cookieKeyKind } from '../auth/cookie-keys.js';
import { SigningKeyRing, type AdoptedKey, type KeyKind } from '../auth/signing-keys.js';
import type { HubConfig } from '../config/schema.js';
import { keySetInFolder, oidcKeyKind } from '../oidc/keys.js';
import { configuredSigningKeys, samlKeyKind } from '../saml/idp/keys.js';
import { pairwiseSaltInConfig, pairwiseSaltKind } from '../saml/idp/pairwise-salt.js';
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

/** The keys the hub keeps: OIDC's and the cookies' always, the SAML IdP's and its pairwise salt when it is enabled. */
export function keyUses(config: HubConfig): SigningKeyUse[] {
  return config.samlIdp.enabled ? ['oidc', 'saml', 'cookie', 'pairwise'] : ['oidc', 'cookie'];
}

/** The kept keys that rotate (`hub keys rotate --use all`): all but the pairwise salt. */
export function rotatedKeyUses(config: HubConfig): SigningKeyUse[] {
  return keyUses(config).filter((use) => !keyKind(config, use).neverRotated);
}

/** A cookie signed with a key lives at most as long as a hub session or a sign-in (interaction). */
const cookieLifetime = (config: HubConfig): number => Math.max(config.oidc.ttl.session, config.oidc.ttl.interaction);

export function keyKind(config: HubConfig, use: SigningKeyUse): KeyKind {
  switch (use) {
    case 'oidc': return oidcKeyKind(config.oidc.ttl);
    case 'saml': return samlKeyKind(`ent-sso-hub SAML IdP ${config.issuer}`);
    case 'cookie': return cookieKeyKind(cookieLifetime(config), secretsKeyOf(config));
    case 'pairwise': return pairwiseSaltKind(secretsKeyOf(config));
  }
}

/**
 * The keys of `use` kept as files or configuration: `jwks.json` of the keys folder; the
 * configured SAML pairs; HUB_COOKIE_KEYS; samlIdp.pairwiseSalt.
 */
export function keysInFiles(config: HubConfig, use: SigningKeyUse): AdoptedKey[] {
  switch (use) {
    case 'oidc': return keySetInFolder(config.keys.dir);
    case 'saml': return configuredSigningKeys({ keysDir: config.keys.dir, idp: config.samlIdp });
    case 'cookie': return configuredCookieKeys(config.oidc.cookieKeys, secretsKeyOf(config));
    case 'pairwise': return pairwiseSaltInConfig({ idp: config.samlIdp }, secretsKeyOf(config));
  }
}

/** At start: each use without keys in the store gets the files' or configuration's keys, else new ones. */
export async function ensureSigningKeys(config: HubConfig, ring: SigningKeyRing, log: Logger): Promise<void> {
  for (const use of keyUses(config)) {
    await ring.ensure(keyKind(config, use), async () => keysInFiles(config, use), config.keys.publishDelaySeconds, log);
  }
  await warnIfCookieKeysIgnored(config, ring, log);
}

/**
 * HUB_COOKIE_KEYS only fills a store without cookie keys: an operator who changes it later
 * expects the hub to use it, so the start says that it does not (the store's keys sign).
 */
async function warnIfCookieKeysIgnored(config: HubConfig, ring: SigningKeyRing, log: Logger): Promise<void> {
  const configured = keysInFiles(config, 'cookie').map((key) => key.material.kid);
  if (!configured.length) return;
  const stored = new Set((await ring.describe('cookie')).map((key) => key.kid));
  if (configured.every((kid) => stored.has(kid))) return;
  log.warn('HUB_COOKIE_KEYS is not among the cookie keys the store holds, and is ignored: the store\'s keys sign cookies (rotate them with "hub keys rotate --use cookie"); remove HUB_COOKIE_KEYS');
}

/** `hub keys import`: the files' and configuration's keys of every use into the store; what was added, per use. */
export async function importKeyFiles(config: HubConfig, ring: SigningKeyRing): Promise<Array<{ use: SigningKeyUse; found: number; added: string[] }>> {
  const outcomes = [];
  for (const use of keyUses(config)) {
    const adopted = keysInFiles(config, use);
    const added = adopted.length ? await ring.adopt(keyKind(config, use), adopted, config.keys.publishDelaySeconds) : [];
    outcomes.push({ use, found: adopted.length, added });
  }
  return outcomes;
}
