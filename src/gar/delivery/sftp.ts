/**
 * Delivery of a package to the GAR's SFTP server. The server must show a pinned host key. Each file
 * is written as `<name>.part` and renamed to `<name>` once complete (the GAR picks up only final
 * names, so it never reads half a file); the archive goes first and its `.md5` last, so a `.md5`
 * on the server announces a complete archive. Lost connections are retried a bounded number of
 * times; what cannot change by trying again (host key, authorization, remote folder) is not.
 * The local files are never touched: a failed delivery leaves the package for the next run.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, posix } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import SftpClient from 'ssh2-sftp-client';
import { GarDeliveryFailed, RETRIED_FAILURES, type GarDeliveryFailure } from './errors.js';
import { fingerprint, hostKeyAlgorithms, pinnedHostKeys, type HostKey } from './known-hosts.js';

export interface DeliveryRequest {
  host: string;
  port: number;
  username: string;
  /** The hub's private key: its text (PEM or OpenSSH), or the path of the file holding it. */
  privateKey: string;
  /** The server's host key(s), in OpenSSH known_hosts or public key format. */
  knownHosts: string;
  remoteDir: string;
  /** Uploaded in this order: the archive first, its `.md5` last. */
  files: readonly string[];
  /** Tries after the first failed one; default 3. */
  retries?: number;
  /** Wait between tries; default 30 s. */
  retryDelayMs?: number;
  /** Connection timeout, and how long a silent connection is kept; default 60 s. */
  timeoutMs?: number;
}

export interface DeliveryReport {
  /** Connections it took, the successful one included. */
  attempts: number;
  /** The files' final paths on the server. */
  remoteFiles: string[];
}

/** A failure of one try, classified; the caller decides whether to try again. */
class AttemptFailed extends Error {
  constructor(readonly code: GarDeliveryFailure, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export async function deliver(request: DeliveryRequest): Promise<DeliveryReport> {
  const retries = request.retries ?? 3;
  const target = `sftp://${request.username}@${request.host}:${request.port} (folder ${request.remoteDir})`;
  const hostKeys = pinnedHostKeys(request.knownHosts, request.host, request.port);
  const privateKey = await readPrivateKey(request.privateKey);
  for (let attempt = 1; ; attempt++) {
    try {
      return { attempts: attempt, remoteFiles: await deliverOnce(request, hostKeys, privateKey) };
    } catch (err) {
      // Unclassified: the connection broke between the steps (the folder check, a rename).
      const failure = err instanceof AttemptFailed ? err : new AttemptFailed('gar_upload_interrupted', `the connection was lost: ${(err as Error).message}`, { cause: err });
      if (!RETRIED_FAILURES.has(failure.code) || attempt > retries) {
        const kept = request.files.length > 0 ? `; the package stays in ${dirname(request.files[0]!)} for the next run` : '';
        throw new GarDeliveryFailed(failure.code, `the GAR delivery to ${target} failed after ${attempt} attempt(s): ${failure.message}${kept}`, attempt, failure.cause ?? failure);
      }
      await sleep(request.retryDelayMs ?? 30_000);
    }
  }
}

async function readPrivateKey(keyOrPath: string): Promise<string> {
  if (keyOrPath.includes('-----BEGIN')) return keyOrPath;
  try {
    return await readFile(keyOrPath, 'utf8');
  } catch (err) {
    throw new GarDeliveryFailed('gar_client_key_invalid', `the hub's private key for the GAR could not be read from ${keyOrPath}: ${(err as Error).message}`, 0, err);
  }
}

/** The client reports every error through the operation that failed; its global listeners would only print them. */
const SILENT = { error: () => {}, end: () => {}, close: () => {} };

async function deliverOnce(request: DeliveryRequest, hostKeys: readonly HostKey[], privateKey: string): Promise<string[]> {
  const client = new SftpClient('gar-delivery', SILENT);
  let refusedHostKey: Buffer | undefined;
  // The client rethrows ssh2's errors as new ones without their `level` (authentication, socket…): keep the first.
  let sshError: (Error & { level?: string }) | undefined;
  client.on('error', (err: Error) => {
    sshError ??= err;
  });
  const timeoutMs = request.timeoutMs ?? 60_000;
  try {
    try {
      await client.connect({
        host: request.host,
        port: request.port,
        username: request.username,
        privateKey,
        algorithms: { serverHostKey: hostKeyAlgorithms(hostKeys) },
        hostVerifier: (key: Buffer) => {
          const pinned = hostKeys.some((known) => known.blob.equals(key));
          if (!pinned) refusedHostKey = key;
          return pinned;
        },
        readyTimeout: timeoutMs,
        // A server that stops answering is dropped after about timeoutMs.
        keepaliveInterval: Math.ceil(timeoutMs / 3),
        keepaliveCountMax: 3,
      });
    } catch (err) {
      throw connectionFailure(sshError ?? (err as Error), request, refusedHostKey);
    }
    if ((await client.exists(request.remoteDir)) !== 'd') {
      throw new AttemptFailed('gar_remote_dir_missing', `the remote folder ${request.remoteDir} does not exist on the server (or is not a folder)`);
    }
    const remoteFiles: string[] = [];
    for (const file of request.files) {
      const remote = posix.join(request.remoteDir, basename(file));
      try {
        // Parallel writes: about four times the rate of a piped stream through ssh2's SFTP. The file
        // is opened with truncation, so a .part left by a failed try is overwritten.
        await client.fastPut(file, `${remote}.part`);
        // posix-rename@openssh.com replaces a file of the same name; plain SFTP rename refuses to.
        await client.posixRename(`${remote}.part`, remote);
      } catch (err) {
        throw transferFailure(err, remote);
      }
      remoteFiles.push(remote);
    }
    return remoteFiles;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function connectionFailure(err: Error & { level?: string }, request: DeliveryRequest, refusedHostKey: Buffer | undefined): AttemptFailed {
  const message = err.message;
  if (refusedHostKey !== undefined) {
    return new AttemptFailed('gar_host_key_refused', `the server showed the host key ${fingerprint(refusedHostKey)}, which is not the pinned one; nothing was sent`, { cause: err });
  }
  if (err.level === 'client-authentication') {
    return new AttemptFailed('gar_auth_refused', `the server refused the hub's key for the user ${request.username}`, { cause: err });
  }
  // ssh2 parses the key when connecting and throws plain errors naming it.
  if (/private ?key/i.test(message)) {
    return new AttemptFailed('gar_client_key_invalid', `the hub's private key for the GAR is not usable: ${message}`, { cause: err });
  }
  return new AttemptFailed('gar_unreachable', `the server could not be reached: ${message}`, { cause: err });
}

/** SFTP status codes the server answers with: no such file, permission denied, failure (disk full…), unsupported. */
const REFUSED_STATUSES = new Set([2, 3, 4, 8]);

function transferFailure(err: unknown, remote: string): AttemptFailed {
  const { code, message } = err as { code?: unknown; message: string };
  if (typeof code === 'number' && REFUSED_STATUSES.has(code)) {
    return new AttemptFailed('gar_remote_refused', `the server refused to write ${remote}: ${message}`, { cause: err });
  }
  return new AttemptFailed('gar_upload_interrupted', `the upload of ${remote} was interrupted: ${message}`, { cause: err });
}
