/**
 * A throwaway OpenSSH server for the GAR delivery tests: Debian's `sshd` (`apt-get install
 * openssh-server`) on a free loopback port, with its own host key, config and authorized key in a
 * temporary directory, the in-process `internal-sftp` subsystem, and one key-only user, the
 * current one (root in CI, allowed with a key only).
 *
 * sshd forks a process per connection and each calls setsid(), so neither killing the listener
 * nor its process group ends an upload in progress: `kill()` and `stop()` end the listener and
 * every process descending from it. A normal exit of the test process does the same.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../net.js';

export interface Sshd {
  host: string;
  port: number;
  /** The key-only user (the current one). */
  username: string;
  /** The server's host key, `ssh-ed25519 AAAA… comment` (the public key format). */
  hostPublicKey: string;
  /** A private key (OpenSSH format) the server accepts for `username`. */
  clientPrivateKey: string;
  /** An empty folder the user may write: the remote folder of the tests. */
  rootDir: string;
  /** Ends sshd and its sessions, and removes its directory (idempotent). */
  stop(): Promise<void>;
  /** Ends sshd and its sessions at once (SIGKILL), as a crash would; the directory stays to be inspected. */
  kill(): Promise<void>;
}

export interface SshKeyPair {
  /** OpenSSH private key format. */
  privateKey: string;
  /** `ssh-ed25519 AAAA… comment`. */
  publicKey: string;
}

const SSHD = '/usr/sbin/sshd';
const INSTALL_HINT = 'install it with `apt-get install openssh-server openssh-client`';
/** Where sshd, started as root, chroots its unprivileged half; Debian's service unit creates it, so a machine that never started the service has none. */
const PRIVSEP_DIR = '/run/sshd';

const run = promisify(execFile);

/** A new ed25519 key pair, made by `ssh-keygen` in a directory removed at once. */
export async function generateSshKey(comment = 'gar-delivery-test'): Promise<SshKeyPair> {
  const dir = mkdtempSync(join(tmpdir(), 'sshkey-'));
  try {
    const file = join(dir, 'key');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
    return { privateKey: readFileSync(file, 'utf8'), publicKey: readFileSync(`${file}.pub`, 'utf8').trim() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function sshdConfig(dir: string, port: number, username: string): string {
  return [
    'ListenAddress 127.0.0.1',
    `Port ${port}`,
    `HostKey ${join(dir, 'host_key')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    `AllowUsers ${username}`,
    'AuthenticationMethods publickey',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    'Subsystem sftp internal-sftp',
    // The files live in a temporary directory whose owner and modes sshd would otherwise judge.
    'StrictModes no',
    'UsePAM no',
    '',
  ].join('\n');
}

// ---- processes ----------------------------------------------------------------------------

/** Every process under `pid`, by the parent ids of /proc (the sessions left their process group). */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

function killTree(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  // The sessions first: once the listener is gone they would be reparented and lost from view.
  for (const pid of [...descendants(child.pid), child.pid]) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of running) killTree(child, 'SIGKILL');
  });
}

/** Resolves once the port answers with an SSH banner. */
function answersWithBanner(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.setTimeout(1000);
    const done = (answered: boolean) => {
      socket.destroy();
      resolve(answered);
    };
    socket.once('data', (data) => done(data.toString('latin1').startsWith('SSH-2.0-')));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function spawnSshd(config: string, port: number, timeoutMs: number): Promise<ChildProcess> {
  const child = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);
  let stderrTail = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (data: string) => {
    stderrTail = (stderrTail + data).slice(-4096);
  });
  child.once('exit', () => running.delete(child));
  const deadline = Date.now() + timeoutMs;
  while (!(await answersWithBanner(port))) {
    if (child.exitCode !== null) throw new Error(`sshd exited during start on port ${port}: ${stderrTail.trim()}`);
    if (Date.now() > deadline) {
      killTree(child, 'SIGKILL');
      throw new Error(`sshd did not answer on port ${port} within ${timeoutMs} ms: ${stderrTail.trim()}`);
    }
    await sleep(25);
  }
  return child;
}

// ---- the server ---------------------------------------------------------------------------

export async function startSshd(options: { startTimeoutMs?: number } = {}): Promise<Sshd> {
  if (!existsSync(SSHD)) throw new Error(`${SSHD} not found: ${INSTALL_HINT}`);
  if (process.getuid?.() === 0) mkdirSync(PRIVSEP_DIR, { recursive: true, mode: 0o755 });
  installExitHook();
  const username = userInfo().username;
  const dir = mkdtempSync(join(tmpdir(), 'sshd-'));
  const rootDir = join(dir, 'sftp-root');
  let child: ChildProcess | undefined;
  let port = 0;
  try {
    mkdirSync(rootDir);
    const [hostKey, clientKey] = await Promise.all([generateSshKey('gar-test-host'), generateSshKey('gar-test-client')]);
    writeFileSync(join(dir, 'host_key'), hostKey.privateKey, { mode: 0o600 });
    writeFileSync(join(dir, 'authorized_keys'), `${clientKey.publicKey}\n`);
    const config = join(dir, 'sshd_config');
    // A port can be taken between freePort() and sshd's bind: try a few.
    for (let attempt = 1; child === undefined; attempt++) {
      port = await freePort();
      writeFileSync(config, sshdConfig(dir, port, username));
      try {
        child = await spawnSshd(config, port, options.startTimeoutMs ?? 10_000);
      } catch (error) {
        if (attempt >= 3 || !/address already in use|bind/i.test((error as Error).message)) throw error;
      }
    }
    return server({ port, username, dir, rootDir, hostPublicKey: hostKey.publicKey, clientPrivateKey: clientKey.privateKey }, child);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

function server(fields: Omit<Sshd, 'host' | 'stop' | 'kill'> & { dir: string }, child: ChildProcess): Sshd {
  const { dir, ...visible } = fields;
  const kill = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    killTree(child, 'SIGKILL');
    await exited;
  };
  return {
    host: '127.0.0.1',
    ...visible,
    kill,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
