/**
 * pysaml2 as the SP receiving the hub IdP's Response (testing/harness/pysaml2/sp_acs.py): the SP
 * that writeSpMetadata (pysaml2-sp.ts) made, its own key decrypting, the hub's IdP metadata as
 * its only IdP.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('./pysaml2/sp_acs.py', import.meta.url));

export interface AcsOptions {
  /** The SP as writeSpMetadata made it: its folder, file and base URL (its keys are read from there). */
  dir: string;
  file: string;
  base: string;
  /** The file of the hub's IdP metadata. */
  idpMetadata: string;
  /** The base64 SAMLResponse, as the form posts it. */
  response: string;
  /** The AuthnRequest's ID; absent for an IdP-initiated response. */
  inResponseTo?: string;
}

export type AcsVerdict =
  | { accepted: true; nameId: string; nameIdFormat: string; attributes: Record<string, string[]>; issuer: string; inResponseTo: string | null }
  | { accepted: false; error: string; message: string };

/** What pysaml2's ACS makes of the response: what it read, or why it refused it. */
export async function pysaml2Acs(o: AcsOptions): Promise<AcsVerdict> {
  const args = {
    entityid: `${o.base}/metadata`, base: o.base, key: join(o.dir, `${o.file}-sp.key`), cert: join(o.dir, `${o.file}-sp.crt`),
    idp_metadata: o.idpMetadata, response: o.response,
    ...(o.inResponseTo !== undefined ? { in_response_to: o.inResponseTo } : {}),
  };
  const { stdout } = await run('/usr/bin/python3', [SCRIPT, JSON.stringify(args)], { maxBuffer: 4 << 20 });
  const out = JSON.parse(stdout) as { error?: string; message?: string; name_id?: string; name_id_format?: string; attributes?: Record<string, string[]>; issuer?: string; in_response_to?: string | null };
  if (out.error !== undefined) return { accepted: false, error: out.error, message: out.message ?? '' };
  return { accepted: true, nameId: out.name_id!, nameIdFormat: out.name_id_format!, attributes: out.attributes!, issuer: out.issuer!, inResponseTo: out.in_response_to ?? null };
}
