/** Secrets named in configuration: never written in a file, read from the environment or a file. */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from './errors.js';

export const secretRefSchema = z.union([
  z.strictObject({ env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name') }),
  z.strictObject({ file: z.string().min(1) }),
], { error: 'a secret is never written in clear: { env: NAME } or { file: PATH }' });
export type SecretRef = z.infer<typeof secretRefSchema>;

/** Reads a secret named in config; a missing or empty one is a configuration error naming where it was looked for. */
export function readSecret(ref: SecretRef, what: string, env: NodeJS.ProcessEnv = process.env): string {
  if ('env' in ref) {
    const value = env[ref.env];
    if (!value) throw new ConfigError(what, [`environment variable ${ref.env} is not set`]);
    return value;
  }
  let value: string;
  try {
    value = readFileSync(ref.file, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(what, [`${ref.file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  if (!value) throw new ConfigError(what, [`${ref.file}: is empty`]);
  return value;
}
