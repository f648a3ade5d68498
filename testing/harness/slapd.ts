/**
 * A throwaway OpenLDAP server with the SDET schema, for import tests: Debian's `slapd` in a
 * temporary directory (back_mdb, dbnosync), bulk-loaded with `slapadd -q` while stopped,
 * listening on a free loopback port. Needs `apt-get install slapd ldap-utils`.
 *
 * No slapd outlives the test process: slapd runs in the foreground (`-d 0`) under a tiny
 * `sh` watchdog that terminates it as soon as its stdin, a pipe held by this process, closes;
 * the OS closes that pipe however this process ends, SIGKILL included. A normal exit also
 * kills slapd and removes its directory synchronously.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../net.js';

export interface Slapd {
  url: string;
  port: number;
  suffix: string;
  rootDn: string;
  rootPassword: string;
  /** Applies LDIF over the network (`ldapmodify -a`): plain entries are added; change records are applied. */
  add(ldif: string): Promise<void>;
  /** Stops slapd and removes its directory (idempotent). */
  stop(): Promise<void>;
  /** Stops slapd (data kept) and starts it again on the same port. */
  restart(): Promise<void>;
}

export interface SlapdOptions {
  /** An LDIF file to `slapadd` before the start; it must contain the suffix entry. Default: the suffix and ou=people, ou=structures, ou=groups. */
  ldif?: string;
  /** Default `dc=ac-test,dc=fr`. */
  suffix?: string;
  /** Default `cn=admin,<suffix>`. */
  rootDn?: string;
  /** Default: random. */
  rootPassword?: string;
  /** Memory map size of the mdb database (sparse; default 8 GiB, enough for millions of entries). */
  maxSizeBytes?: number;
  /** Milliseconds to wait for slapd to answer (default 15 s). */
  startTimeoutMs?: number;
}

/** The SDET schema of the project (an OpenLDAP `.schema` file). */
export const SDET_SCHEMA_PATH = fileURLToPath(new URL('../../src/provisioning/sdet/sdet.schema', import.meta.url));

const SYSTEM_SCHEMA_DIR = '/etc/ldap/schema';
const MODULE_DIRS = ['/usr/lib/ldap', '/usr/lib/x86_64-linux-gnu/ldap', '/usr/lib/aarch64-linux-gnu/ldap', '/usr/lib64/openldap', '/usr/libexec/openldap'];
const INSTALL_HINT = 'install it with `apt-get install slapd ldap-utils` (as root; the machine keeps the service from starting, which is what the tests want)';

interface Binaries {
  slapd: string;
  slapadd: string;
  slaptest: string;
  ldapwhoami: string;
  ldapmodify: string;
  modulePath: string | undefined;
}

let binaries: Binaries | undefined;

function findBinary(name: string, dirs: string[]): string | undefined {
  const path = (process.env.PATH ?? '').split(':').filter(Boolean);
  return [...dirs, ...path].map((dir) => join(dir, name)).find((candidate) => existsSync(candidate));
}

function locateBinaries(): Binaries {
  if (binaries) return binaries;
  const sbin = ['/usr/sbin', '/usr/local/sbin', '/usr/libexec'];
  const bin = ['/usr/bin', '/usr/local/bin'];
  const found = {
    slapd: findBinary('slapd', sbin),
    slapadd: findBinary('slapadd', sbin),
    slaptest: findBinary('slaptest', sbin),
    ldapwhoami: findBinary('ldapwhoami', bin),
    ldapmodify: findBinary('ldapmodify', bin),
  };
  const missing = Object.entries(found)
    .filter(([, path]) => path === undefined)
    .map(([name]) => name);
  if (missing.length > 0) throw new Error(`OpenLDAP is not installed (missing ${missing.join(', ')}): ${INSTALL_HINT}`);
  for (const file of ['core.schema', 'cosine.schema', 'inetorgperson.schema']) {
    if (!existsSync(join(SYSTEM_SCHEMA_DIR, file))) throw new Error(`${SYSTEM_SCHEMA_DIR}/${file} not found: ${INSTALL_HINT}`);
  }
  binaries = { ...(found as Omit<Binaries, 'modulePath'>), modulePath: MODULE_DIRS.find((dir) => existsSync(join(dir, 'back_mdb.so')) || existsSync(join(dir, 'back_mdb.la'))) };
  return binaries;
}

