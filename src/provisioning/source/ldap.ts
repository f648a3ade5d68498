/**
 * The directory source of an import. The LDAP client runs in a worker thread (`ldap-worker.ts`):
 * decoding the entries costs about as much as mapping and writing them, and the import's
 * thread is busy with those (better-sqlite3 blocks it), so the read goes on meanwhile on the
 * other core. Pages cross over as plain objects, a bounded number ahead of the import.
 */
import { Worker } from 'node:worker_threads';
import type { DirectoryEntry } from '../model.js';
import { DirectoryError, openLdapClient, type DirectorySource, type LdapSourceOptions } from './ldap-client.js';
import type { FromReader, ToReader } from './ldap-protocol.js';

export { DirectoryError, toEntry, type DirectorySource, type LdapSourceOptions } from './ldap-client.js';

/** Entries the worker may decode ahead of the import: about two write batches. */
const READ_AHEAD_ENTRIES = 4000;
const CLOSE_TIMEOUT_MS = 5000;

function startWorker(options: LdapSourceOptions): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./ldap-worker.js', here), { workerData: options });
  // Run from TypeScript sources: Node 20 does not give worker threads the main thread's module
  // hooks (tsx), so the worker registers them before loading its TypeScript entry point.
  const script = new URL('./ldap-worker.ts', here).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(script)}); });`, { eval: true, workerData: options });
}

type Handler = (message: FromReader) => void;

export async function openLdapSource(options: LdapSourceOptions): Promise<DirectorySource> {
  let worker: Worker;
  try {
    worker = startWorker(options);
  } catch {
    return openLdapClient(options);
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
    return openLdapClient(options);
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

  async function* search(baseDn: string, filter: string): AsyncGenerator<DirectoryEntry> {
    if (broken) throw broken;
    const id = nextId++;
    const pages: DirectoryEntry[][] = [];
    let ended = false;
    let failed: DirectoryError | null = null;
    let wake: (() => void) | null = null;
    handlers.set(id, (m) => {
      if (m.type === 'page') pages.push(m.entries);
      else if (m.type === 'done') ended = true;
      else if (m.type === 'failed') failed = new DirectoryError(m.code, m.message);
      wake?.();
      wake = null;
    });
    post({ type: 'search', id, baseDn, filter, window: Math.max(2, Math.ceil(READ_AHEAD_ENTRIES / options.pageSize)) });
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
    search,
    close: () => (closing ??= (async () => {
      // Unbind politely, but never wait long on a server that stopped answering.
      const timer = new Promise<void>((resolve) => setTimeout(resolve, CLOSE_TIMEOUT_MS).unref());
      await Promise.race([request((id) => ({ type: 'close', id })).catch(() => undefined), timer]);
      worker.off('error', onError).off('exit', onExit);
      await worker.terminate();
    })()),
  };
}
