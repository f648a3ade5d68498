/**
 * A real SAML SP web server not written here: Debian's python3-pysaml2 driven by
 * testing/harness/pysaml2/sp_server.py, for the hub IdP's interop tests in a browser. It signs its
 * AuthnRequests and LogoutRequests (RSA-SHA256), wants the Response and the assertion signed,
 * decrypts with its own key, keeps a local session (cookie `sp_session`, read at `/whoami`) and
 * does single logout both ways. Its keys and metadata are those of writeSpMetadata (pysaml2-sp.ts),
 * with an SLO endpoint for HTTP-Redirect and HTTP-POST.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../net.js';
import { startPythonServer } from './pysaml2.js';
import { writeSpMetadata } from './pysaml2-sp.js';

const SCRIPT = fileURLToPath(new URL('./pysaml2/sp_server.py', import.meta.url));
const METADATA_FILE = 'sp-metadata.xml';

/** What the SP saw, in order (`refused` carries `at`, `error`, `message`). */
export interface SpEvent {
  kind: 'login' | 'logout_request_received' | 'logout_response_received' | 'refused';
  [detail: string]: unknown;
}

export interface Pysaml2SpOptions {
  /** The organization name in the metadata. */
  name?: string;
  /** false: no encryption certificate in the metadata, and none to decrypt with (true by default). */
  encrypt?: boolean;
  /** false: AuthnRequests and LogoutRequests go unsigned, though the metadata says they are signed (true by default). */
  signRequests?: boolean;
}

export interface Pysaml2SpServer {
  /** http://127.0.0.1:PORT: `/login`, `/acs/post`, `/whoami`, `/logout`, `/slo`, `/events` live under it. */
  base: string;
  /** `<base>/metadata`, where the metadata is served too. */
  entityId: string;
  metadataFile: string;
  /** Trusts this IdP metadata from now on (`/login` answers 503 before). */
  useIdp(metadataXml: string): Promise<void>;
  events(): Promise<SpEvent[]>;
  stop(): Promise<void>;
}

/**
 * Starts the SP: the process binds a free port as soon as it runs, while its keys and metadata are
 * written (it reads them only once it has an IdP).
 */
export async function startPysaml2Sp(options: Pysaml2SpOptions = {}): Promise<Pysaml2SpServer> {
  const dir = mkdtempSync(join(tmpdir(), 'pysaml2-sp-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const entityId = `${base}/metadata`;
  const encrypt = options.encrypt ?? true;
  const metadataFile = join(dir, METADATA_FILE);
  const [started, written] = await Promise.allSettled([
    startPythonServer(SCRIPT, {
      entityid: entityId, base, port, metadata: metadataFile,
      // Named as writeSpMetadata names the SP's keys.
      key: join(dir, `${METADATA_FILE}-sp.key`), cert: join(dir, `${METADATA_FILE}-sp.crt`),
      encrypt, slo_post: true, sign_requests: options.signRequests ?? true,
    }, 'pysaml2 SP'),
    writeSpMetadata(dir, METADATA_FILE, { base, entityId, name: options.name, encrypt, sloPost: true }),
  ]);
  const stop = async () => {
    if (started.status === 'fulfilled') await started.value.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  if (started.status === 'rejected' || written.status === 'rejected') {
    await stop();
    throw started.status === 'rejected' ? started.reason : (written as PromiseRejectedResult).reason;
  }
  const server = started.value;
  return {
    base, entityId, metadataFile, stop,
    async useIdp(metadataXml) {
      const res = await fetch(`${base}/idp`, { method: 'POST', body: metadataXml });
      if (res.status !== 204) throw new Error(`the SP refused the IdP metadata: ${res.status} ${server.stderr()}`);
    },
    async events() {
      return (await (await fetch(`${base}/events`)).json()) as SpEvent[];
    },
  };
}