function run(command: string, args: string[], input?: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        const detail = (stderr || stdout || error.message).trim().split('\n').slice(-15).join('\n');
        reject(new Error(`${command.split('/').pop()} failed (exit ${String(error.code)}): ${detail}`));
      } else resolve({ stdout, stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

const quote = (value: string): string => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

function slapdConf(dir: string, suffix: string, rootDn: string, rootPassword: string, maxSize: number, modulePath: string | undefined): string {
  return [
    `include ${SYSTEM_SCHEMA_DIR}/core.schema`,
    `include ${SYSTEM_SCHEMA_DIR}/cosine.schema`,
    `include ${SYSTEM_SCHEMA_DIR}/inetorgperson.schema`,
    `include ${SDET_SCHEMA_PATH}`,
    '',
    `pidfile ${join(dir, 'slapd.pid')}`,
    `argsfile ${join(dir, 'slapd.args')}`,
    ...(modulePath ? [`modulepath ${modulePath}`] : []),
    'moduleload back_mdb',
    'sizelimit unlimited',
    'timelimit unlimited',
    '',
    'database mdb',
    `suffix ${quote(suffix)}`,
    `rootdn ${quote(rootDn)}`,
    `rootpw ${rootPassword}`,
    `directory ${join(dir, 'db')}`,
    `maxsize ${maxSize}`,
    'dbnosync',
    'lastmod on',
    // delta imports search (modifyTimestamp>=…); lookups by jointure and uid
    'index objectClass eq',
    'index modifyTimestamp eq',
    'index ENTPersonJointure eq',
    'index uid eq',
    // the import pages through everything with the rootdn
    `limits dn.exact=${quote(rootDn)} size=unlimited time=unlimited size.pr=unlimited size.prtotal=unlimited`,
    '',
  ].join('\n');
}

function baseLdif(suffix: string): string {
  const [type, value] = suffix.split(',')[0]!.split('=') as [string, string];
  const root =
    type.toLowerCase() === 'dc'
      ? `dn: ${suffix}\nobjectClass: top\nobjectClass: dcObject\nobjectClass: organization\ndc: ${value}\no: ${value}\n`
      : type.toLowerCase() === 'o'
        ? `dn: ${suffix}\nobjectClass: top\nobjectClass: organization\no: ${value}\n`
        : `dn: ${suffix}\nobjectClass: top\nobjectClass: organizationalUnit\nou: ${value}\n`;
  const ous = ['people', 'structures', 'groups'].map((ou) => `dn: ou=${ou},${suffix}\nobjectClass: top\nobjectClass: organizationalUnit\nou: ${ou}\n`);
  return [root, ...ous].join('\n');
}

// ---- process bookkeeping: nothing left behind --------------------------------------------

interface Running {
  dir: string;
  child: ChildProcess | undefined;
}

const running = new Set<Running>();
let exitHookInstalled = false;

function pidOf(dir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dir, 'slapd.pid'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const server of running) {
      const pid = pidOf(server.dir);
      if (pid !== undefined) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      server.child?.kill('SIGKILL');
      rmSync(server.dir, { recursive: true, force: true });
    }
  });
}

/**
 * The watchdog: runs slapd in the background, terminates it when stdin reaches EOF (this
 * process ended or called stop()), and exits with slapd's status.
 */
const WATCHDOG = `
exec 3<&0
"$@" </dev/null 3<&- &
slapd_pid=$!
( while read -r _; do :; done <&3; kill -TERM "$slapd_pid" 2>/dev/null ) &
watcher=$!
exec 3<&-
wait "$slapd_pid"
status=$?
kill "$watcher" 2>/dev/null
exit $status
`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- the server ---------------------------------------------------------------------------

