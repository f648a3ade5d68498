/** What the commands share: the validated config, loggers, and what the wiring opens for one command. */
import { closeSync, constants as fsConstants, fsyncSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { pino } from 'pino';
import { loadConfig } from '../config/load.js';
import type { HubConfig } from '../config/schema.js';
import type { TenantConfig } from '../config/tenant-schema.js';
import { defaultRegistry } from '../federation/index.js';
import { HubError } from '../shared/errors.js';
import { createLogger, type Logger } from '../shared/logger.js';
import type { PlatformStore } from '../storage/ports/index.js';
import { openCommandServices, type CommandServices } from '../wiring/command.js';
import type { TenantDirectory } from '../wiring/tenants.js';

/**
 * The exit codes of `hub`, in one place: `main.ts` turns an error into one of them with
 * `exitCodeOf`, a command that ends without an error but not cleanly (an import completed with
 * errors) sets `process.exitCode`. Documented in the README ("Exit codes") and `hub --help`.
 */
export const EXIT = {
  /** Done. */
  ok: 0,
  /** Failed (directory lost, database error, unexpected error): one `hub: …` line on stderr. */
  failure: 1,
  /** Usage error: bad option, unknown tenant or source, disabled source, existing codes file. */
  usage: 2,
  /** Another import of the same source holds the lock. */
  locked: 3,
  /** The mass-removal guard refused a full run (nothing marked disappeared). */
  massRemoval: 4,
  /** The import completed, but quarantined more than the source's allowed share of its entries. */
  completedWithErrors: 5,
  /** The import quarantined (nearly) everything: the run failed and changed nothing. */
  tooManyQuarantined: 6,
  /** Another refusal: no previous run for a delta, a wrong mapping; a pending key rotation, a key that never rotates, a key import over other keys. */
  refused: 7,
} as const;

/** Error codes (HubError.code) with an exit code of their own; any other error exits 1. */
const EXIT_BY_ERROR_CODE: Readonly<Record<string, number>> = {
  usage: EXIT.usage,
  import_locked: EXIT.locked,
  mass_removal: EXIT.massRemoval,
  too_many_quarantined: EXIT.tooManyQuarantined,
  no_previous_run: EXIT.refused,
  bad_mapping: EXIT.refused,
  gar_export_running: EXIT.locked,
  gar_not_enabled: EXIT.usage,
  gar_delivery_not_configured: EXIT.usage,
  key_rotation_pending: EXIT.refused,
  key_import_refused: EXIT.refused,
  key_rotation_refused: EXIT.refused,
};

export function exitCodeOf(err: unknown): number {
  return err instanceof HubError ? EXIT_BY_ERROR_CODE[err.code] ?? EXIT.failure : EXIT.failure;
}

/** The `--help` text of the exit codes of the import commands. */
export const IMPORT_EXIT_CODES = `
Exit codes: 0 completed; 1 failed (directory lost, database error…; what was already committed
is said); 2 usage error (unknown tenant or source, disabled source, existing codes file);
3 another import of the source holds the lock; 4 mass removal refused (nothing marked
disappeared); 5 completed with errors (more quarantined entries than the source allows);
6 too many quarantined entries (the run failed and changed nothing); 7 other refusal (a delta
before any full run, a wrong mapping). With --json a failure prints {"error", "message", "run"}
on stdout.`;

/** What a failure adds for the operator: lines after the `hub: …` one, fields of the --json error. */
export interface ErrorNotes {
  lines: string[];
  json: Record<string, unknown>;
}

const notes = new WeakMap<object, ErrorNotes>();

export function annotate(err: unknown, add: { note?: string; json?: Record<string, unknown> }): void {
  if (typeof err !== 'object' || err === null) return;
  const current = notes.get(err) ?? { lines: [], json: {} };
  if (add.note) current.lines.push(add.note);
  Object.assign(current.json, add.json);
  notes.set(err, current);
}

export function notesOf(err: unknown): ErrorNotes {
  return (typeof err === 'object' && err !== null && notes.get(err)) || { lines: [], json: {} };
}

/** A usage error found by a command's action (exit 2): the message, then the command's usage. */
export class UsageError extends HubError {
  constructor(message: string) {
    super('usage', message, { status: 400, expose: true });
  }
}

/** A positive number option. */
export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('a positive number is expected');
  return n;
}

