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
const REQUEST_SCRIPT = fileURLToPath(new URL('./pysaml2/sp_request.py', import.meta.url));

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
  /** false: no encryption certificate in the metadata (the IdP then sends the assertion in clear). */
  encrypt?: boolean;
  /** true: the SLO endpoint takes the HTTP-POST binding too (after HTTP-Redirect). */
  sloPost?: boolean;
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
    ...(options.encrypt === false ? { encrypt: false } : {}),
    ...(options.sloPost ? { slo_post: true } : {}),
  };
  await run('/usr/bin/python3', [SCRIPT, JSON.stringify(args)]);
  return out;
}

export interface SpMessageOptions {
  /** The SP as writeSpMetadata made it: its folder, file and base URL (its keys are read from there). */
  dir: string;
  file: string;
  base: string;
  message: 'authn' | 'logout';
  binding: 'redirect' | 'post';
  /** The IdP endpoint the message is for (its Destination). */
  destination: string;
  relayState?: string;
  /** For an AuthnRequest: ForceAuthn and IsPassive. */
  forceAuthn?: boolean;
  isPassive?: boolean;
  /** For an AuthnRequest: the authentication context class asked for (exact). */
  authnContext?: string;
  /** For a LogoutRequest: the IdP's entityID and the NameID to end. */
  idp?: string;
  nameId?: string;
}

/** A signed AuthnRequest or LogoutRequest made by pysaml2 as the SP: the raw query (Redirect) or the form fields (POST). */
export async function pysaml2SpMessage(o: SpMessageOptions): Promise<{ binding: 'redirect'; rawQuery: string } | { binding: 'post'; body: Record<string, string> }> {
  const args = {
    entityid: `${o.base}/metadata`, base: o.base, key: join(o.dir, `${o.file}-sp.key`), cert: join(o.dir, `${o.file}-sp.crt`),
    message: o.message, binding: o.binding, destination: o.destination,
    ...(o.relayState !== undefined ? { relay_state: o.relayState } : {}),
    ...(o.idp !== undefined ? { idp: o.idp } : {}),
    ...(o.nameId !== undefined ? { name_id: o.nameId } : {}),
    ...(o.forceAuthn ? { force_authn: true } : {}),
    ...(o.isPassive ? { is_passive: true } : {}),
    ...(o.authnContext ? { authn_context: o.authnContext } : {}),
  };
  const { stdout } = await run('/usr/bin/python3', [REQUEST_SCRIPT, JSON.stringify(args)]);
  const out = JSON.parse(stdout) as { query?: string; body?: Record<string, string> };
  return out.query !== undefined ? { binding: 'redirect', rawQuery: out.query } : { binding: 'post', body: out.body! };
}
