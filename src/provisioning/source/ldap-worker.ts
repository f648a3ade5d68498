/**
 * The reader worker: owns the LDAP connection, decodes the BER of every entry and maps it from
 * SDET (together as costly as the rest of an import), so that the import's thread only plans
 * and writes. Pages are sent ahead of need up to the window the import grants, so memory stays
 * bounded.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createSdetMapper } from '../sdet/mapping.js';
import { DirectoryError, openLdapClient, type RawDirectory } from './ldap-client.js';
import type { FromReader, ReaderData, ToReader } from './ldap-protocol.js';
import { readItem, type ReadItem } from './read-items.js';

const port = parentPort!;
const { options, mapping } = workerData as ReaderData;
const mapper = createSdetMapper(mapping);
const post = (message: FromReader): void => port.postMessage(message);

function failure(id: number | null, err: unknown): FromReader {
  return err instanceof DirectoryError
    ? { type: 'failed', id, code: err.code, message: err.message }
    : { type: 'failed', id, code: 'ldap_read_failed', message: (err as Error).message };
}

interface SearchState {
  credits: number;
  cancelled: boolean;
  wake: (() => void) | null;
}

const searches = new Map<number, SearchState>();

async function sendPage(id: number, items: ReadItem[], state: SearchState): Promise<boolean> {
  while (state.credits === 0 && !state.cancelled) await new Promise<void>((resolve) => (state.wake = resolve));
  if (state.cancelled) return false;
  state.credits -= 1;
  post({ type: 'page', id, items });
  return true;
}

async function search(source: RawDirectory, m: Extract<ToReader, { type: 'search' }>): Promise<void> {
  const state: SearchState = { credits: m.window, cancelled: false, wake: null };
  searches.set(m.id, state);
  try {
    let page: ReadItem[] = [];
    for await (const entry of source.search(m.baseDn, m.filter, mapper.attributes(m.kind))) {
      page.push(readItem(mapper, m.kind, entry));
      if (page.length >= options.pageSize) {
        if (!(await sendPage(m.id, page, state))) return;
        page = [];
      }
    }
    if (page.length > 0 && !(await sendPage(m.id, page, state))) return;
    post({ type: 'done', id: m.id });
  } catch (err) {
    post(failure(m.id, err));
  } finally {
    searches.delete(m.id);
  }
}

async function serve(): Promise<void> {
  let source: RawDirectory;
  try {
    source = await openLdapClient(options);
  } catch (err) {
    post(failure(null, err));
    port.close();
    return;
  }
  post({ type: 'ready' });
  port.on('message', (m: ToReader) => {
    switch (m.type) {
      case 'checkBase':
        source.checkBase(m.baseDn).then(() => post({ type: 'done', id: m.id }), (err: unknown) => post(failure(m.id, err)));
        break;
      case 'search':
        void search(source, m);
        break;
      case 'more':
      case 'cancel': {
        const state = searches.get(m.id);
        if (!state) break;
        if (m.type === 'more') state.credits += 1;
        else state.cancelled = true;
        state.wake?.();
        state.wake = null;
        break;
      }
      case 'close':
        void source.close().finally(() => {
          post({ type: 'done', id: m.id });
          port.close();
        });
        break;
    }
  });
}

void serve();
