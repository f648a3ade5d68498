/**
 * The files of one kind: nodes appended one by one, a new file every `maxNodes` top-level nodes.
 * Nodes are gathered up to WRITE_BATCH_CHARS and each batch's write is awaited before the next
 * node is taken: the writer holds one batch, whatever the size of the export, and a slow disk
 * slows the readers of the store down instead of filling memory.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { GarFileKind } from '../model.js';
import { GAR_NAMESPACE } from './nodes.js';

/** UTF-16 code units, so at most 192 KiB of UTF-8. */
const WRITE_BATCH_CHARS = 64 * 1024;

export interface GarFileWritten {
  name: string;
  kind: GarFileKind;
  /** Top-level nodes (a person, a school, a group, a membership). */
  nodes: number;
  bytes: number;
}

interface OpenFile {
  handle: FileHandle;
  written: GarFileWritten;
  batch: string;
}

export class KindFiles {
  readonly files: GarFileWritten[] = [];
  private current: OpenFile | undefined;

  constructor(
    readonly kind: GarFileKind,
    private readonly outDir: string,
    private readonly maxNodes: number,
    private readonly nameOf: (index: number) => string,
  ) {}

  /** The paths of the files begun so far, finished or not (for the caller to remove after a failure). */
  paths(): string[] {
    return this.files.map((f) => join(this.outDir, f.name));
  }

  async add(node: string): Promise<void> {
    const file = this.current ?? (await this.begin());
    file.batch += node;
    file.written.nodes += 1;
    if (file.batch.length >= WRITE_BATCH_CHARS) await this.flush(file);
    if (file.written.nodes === this.maxNodes) await this.end(file);
  }

  /** Ends the open file; a kind without any node still gets one file, with an empty root. */
  async finish(): Promise<void> {
    if (!this.current && this.files.length === 0) await this.begin();
    if (this.current) await this.end(this.current);
  }

  /** Closes the open file, if any, without finishing it (after a failure elsewhere). */
  async abandon(): Promise<void> {
    await this.current?.handle.close();
    this.current = undefined;
  }

  private async begin(): Promise<OpenFile> {
    const written: GarFileWritten = { name: this.nameOf(this.files.length), kind: this.kind, nodes: 0, bytes: 0 };
    this.files.push(written);
    const handle = await open(join(this.outDir, written.name), 'wx');
    this.current = { handle, written, batch: `<?xml version="1.0" encoding="UTF-8"?>\n<men:GAR-ENT-${this.kind} xmlns:men="${GAR_NAMESPACE}" Version="1.0">\n` };
    return this.current;
  }

  private async flush(file: OpenFile): Promise<void> {
    const bytes = Buffer.from(file.batch, 'utf8');
    file.batch = '';
    await file.handle.write(bytes);
    file.written.bytes += bytes.length;
  }

  private async end(file: OpenFile): Promise<void> {
    file.batch += `</men:GAR-ENT-${this.kind}>\n`;
    await this.flush(file);
    this.current = undefined;
    await file.handle.close();
  }
}
