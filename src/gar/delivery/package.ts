/**
 * The package the GAR receives: one `<name>.tar.gz` of the export's files and its `<name>.tar.gz.md5`
 * (md5sum's format, so the GAR checks it with `md5sum -c`). Everything is streamed: files are read
 * in chunks, the md5 and the size are taken on the way to the disk. Each file is written under a
 * `.part` name and renamed when complete, so a crash never leaves a package that looks finished.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';
import { GarPackageFailed } from './errors.js';

export interface PackageRequest {
  /** Paths of the files to pack; each is stored under its base name, which must be unique. */
  files: readonly string[];
  outDir: string;
  /** The package's name, without extension. */
  name: string;
}

export interface ExportPackage {
  /** Path of `<name>.tar.gz`. */
  archive: string;
  /** Path of `<name>.tar.gz.md5`. */
  md5: string;
  /** Size of the archive. */
  bytes: number;
}

export async function packageExport(request: PackageRequest): Promise<ExportPackage> {
  const names = request.files.map((file) => basename(file));
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate !== undefined) throw new GarPackageFailed(`two files of the package are named ${duplicate}: the archive keeps base names only`);

  const archive = join(request.outDir, `${request.name}.tar.gz`);
  const md5 = `${archive}.md5`;
  const digest = createHash('md5');
  let bytes = 0;
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      digest.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  try {
    const pack = tar.pack();
    const written = pipeline(pack, createGzip(), measure, createWriteStream(`${archive}.part`));
    await Promise.all([written, addEntries(pack, request.files).catch((err: unknown) => pack.destroy(err as Error))]);
    await writeFile(`${md5}.part`, `${digest.digest('hex')}  ${basename(archive)}\n`);
    // The archive first: a .md5 with its final name always describes a complete archive.
    await rename(`${archive}.part`, archive);
    await rename(`${md5}.part`, md5);
  } catch (err) {
    await Promise.all([rm(`${archive}.part`, { force: true }), rm(`${md5}.part`, { force: true })]);
    throw new GarPackageFailed(`the package ${archive} could not be written: ${(err as Error).message}`, err);
  }
  return { archive, md5, bytes };
}

/** tar takes one entry at a time, each announced with its size. */
async function addEntries(pack: tar.Pack, files: readonly string[]): Promise<void> {
  for (const file of files) {
    const { size, mtime } = await stat(file);
    const entry = pack.entry({ name: basename(file), size, mtime, mode: 0o644 });
    await pipeline(createReadStream(file), entry);
  }
  pack.finalize();
}
