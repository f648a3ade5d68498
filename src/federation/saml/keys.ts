/** Key material of a SAML connector, read once from PEM files at start. */
import { readFileSync } from 'node:fs';
import { createPrivateKey } from 'node:crypto';
import type { KeyPairConfig } from '../config.js';

export interface KeyPair {
  keyPem: string;
  certPem: string;
}

export function loadKeyPair(config: KeyPairConfig, what: string): KeyPair {
  let keyPem: string;
  let certPem: string;
  try {
    keyPem = readFileSync(config.keyFile, 'utf8');
    certPem = readFileSync(config.certFile, 'utf8');
  } catch (err) {
    throw new Error(`${what}: cannot read key pair (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  // Fails at start, not at the first login, when the file is not a private key.
  createPrivateKey(keyPem);
  if (!certPem.includes('BEGIN CERTIFICATE')) throw new Error(`${what}: ${config.certFile} is not a PEM certificate`);
  return { keyPem, certPem };
}
