/**
 * Runs the real `hub` CLI as a child process (`node --import tsx src/cli/main.ts …`) with an
 * environment stripped of every hub variable of the parent, so a developer's shell (REDIS_URL,
 * HUB_CONFIG…) cannot change what a test sees.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { freePort } from '../../src/shared/net.js';
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

export function spawnCli(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', CLI_ENTRY, ...args], { cwd: PROJECT_ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
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

/** A sandbox: its own SQLite file and key folder, removed by `cleanup()`. */
export class CliSandbox {
  readonly dir = mkdtempSync(join(tmpdir(), 'hub-cli-'));
  readonly databaseFile = join(this.dir, 'hub.sqlite');
  readonly keysDir = join(this.dir, 'keys');

  env(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
    return childEnv({ DATABASE_URL: `sqlite:${this.databaseFile}`, HUB_KEYS_DIR: this.keysDir, LOG_LEVEL: 'silent', ...extra });
  }

  spawn(args: string[], extraEnv: Record<string, string | undefined> = {}): ChildProcess {
    return spawnCli(args, this.env(extraEnv));
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