export async function startSlapd(options: SlapdOptions = {}): Promise<Slapd> {
  const bin = locateBinaries();
  const suffix = options.suffix ?? 'dc=ac-test,dc=fr';
  const rootDn = options.rootDn ?? `cn=admin,${suffix}`;
  const rootPassword = options.rootPassword ?? randomBytes(12).toString('hex');
  if (/\s/.test(rootPassword)) throw new Error('rootPassword must not contain white space');
  const startTimeoutMs = options.startTimeoutMs ?? 15_000;

  const dir = mkdtempSync(join(tmpdir(), 'slapd-'));
  const state: Running = { dir, child: undefined };
  running.add(state);
  installExitHook();
  let stopped = false;
  let port = 0;
  let stderrTail = '';

  const conf = join(dir, 'slapd.conf');
  const passwordFile = join(dir, 'rootpw');

  const start = async (): Promise<void> => {
    stderrTail = '';
    const url = `ldap://127.0.0.1:${port}/`;
    const child = spawn('/bin/sh', ['-c', WATCHDOG, 'slapd-watchdog', bin.slapd, '-d', '0', '-h', url, '-f', conf], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    state.child = child;
    child.stdin!.on('error', () => {}); // EPIPE if the watchdog is already gone
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (data: string) => {
      stderrTail = (stderrTail + data).slice(-8192);
    });
    let exited = false;
    child.once('exit', () => {
      exited = true;
    });
    const deadline = Date.now() + startTimeoutMs;
    for (;;) {
      if (exited) throw new Error(`slapd exited during start on port ${port}: ${stderrTail.trim().split('\n').slice(-10).join('\n')}`);
      try {
        await run(bin.ldapwhoami, ['-x', '-H', url, '-D', rootDn, '-y', passwordFile]);
        return;
      } catch (error) {
        if (Date.now() > deadline) {
          await halt();
          throw new Error(`slapd did not answer on ${url} within ${startTimeoutMs} ms: ${(error as Error).message}\n${stderrTail}`);
        }
        await sleep(50);
      }
    }
  };

  /** Terminates slapd (the watchdog sends SIGTERM when its stdin closes) and waits. */
  const halt = async (): Promise<void> => {
    const child = state.child;
    state.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.stdin!.end();
    const timeout = setTimeout(() => {
      const pid = pidOf(dir);
      if (pid !== undefined) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      child.kill('SIGKILL');
    }, 10_000);
    await exited;
    clearTimeout(timeout);
  };

  try {
    writeFileSync(passwordFile, rootPassword, { mode: 0o600 });
    writeFileSync(conf, slapdConf(dir, suffix, rootDn, rootPassword, options.maxSizeBytes ?? 8 * 1024 ** 3, bin.modulePath));
    mkdirSync(join(dir, 'db'));
    await run(bin.slaptest, ['-Q', '-u', '-f', conf]);
    let ldif = options.ldif;
    if (ldif === undefined) {
      ldif = join(dir, 'base.ldif');
      writeFileSync(ldif, baseLdif(suffix));
    }
    await run(bin.slapadd, ['-q', '-f', conf, '-l', ldif]);
    // A port can be taken between freePort() and slapd's bind: try a few.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      try {
        await start();
        break;
      } catch (error) {
        await halt();
        if (attempt >= 3 || !/bind|address already in use/i.test((error as Error).message)) throw error;
      }
    }
  } catch (error) {
    await halt();
    running.delete(state);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  const url = `ldap://127.0.0.1:${port}`;
  return {
    url,
    port,
    suffix,
    rootDn,
    rootPassword,
    async add(ldifText: string): Promise<void> {
      if (stopped) throw new Error('slapd is stopped');
      await run(bin.ldapmodify, ['-a', '-x', '-H', url, '-D', rootDn, '-y', passwordFile], ldifText);
    },
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      await halt();
      running.delete(state);
      rmSync(dir, { recursive: true, force: true });
    },
    async restart(): Promise<void> {
      if (stopped) throw new Error('slapd was stopped: its data is gone, start a new one');
      await halt();
      await start();
    },
  };
}

/**
 * A tenant file (`lille`) whose one directory source reads this slapd under `suffix`; `lines`
 * are appended to the source (YAML, indented by four spaces).
 */
export function ldapTenantYaml(slapd: Slapd, suffix: string, extra: { enabled?: boolean; lines?: string } = {}): string {
  return `id: lille
name: Académie de Lille
academyCode: "09"
directorySources:
  - id: AC-LILLE
    type: ldap
    url: ${slapd.url}
    enabled: ${extra.enabled ?? true}
    bindDn: ${slapd.rootDn}
    bindPassword: { env: TEST_LDAP_PASSWORD }
    baseDn: { people: "ou=people,${suffix}", structures: "ou=structures,${suffix}", groups: "ou=groups,${suffix}" }
${extra.lines ?? ''}`;
}
