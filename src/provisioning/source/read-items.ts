/**
 * What the import receives from a directory: entries already mapped from SDET, where they were
 * decoded (the reader worker), so that the import's thread only plans and writes. Plain data:
 * items cross threads by structured clone.
 */
import type { SdetMapper } from '../sdet/mapping.js';
import type { DirectoryEntry, ImportedGroup, ImportedPerson, ImportedStructure, MappingResult } from '../model.js';

export interface MappedKinds {
  structure: ImportedStructure;
  group: ImportedGroup;
  person: ImportedPerson;
}

export type EntryKind = keyof MappedKinds;

export interface ReadItem<K extends EntryKind = EntryKind> {
  /** modifyTimestamp as the server wrote it (the delta mode's high-water mark). */
  stamp: string | null;
  mapped: MappingResult<MappedKinds[K]>;
  /** A quarantined person's jointure, when readable: that person is still in the directory. */
  externalId: string | null;
}

/** Everything the import asks of a directory. */
export interface DirectorySource {
  /** Fails with DirectoryError when a base DN does not exist. */
  checkBase(baseDn: string): Promise<void>;
  /** Entries under `baseDn` matching `filter`, mapped as `kind`. */
  read<K extends EntryKind>(baseDn: string, filter: string, kind: K): AsyncGenerator<ReadItem<K>>;
  close(): Promise<void>;
}

/** Servers spell attribute names as asked; scanning every name is the fallback. */
function modifyTimestamp(entry: DirectoryEntry): string | null {
  const values = entry.attributes.modifyTimestamp ?? Object.entries(entry.attributes).find(([name]) => name.toLowerCase() === 'modifytimestamp')?.[1];
  return values?.[0] ?? null;
}

export function readItem<K extends EntryKind>(mapper: SdetMapper, kind: K, entry: DirectoryEntry): ReadItem<K> {
  const mapped = mapper[kind](entry) as MappingResult<MappedKinds[K]>;
  const externalId = !mapped.ok && kind === 'person' ? mapper.personExternalId(entry) : null;
  return { stamp: modifyTimestamp(entry), mapped, externalId };
}
