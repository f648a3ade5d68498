/**
 * Reads a directory with ldapts paged searches, one page in memory at a time. A search that
 * fails mid-way is started again on a fresh connection (paging cookies die with their
 * connection), skipping the entries already handed out, a bounded number of times.
 *
 * Runs in the reader worker (`ldap-worker.ts`), or in the calling thread when no worker can
 * be started; `ldap.ts` is what the import uses (entries mapped, `read-items.ts`).
 */
import { readFileSync } from 'node:fs';
import type { Client } from 'ldapts';
import { HubError } from '../../shared/errors.js';
import type { DirectoryEntry } from '../model.js';

export interface LdapSourceOptions {
  url: string;
  bindDn: string;
  bindPassword: string;
  caFile?: string | undefined;
  rejectUnauthorized: boolean;
  pageSize: number;
  timeLimitSeconds: number;
  connectTimeoutSeconds: number;
  maxRetries: number;
}

export type DirectoryErrorCode = 'ldap_unreachable' | 'ldap_bind_failed' | 'ldap_bad_base' | 'ldap_read_failed';

/** Source failures an operator must act on; each maps to one clear CLI message. */
export class DirectoryError extends HubError {
  declare readonly code: DirectoryErrorCode;
  constructor(code: DirectoryErrorCode, message: string, cause?: unknown) {
    super(code, message, { status: 502, expose: true, cause });
  }
}

/** The directory as read, entries not yet mapped. */
export interface RawDirectory {
  /** Fails with DirectoryError when a base DN does not exist. */
  checkBase(baseDn: string): Promise<void>;
  /** Entries with the `attributes` asked for (names as the server spells them). */
  search(baseDn: string, filter: string, attributes: readonly string[]): AsyncGenerator<DirectoryEntry>;
  close(): Promise<void>;
}

/** ldapts's entry, values as UTF-8 strings (exported for the benchmark's raw read baseline). */
export function toEntry(raw: Record<string, Buffer | Buffer[] | string[] | string>): DirectoryEntry {
  const attributes: Record<string, string[]> = {};
  for (const name in raw) {
    if (name === 'dn') continue;
    const value = raw[name]!;
    // ldapts already decodes values to strings (none is asked as a Buffer): its lists are
    // taken as they are, not copied, as the entry is read once and dropped.
    attributes[name] = typeof value === 'string' ? [value]
      : Buffer.isBuffer(value) ? [value.toString('utf8')]
        : value.some((v) => typeof v !== 'string') ? value.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v)) : value as string[];
  }
  return { dn: String(raw.dn), attributes };
}

/** The reader itself, in whatever thread calls it. */
export async function openLdapClient(options: LdapSourceOptions): Promise<RawDirectory> {
  // Loaded by the first import that reads a directory, not by every process that can start one.
  const { Client, InvalidCredentialsError, NoSuchObjectError } = await import('ldapts');
  const tlsOptions = options.url.startsWith('ldaps:')
    ? { rejectUnauthorized: options.rejectUnauthorized, ...(options.caFile ? { ca: [readFileSync(options.caFile)] } : {}) }
    : undefined;
  const where = new URL(options.url).host;

  async function connect(): Promise<Client> {
    const client = new Client({
      url: options.url,
      connectTimeout: options.connectTimeoutSeconds * 1000,
      timeout: (options.timeLimitSeconds + 5) * 1000,
      ...(tlsOptions ? { tlsOptions } : {}),
    });
    try {
      await client.bind(options.bindDn, options.bindPassword);
      return client;
    } catch (err) {
      await client.unbind().catch(() => undefined);
      if (err instanceof InvalidCredentialsError) throw new DirectoryError('ldap_bind_failed', `the directory at ${where} refused the bind DN or password`, err);
      throw new DirectoryError('ldap_unreachable', `cannot reach the directory at ${where}: ${(err as Error).message}`, err);
    }
  }

  let client = await connect();

  async function* search(baseDn: string, filter: string, attributes: readonly string[]): AsyncGenerator<DirectoryEntry> {
    let handedOut = 0;
    for (let attempt = 0; ; attempt += 1) {
      let skip = handedOut;
      try {
        const pages = client.searchPaginated(baseDn, {
          scope: 'sub', filter, attributes: [...attributes], timeLimit: options.timeLimitSeconds,
          paged: { pageSize: options.pageSize },
        });
        for await (const page of pages) {
          for (const raw of page.searchEntries) {
            if (skip > 0) {
              skip -= 1;
              continue;
            }
            handedOut += 1;
            yield toEntry(raw);
          }
        }
        return;
      } catch (err) {
        if (err instanceof NoSuchObjectError) throw new DirectoryError('ldap_bad_base', `base DN "${baseDn}" does not exist in the directory at ${where}`, err);
        if (attempt >= options.maxRetries) throw new DirectoryError('ldap_read_failed', `reading ${baseDn} failed after ${attempt + 1} attempts: ${(err as Error).message}`, err);
        await client.unbind().catch(() => undefined);
        await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
        client = await connect();
      }
    }
  }

  return {
    async checkBase(baseDn: string): Promise<void> {
      try {
        await client.search(baseDn, { scope: 'base', filter: '(objectClass=*)', attributes: ['1.1'] });
      } catch (err) {
        if (err instanceof NoSuchObjectError) throw new DirectoryError('ldap_bad_base', `base DN "${baseDn}" does not exist in the directory at ${where}`, err);
        throw new DirectoryError('ldap_read_failed', `cannot read ${baseDn} at ${where}: ${(err as Error).message}`, err);
      }
    },
    search,
    close: async () => void (await client.unbind().catch(() => undefined)),
  };
}
