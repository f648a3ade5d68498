/**
 * The directory source of an import. The LDAP client runs in a worker thread (`ldap-worker.ts`)
 * that also maps the entries: decoding and mapping cost about as much as writing them, and
 * the import's thread is busy with that (better-sqlite3 blocks it), so the read goes on
 * meanwhile on the other core. Mapped entries cross over as plain objects, a bounded number
 * of pages ahead of the import.
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { createSdetMapper, type SdetMapperOptions } from '../sdet/mapping.js';
import { DirectoryError, openLdapClient, type LdapSourceOptions } from './ldap-client.js';
import type { FromReader, ReaderData, ToReader } from './ldap-protocol.js';
import { readItem, type DirectorySource, type EntryKind, type ReadItem } from './read-items.js';

export { DirectoryError, toEntry, type LdapSourceOptions } from './ldap-client.js';
export type { DirectorySource, EntryKind, ReadItem } from './read-items.js';

/** Entries the worker may decode ahead of the import: about two write batches. */
const READ_AHEAD_ENTRIES = 4000;
const CLOSE_TIMEOUT_MS = 5000;
/**
 * A young generation larger than V8's default (16 MiB semi-spaces): entries waiting in the
 * read-ahead outlive a small one's collections and were copied to the old generation, whose
 * collections took 40 % of the reader's time.
 */
const READER_LIMITS: ResourceLimits = { maxYoungGenerationSizeMb: 192 };

function startWorker(data: ReaderData): Worker {
  const here = import.meta.url;
  const settings = { workerData: data, resourceLimits: READER_LIMITS };
  if (!here.endsWith('.ts')) return new Worker(new URL('./ldap-worker.js', here), settings);
  // Run from TypeScript sources: Node 20 does not give worker threads the main thread's module
  // hooks (tsx), so the worker registers them before loading its TypeScript entry point.
  const script = new URL('./ldap-worker.ts', here).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(script)}); });`, { eval: true, ...settings });
}

/** The same reads in the calling thread: what `openLdapSource` falls back to when no worker can start. */
export async function openLdapSourceInThisThread(options: LdapSourceOptions, mapping: SdetMapperOptions): Promise<DirectorySource> {
  const mapper = createSdetMapper(mapping);
  const raw = await openLdapClient(options);
  return {
    checkBase: (baseDn) => raw.checkBase(baseDn),
    async *read<K extends EntryKind>(baseDn: string, filter: string, kind: K) {
      for await (const entry of raw.search(baseDn, filter, mapper.attributes(kind))) yield readItem(mapper, kind, entry);
    },
    close: () => raw.close(),
  };
}

type Handler = (message: FromReader) => void;

export async function openLdapSource(options: LdapSourceOptions, mapping: SdetMapperOptions): Promise<DirectorySource> {
  let worker: Worker;
  try {
    worker = startWorker({ options, mapping });
  } catch {
    return openLdapSourceInThisThread(options, mapping);
  }
  const handlers = new Map<number, Handler>();
  let nextId = 1;
  let broken: DirectoryError | null = null;
  const breakAll = (message: string) => {
    broken ??= new DirectoryError('ldap_read_failed', message);
    for (const handler of handlers.values()) handler({ type: 'failed', id: null, code: broken.code, message: broken.message });
  };

  let onMessage: (m: FromReader) => void = () => undefined;
  let onGone: () => void = () => undefined;
  const opened = await new Promise<'ready' | 'unavailable'>((resolve, reject) => {
    onMessage = (m) => {
      if (m.type === 'ready') resolve('ready');
      else if (m.type === 'failed' && m.id === null) reject(new DirectoryError(m.code, m.message));
    };
    // The worker could not even load (no TypeScript loader, a bundle without it…): read here.
    onGone = () => resolve('unavailable');
    worker.on('message', onMessage).on('error', onGone).on('exit', onGone);
  }).catch(async (err: unknown) => {
    await worker.terminate();
    throw err;
  }).finally(() => {
    // Not removeAllListeners: the Worker's own listeners (which start its message port) would go too.
    worker.off('message', onMessage).off('error', onGone).off('exit', onGone);
  });
  if (opened === 'unavailable') {
    await worker.terminate();
    return openLdapSourceInThisThread(options, mapping);
  }
  worker.on('message', (m: FromReader) => {
    if (m.type !== 'ready' && m.id !== null) handlers.get(m.id)?.(m);
  });
  const onError = (err: Error) => breakAll(`the directory reader stopped: ${err.message}`);
  const onExit = () => breakAll('the directory reader stopped');
  worker.on('error', onError).on('exit', onExit);
  const post = (message: ToReader) => {
    if (!broken) worker.postMessage(message);
  };

  /** One request answered by `done` or `failed`. */
  const request = (make: (id: number) => ToReader) => new Promise<void>((resolve, reject) => {
    if (broken) return reject(broken);
    const id = nextId++;
    handlers.set(id, (m) => {
      handlers.delete(id);
      if (m.type === 'failed') reject(new DirectoryError(m.code, m.message));
      else resolve();
    });
    post(make(id));
  });

  async function* read<K extends EntryKind>(baseDn: string, filter: string, kind: K): AsyncGenerator<ReadItem<K>> {
    if (broken) throw broken;
    const id = nextId++;
    // The worker maps each search's entries as the kind asked.
    const pages: Array<Array<ReadItem<K>>> = [];
    let ended = false;
    let failed: DirectoryError | null = null;
    let wake: (() => void) | null = null;
    handlers.set(id, (m) => {
      if (m.type === 'page') pages.push(m.items as Array<ReadItem<K>>);
      else if (m.type === 'done') ended = true;
      else if (m.type === 'failed') failed = new DirectoryError(m.code, m.message);
      wake?.();
      wake = null;
    });
    post({ type: 'search', id, baseDn, filter, kind, window: Math.max(2, Math.ceil(READ_AHEAD_ENTRIES / options.pageSize)) });
    try {
      for (;;) {
        const page = pages.shift();
        if (page) {
          post({ type: 'more', id });
          yield* page;
        } else if (failed) {
          throw failed;
        } else if (ended) {
          return;
        } else {
          await new Promise<void>((resolve) => (wake = resolve));
        }
      }
    } finally {
      handlers.delete(id);
      // The consumer stopped early (an error, a crash test): the worker must stop reading.
      if (!ended && !failed) post({ type: 'cancel', id });
    }
  }

  let closing: Promise<void> | undefined;
  return {
    checkBase: (baseDn) => request((id) => ({ type: 'checkBase', id, baseDn })),
    read,
    close: () => (closing ??= (async () => {
      // Unbind politely, but never wait long on a server that stopped answering.
      const timer = new Promise<void>((resolve) => setTimeout(resolve, CLOSE_TIMEOUT_MS).unref());
      await Promise.race([request((id) => ({ type: 'close', id })).catch(() => undefined), timer]);
      worker.off('error', onError).off('exit', onExit);
      await worker.terminate();
    })()),
  };
}
