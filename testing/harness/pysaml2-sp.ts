/**
 * Real SP metadata, written by pysaml2 (testing/harness/pysaml2/sp_metadata.py) with throwaway
 * openssl keys: what a partner resource publishes, for the hub's SP registry to read.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { makeKeyPair, type KeyFiles } from './pysaml2.js';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('./pysaml2/sp_metadata.py', import.meta.url));

export interface SpMetadataOptions {
  /** The SP's URL: endpoints are `<base>/acs/post`, `<base>/acs/artifact`, `<base>/slo`. */
  base: string;
  /** `<base>/metadata` by default (the GAR wants the entityID to be where the metadata is served). */
  entityId?: string;
  /** A federation operator's key pair signing the document. */
  signer?: KeyFiles;
  /** validUntil, in hours from now (24 by default). */
  validHours?: number;
  name?: string;
}

/** Writes the metadata to `<dir>/<file>` and returns its path; the SP's keys go to `dir` too. */
export async function writeSpMetadata(dir: string, file: string, options: SpMetadataOptions): Promise<string> {
  const keys = await makeKeyPair(dir, `${file}-sp`);
  const out = join(dir, file);
  const args = {
    entityid: options.entityId ?? `${options.base}/metadata`,
    base: options.base,
    key: keys.keyFile,
    cert: keys.certFile,
    out,
    ...(options.signer ? { md_key: options.signer.keyFile, md_cert: options.signer.certFile } : {}),
    ...(options.validHours !== undefined ? { valid_hours: options.validHours } : {}),
    ...(options.name !== undefined ? { name: options.name } : {}),
  };
  await run('/usr/bin/python3', [SCRIPT, JSON.stringify(args)]);
  return out;
}