/** An unknown tenant is a usage error: the operator typed a wrong id. */
export function pickTenant(tenants: TenantDirectory, tenantId: string): TenantConfig {
  const tenant = tenants.declaration(tenantId);
  if (!tenant) throw new UsageError(`unknown tenant "${tenantId}" (see hub tenants list)`);
  return tenant;
}

export function commandContext(): { config: HubConfig; log: Logger } {
  const config = loadConfig({ connectorSettings: defaultRegistry().settingsCheck });
  return { config, log: createLogger(config.log.level) };
}

/** Diagnostics of a one-off command go to stderr (warnings and above unless LOG_LEVEL asks for more): stdout is its output. */
export function stderrLogger(config: HubConfig): Logger {
  return createLogger(config.log.level === 'info' ? 'warn' : config.log.level, pino.destination({ fd: 2, sync: true }));
}

/** What a command's action runs on: the config and what the wiring opened for it. */
export type CommandScope = Omit<CommandServices, 'close'> & { config: HubConfig };

/** Opens the store (migrated, tenants and config clients mirrored), runs `fn`, and always closes what was opened. */
export async function withCommand<T>(fn: (scope: CommandScope) => Promise<T>): Promise<T> {
  const { config } = commandContext();
  const { close, ...services } = await openCommandServices(config, stderrLogger(config));
  try {
    return await fn({ config, ...services });
  } finally {
    await close();
  }
}

/** `withCommand` for the commands that need the store, the config and the tenants. */
export function withStore<T>(fn: (store: PlatformStore, config: HubConfig, tenants: TenantDirectory) => Promise<T>): Promise<T> {
  return withCommand(({ store, config, tenants }) => fn(store, config, tenants));
}

export function printJsonOr(json: boolean, value: unknown, text: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);
}

export const CODES_HEADER = 'login,activation_code,external_id\n';

/**
 * A CSV file of activation codes (which exist nowhere else: the store keeps their hashes). It is
 * created, never opened if it exists (an earlier run's codes are never overwritten), mode 0600;
 * each `write` reaches the disk before it returns. `close()` removes the file if no code was
 * written to it, so that a refused run leaves nothing behind.
 */
export class CodesFile {
  private fd: number | null;
  private written = 0;

  private constructor(readonly path: string, fd: number) {
    this.fd = fd;
  }

  /** UsageError if the file exists. */
  static create(path: string): CodesFile {
    let fd: number;
    try {
      // O_EXCL: refused if anything exists at `path`, a symbolic link included.
      fd = openSync(path, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw new UsageError(`the codes file ${path} already exists: activation codes are never overwritten (they exist nowhere else); name a new file`);
      if (code === 'ENOENT') throw new UsageError(`cannot create the codes file ${path}: its folder does not exist`);
      throw new UsageError(`cannot create the codes file ${path}: ${(err as Error).message}`);
    }
    const file = new CodesFile(path, fd);
    file.append(CODES_HEADER);
    return file;
  }

  /** How many codes were written. */
  get count(): number {
    return this.written;
  }

  write(rows: Array<{ login: string; code: string; externalId: string | null }>): void {
    if (rows.length === 0) return;
    this.append(rows.map((r) => `${r.login},${r.code},${r.externalId ?? ''}\n`).join(''));
    this.written += rows.length;
  }

  close(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
    if (this.written === 0) unlinkSync(this.path);
  }

  private append(text: string): void {
    if (this.fd === null) throw new Error(`codes file ${this.path} is closed`);
    const buffer = Buffer.from(text, 'utf8');
    for (let offset = 0; offset < buffer.length;) offset += writeSync(this.fd, buffer, offset);
    fsyncSync(this.fd);
  }
}
