/** Messages between `ldap.ts` (the import's thread) and the reader worker (`ldap-worker.ts`). */
import type { SdetMapperOptions } from '../sdet/mapping.js';
import type { DirectoryErrorCode, LdapSourceOptions } from './ldap-client.js';
import type { EntryKind, ReadItem } from './read-items.js';

export interface ReaderData {
  options: LdapSourceOptions;
  mapping: SdetMapperOptions;
}

export type ToReader =
  | { type: 'checkBase'; id: number; baseDn: string }
  /** `window`: pages the worker may send before it waits for `more`. */
  | { type: 'search'; id: number; baseDn: string; filter: string; kind: EntryKind; window: number }
  | { type: 'more'; id: number }
  | { type: 'cancel'; id: number }
  | { type: 'close'; id: number };

export type FromReader =
  | { type: 'ready' }
  | { type: 'page'; id: number; items: ReadItem[] }
  /** A checkBase, search or close request completed. */
  | { type: 'done'; id: number }
  /** `id` null: opening the connection failed. */
  | { type: 'failed'; id: number | null; code: DirectoryErrorCode; message: string };
