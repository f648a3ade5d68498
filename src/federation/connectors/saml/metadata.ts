/**
 * The IdP's metadata: read from a file, or from a URL refreshed periodically (keeping the last
 * good copy when a refresh fails). Each new copy goes through samlify's parser before use, and,
 * when a metadata signing certificate is configured, must first carry a valid enveloped
 * signature on its root made with that certificate's key (a copy fetched over a tampered
 * channel is then refused, and the last good copy kept).
 *
 * A metadata file (or metadata signing certificate) that does not exist yet, or a URL that does
 * not answer (without a fallback file to read instead), makes the connector unavailable
 * (ConnectorUnavailable): it is opened again later, which bootstraps the metadata exchange.
 */
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { IdentityProvider, type IdentityProviderInstance } from 'samlify';
import { ConnectorMisconfigured, ConnectorUnavailable, missingFile } from '../../core/registry.js';
import { SamlError } from '../../../saml/core/errors.js';
import { certificateKey } from '../../../saml/core/keys.js';
import { checkMetadata } from '../../../saml/core/metadata.js';
import type { SamlSettings } from './settings.js';

export interface IdpMetadataSource {
  current(): IdentityProviderInstance;
  /** Fetches the URL again now (the timer does every `refreshMinutes`); a failure keeps the current copy. */
  refresh(): Promise<void>;
  close(): void;
}

function parseWith(xml: string, trust: KeyObject | null): IdentityProviderInstance {
  checkMetadata(xml, trust, 'IdP metadata');
  // Our logout messages to the IdP are always signed (samlify reads these from the target entity).
  const idp = IdentityProvider({ metadata: xml, wantLogoutRequestSigned: true, wantLogoutResponseSigned: true });
  if (!idp.entityMeta.getEntityID()) throw new SamlError('malformed', 'IdP metadata without an entityID');
  return idp;
}

/** A URL that does not answer makes the connector unavailable (the same message while the cause stays the same). */
async function fetchMetadata(url: string): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(10_000), redirect: 'error' });
  } catch (err) {
    const cause = (err as { cause?: { code?: unknown } }).cause;
    throw new ConnectorUnavailable(`IdP metadata at ${url} cannot be reached (${typeof cause?.code === 'string' ? cause.code : (err as Error).name})`);
  }
  if (!res.ok) throw new ConnectorUnavailable(`IdP metadata at ${url}: HTTP ${res.status}`);
  return res.text();
}

/** A file's text; a file that does not exist yet makes the connector unavailable. */
function readSource(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw missingFile(err, what, file) ?? new ConnectorMisconfigured(`${what} ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

export async function openIdpMetadata(source: SamlSettings['idpMetadata'], onRefreshError: (err: Error) => void): Promise<IdpMetadataSource> {
  const trust = source.signingCertFile ? certificateKey(readSource(source.signingCertFile, 'IdP metadata signing certificate')) : null;
  const parse = (xml: string) => parseWith(xml, trust);
  if ('file' in source) {
    const idp = parse(readSource(source.file, 'IdP metadata'));
    return { current: () => idp, refresh: async () => undefined, close: () => undefined };
  }
  let idp: IdentityProviderInstance;
  try {
    idp = parse(await fetchMetadata(source.url));
  } catch (err) {
    if (!source.fallbackFile) throw err;
    // Read first: while the fallback is not there either, retries log nothing more.
    const fallback = readSource(source.fallbackFile, `${(err as Error).message}; fallback IdP metadata`);
    onRefreshError(err as Error);
    idp = parse(fallback);
  }
  const refresh = () => fetchMetadata(source.url).then((xml) => void (idp = parse(xml))).catch((err: Error) => onRefreshError(err));
  const timer = setInterval(() => void refresh(), source.refreshMinutes * 60_000);
  timer.unref();
  return { current: () => idp, refresh, close: () => clearInterval(timer) };
}
