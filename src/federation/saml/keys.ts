/** Key material of a SAML connector, read once from PEM files when the connector opens. */
import { readFileSync } from 'node:fs';
import { createPrivateKey } from 'node:crypto';
import type { KeyPairConfig } from '../config.js';
import { missingFile } from '../core/registry.js';

export interface KeyPair {
  keyPem: string;
  certPem: string;
}

/**
 * Reads a key pair. A file that does not exist yet makes the connector unavailable
 * (ConnectorUnavailable: it is retried); an unreadable or malformed one is a configuration error.
 */
export function loadKeyPair(config: KeyPairConfig, what: string): KeyPair {
  const read = (file: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw missingFile(err, what, file) ?? new Error(`${what}: cannot read key pair (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  };
  const keyPem = read(config.keyFile);
  const certPem = read(config.certFile);
  // Fails when the connector opens, not at the first login, when the file is not a private key.
  try {
    createPrivateKey(keyPem);
  } catch {
    throw new Error(`${what}: ${config.keyFile} is not a PEM private key`);
  }
  if (!certPem.includes('BEGIN CERTIFICATE')) throw new Error(`${what}: ${config.certFile} is not a PEM certificate`);
  return { keyPem, certPem };
}
