/** Key material of a SAML connector, read once from PEM files when the connector opens. */
import { readFileSync } from 'node:fs';
import { keyPairFromPem, type KeyPair } from '../../../saml/core/keys.js';
import { ConnectorMisconfigured, missingFile } from '../../core/registry.js';
import type { KeyPairConfig } from './settings.js';

/**
 * Reads a key pair. A file that does not exist yet makes the connector unavailable
 * (ConnectorUnavailable: it is retried); an unreadable or malformed one is a configuration error.
 */
export function loadKeyPair(config: KeyPairConfig, what: string): KeyPair {
  const read = (file: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw missingFile(err, what, file) ?? new ConnectorMisconfigured(`${what}: cannot read key pair (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  };
  // Parsed now: a file that is not a key fails when the connector opens, not at the first login.
  return keyPairFromPem(read(config.keyFile), read(config.certFile), { key: `${what}: ${config.keyFile}`, cert: `${what}: ${config.certFile}` });
}
