/**
 * The IdP's metadata: read from a file, or from a URL refreshed periodically (keeping the last
 * good copy when a refresh fails). Each new copy goes through samlify's parser before use.
 */
import { readFileSync } from 'node:fs';
import { IdentityProvider, type IdentityProviderInstance } from 'samlify';
import type { SamlSettings } from '../config.js';

export interface IdpMetadataSource {
  current(): IdentityProviderInstance;
  close(): void;
}

function parse(xml: string): IdentityProviderInstance {
  if (/<!DOCTYPE/i.test(xml)) throw new Error('IdP metadata must not contain a DOCTYPE');
  const idp = IdentityProvider({ metadata: xml });
  if (!idp.entityMeta.getEntityID()) throw new Error('IdP metadata without an entityID');
  return idp;
}

async function fetchMetadata(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000), redirect: 'error' });
  if (!res.ok) throw new Error(`IdP metadata at ${url}: HTTP ${res.status}`);
  return res.text();
}

export async function openIdpMetadata(source: SamlSettings['idpMetadata'], onRefreshError: (err: Error) => void): Promise<IdpMetadataSource> {
  if ('file' in source) {
    const idp = parse(readFileSync(source.file, 'utf8'));
    return { current: () => idp, close: () => undefined };
  }
  let idp: IdentityProviderInstance;
  try {
    idp = parse(await fetchMetadata(source.url));
  } catch (err) {
    if (!source.fallbackFile) throw err;
    onRefreshError(err as Error);
    idp = parse(readFileSync(source.fallbackFile, 'utf8'));
  }
  const timer = setInterval(() => {
    fetchMetadata(source.url).then((xml) => (idp = parse(xml))).catch((err: Error) => onRefreshError(err));
  }, source.refreshMinutes * 60_000);
  timer.unref();
  return { current: () => idp, close: () => clearInterval(timer) };
}
