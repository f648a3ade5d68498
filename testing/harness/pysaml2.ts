/**
 * A real SAML IdP not written here: Debian's python3-pysaml2 (with xmlsec1), driven by
 * testing/harness/pysaml2/idp.py. It must run with /usr/bin/python3 (the system Python that has
 * saml2). Keys are throwaway ones made with openssl.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '../net.js';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('./pysaml2/idp.py', import.meta.url));
const PYTHON = '/usr/bin/python3';

export interface PythonServer {
  /** What the process wrote on stderr so far (its tracebacks). */
  stderr(): string;
  stop(): Promise<void>;
}

/**
 * Starts a pysaml2 server script with its one JSON argument and waits for its "ready" line: the
 * scripts bind their port before anything else, so nobody else can take it meanwhile.
 */
export async function startPythonServer(script: string, args: object, what: string): Promise<PythonServer> {
  const child: ChildProcess = spawn(PYTHON, [script, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
  process.once('exit', () => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start: ${stderr}`)), 40_000);
    child.stdout!.once('data', () => { clearTimeout(timer); resolve(); });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${what} exited ${code}: ${stderr}`)); });
  });
  return {
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface KeyFiles {
  keyFile: string;
  certFile: string;
}

/** A self-signed RSA-2048 key pair (a few tens of ms with openssl). */
export async function makeKeyPair(dir: string, name: string): Promise<KeyFiles> {
  const keyFile = join(dir, `${name}.key`);
  const certFile = join(dir, `${name}.crt`);
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', `/CN=${name}`]);
  return { keyFile, certFile };
}

export interface Scenario {
  attributes?: Record<string, string[]>;
  name_id?: string;
  sign_response?: boolean;
  sign_assertion?: boolean;
  encrypt?: boolean;
  audience?: string | null;
  lifetime_minutes?: number;
  in_response_to?: string | null;
  data_encryption?: 'tripledes-cbc' | 'aes256-cbc' | 'aes128-gcm';
  /** The AuthnStatement's AuthnContextClassRef (PasswordProtectedTransport by default). */
  authn_class_ref?: string;
}

/** A person the IdP knows in its users mode (login form and IdP session, like a real IdP). */
export interface IdpUser {
  password: string;
  name_id: string;
  attributes: Record<string, string[]>;
}

export interface Pysaml2Idp {
  url: string;
  entityId: string;
  metadataFile: string;
  keys: KeyFiles;
  /** Trusts this SP metadata from now on. */
  serve(spMetadata: string): Promise<void>;
  scenario(s: Scenario): Promise<void>;
  /**
   * An IdP-initiated LogoutRequest to the SP, signed unless `sign: false`: its URL (HTTP-Redirect),
   * or the SP's SLO URL and the form fields to post there (`binding: 'post'`).
   */
  logoutRequest(spec: { sp: string; name_id: string; session_indexes?: string[]; destination?: string; expired?: boolean; sign?: boolean; relay_state?: string; binding?: 'redirect' | 'post' }): Promise<{ url: string; id: string; body?: Record<string, string> }>;
  /** What the IdP's SLO endpoint last received from the SP. */
  lastLogout(): Promise<Record<string, unknown>>;
  /** Writes this IdP's metadata signed with `signer` (a federation operator's key) to `file`. */
  writeSignedMetadata(signer: KeyFiles, file: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the IdP (keys, port, its metadata file); `serve` gives it the SP's metadata once the
 * hub runs. The process binds its port at once, so the hub cannot pick the same free port.
 */
export async function preparePysaml2Idp(options: { users?: Record<string, IdpUser> } = {}): Promise<Pysaml2Idp> {
  const dir = mkdtempSync(join(tmpdir(), 'pysaml2-idp-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const entityId = `${url}/idp`;
  const keys = await makeKeyPair(dir, 'idp');
  const metadataFile = join(dir, 'idp-metadata.xml');
  const usersFile = join(dir, 'users.json');
  if (options.users) writeFileSync(usersFile, JSON.stringify(options.users));
  const base = { base: url, port, entityid: entityId, key: keys.keyFile, cert: keys.certFile, ...(options.users ? { users: usersFile } : {}) };
  // The metadata is written by a second run of the script, meanwhile (each Python start costs a second or so).
  const [server] = await Promise.all([
    startPythonServer(SCRIPT, { ...base, mode: 'serve', metadata_out: metadataFile }, 'pysaml2 IdP'),
    run(PYTHON, [SCRIPT, JSON.stringify({ ...base, mode: 'metadata', metadata_out: metadataFile })]),
  ]);
  return {
    url, entityId, metadataFile, keys,
    async serve(spMetadata) {
      const res = await fetch(`${url}/sp`, { method: 'POST', body: spMetadata });
      if (res.status !== 204) throw new Error(`IdP refused the SP metadata: ${res.status} ${server.stderr()}`);
    },
    async logoutRequest(spec) {
      const res = await fetch(`${url}/logout-request`, { method: 'POST', body: JSON.stringify(spec) });
      if (res.status !== 200) throw new Error(`logout request refused: ${res.status} ${await res.text()}`);
      return (await res.json()) as { url: string; id: string; body?: Record<string, string> };
    },
    async lastLogout() {
      return (await (await fetch(`${url}/last-logout`)).json()) as Record<string, unknown>;
    },
    async writeSignedMetadata(signer, file) {
      await run(PYTHON, [SCRIPT, JSON.stringify({ ...base, mode: 'signed-metadata', metadata_out: file, md_key: signer.keyFile, md_cert: signer.certFile })]);
    },
    async scenario(s) {
      const res = await fetch(`${url}/scenario`, { method: 'POST', body: JSON.stringify(s) });
      if (res.status !== 204) throw new Error(`scenario refused: ${res.status}`);
    },
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
