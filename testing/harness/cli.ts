/**
 * Runs the real `hub` CLI as a child process (`node --import tsx src/cli/main.ts …`) with an
 * environment stripped of every hub variable of the parent, so a developer's shell (REDIS_URL,
 * HUB_CONFIG…) cannot change what a test sees.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { freePort } from '../net.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/config/load.js';

export const CLI_ENTRY = 'src/cli/main.ts';

/** Variables the hub reads; none of the parent's values reach a child. */
const HUB_VARIABLES = /^(HUB_.*|PORT|HOST|DATABASE_URL|REDIS_URL|LOG_LEVEL)$/;

/**
 * oidc-provider 9 prints this on stderr when imported under Node < 22 (the CLI imports it for
 * every command). It is not the hub's output, so the assertions on stderr leave it out.
 */
const RUNTIME_WARNING = /^oidc-provider WARNING: Unsupported runtime/;

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** stderr without the oidc-provider runtime warning. */
  stderr: string;
  /** stderr as written. */
  rawStderr: string;
}

export function childEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!HUB_VARIABLES.test(name)) env[name] = value;
  for (const [name, value] of Object.entries(extra)) if (value !== undefined) env[name] = value;
  return env;
}

export function cleanStderr(raw: string): string {
  return raw.split('\n').filter((line) => !RUNTIME_WARNING.test(line)).join('\n');
}

/** The non-empty stderr lines (runtime warning excluded). */
export function stderrLines(result: CliResult): string[] {
  return result.stderr.split('\n').filter((line) => line.trim() !== '');
}

/** True when something looks like a stack trace (`    at fn (file:line)`). */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+/m.test(text);
}

/** How the CLI is started: node's arguments before the command's, and the working directory. */
export interface CliCommand {
  nodeArgs: string[];
  cwd: string;
}

/** The CLI from the TypeScript sources, as `npm run hub` runs it. */
export const SOURCE_CLI: CliCommand = { nodeArgs: ['--import', 'tsx', CLI_ENTRY], cwd: PROJECT_ROOT };

export function spawnCli(args: string[], env: NodeJS.ProcessEnv, command: CliCommand = SOURCE_CLI): ChildProcess {
  return spawn(process.execPath, [...command.nodeArgs, ...args], { cwd: command.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Collects a child's output until it exits; kills it (and fails) after `timeoutMs`. */
export function collect(child: ChildProcess, timeoutMs: number): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`hub did not exit within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr: cleanStderr(stderr), rawStderr: stderr });
    });
  });
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  /** Written to stdin, which is then closed (it is closed at once without input). */
  input?: string;
  timeoutMs?: number;
}

/** A sandbox: its own SQLite file and key folder, removed by `cleanup()`; the CLI from the sources unless `command` says otherwise. */
export class CliSandbox {
  readonly dir = mkdtempSync(join(tmpdir(), 'hub-cli-'));
  readonly databaseFile = join(this.dir, 'hub.sqlite');
  readonly keysDir = join(this.dir, 'keys');

  constructor(private readonly command: CliCommand = SOURCE_CLI) {}

  env(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
    return childEnv({ DATABASE_URL: `sqlite:${this.databaseFile}`, HUB_KEYS_DIR: this.keysDir, LOG_LEVEL: 'silent', ...extra });
  }

  spawn(args: string[], extraEnv: Record<string, string | undefined> = {}): ChildProcess {
    return spawnCli(args, this.env(extraEnv), this.command);
  }

  run(args: string[], options: RunOptions = {}): Promise<CliResult> {
    const child = this.spawn(args, options.env);
    const result = collect(child, options.timeoutMs ?? 30_000);
    child.stdin?.end(options.input ?? '');
    return result;
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export { freePort };

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A failure: exit 1, a `hub: ` report on stderr, nothing on stdout, no stack trace. */
export function expectFailure(result: CliResult, pattern: RegExp): void {
  const detail = `stdout: ${result.stdout}\nstderr: ${result.rawStderr}`;
  expect(result.code, detail).to.equal(1);
  expect(result.stderr, detail).to.match(/^hub: /);
  expect(result.stderr, detail).to.match(pattern);
  expect(hasStackTrace(result.rawStderr), detail).to.equal(false);
  expect(result.stdout, detail).to.equal('');
}

/** A usage error: exit 2, the message and the usage of `command` on stderr, no stack trace. */
export function expectUsageError(result: CliResult, pattern: RegExp, command = 'hub'): void {
  const detail = `stdout: ${result.stdout}\nstderr: ${result.rawStderr}`;
  expect(result.code, detail).to.equal(2);
  expect(result.stderr, detail).to.match(pattern);
  expect(result.stderr, detail).to.include(`Usage: ${command}`);
  expect(hasStackTrace(result.rawStderr), detail).to.equal(false);
}

/** A `hub serve` child process, with its stdout as it comes. */
export interface ServingHub {
  child: ChildProcess;
  /** http://127.0.0.1:<port>: the hub's own address, whatever its issuer. */
  url: string;
  port: number;
  /** stdout received so far. */
  stdout(): string;
  /** JSON log lines received so far (other lines left out). */
  logLines(): Record<string, unknown>[];
  /** Resolves with the first log line matching `test` once it arrives; rejects after `timeoutMs`. */
  waitForLog(test: (line: Record<string, unknown>) => boolean, timeoutMs: number): Promise<Record<string, unknown>>;
  /** SIGTERM, then the exit (SIGKILL after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<CliResult>;
}

function parseLogLines(text: string): Record<string, unknown>[] {
  return text.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

/**
 * Starts `hub serve` in the sandbox on a free port, or on `env.PORT` when given (a load balancer
 * set up first knows it); add HOST, HUB_ISSUER… in `env`. Waits until /healthz answers. Logs at
 * info unless `env` says otherwise.
 */
export async function serveHub(box: CliSandbox, env: Record<string, string | undefined> = {}, timeoutMs = 60_000): Promise<ServingHub> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = box.spawn(['serve'], { LOG_LEVEL: 'info', PORT: String(port), ...env });
  child.stdin?.end();
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const exited = collect(child, 10 * 60_000);
  exited.catch(() => undefined);
  const stop = async (graceMs = 15_000): Promise<CliResult> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    try {
      const result = await exited;
      return { ...result, stdout: out };
    } finally {
      clearTimeout(killer);
    }
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const health = await fetch(`${url}/healthz`).catch(() => undefined);
    if (health?.status === 200) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      const result = await stop();
      throw new Error(`hub serve did not answer on ${url} (exit ${result.code})\nstdout: ${result.stdout}\nstderr: ${result.rawStderr}`);
    }
    await sleep(150);
  }
  return {
    child, url, port, stop,
    stdout: () => out,
    logLines: () => parseLogLines(out),
    async waitForLog(test, waitMs) {
      const until = Date.now() + waitMs;
      for (;;) {
        const found = parseLogLines(out).find(test);
        if (found) return found;
        if (Date.now() > until) throw new Error(`no such log line within ${waitMs} ms; stdout so far:\n${out}`);
        await sleep(25);
      }
    },
  };
}
