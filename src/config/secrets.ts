import { readFileSync } from 'node:fs';
import { ConfigError } from '../shared/errors.js';

export type SecretRef = { env: string } | { file: string };

/** Reads a secret named in config; a missing one is a configuration error naming where it was looked for. */
export function readSecret(ref: SecretRef, what: string, env: NodeJS.ProcessEnv = process.env): string {
  if ('env' in ref) {
    const value = env[ref.env];
    if (!value) throw new ConfigError(what, [`environment variable ${ref.env} is not set`]);
    return value;
  }
  try {
    return readFileSync(ref.file, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(what, [`${ref.file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
}
