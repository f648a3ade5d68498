/**
 * One tenant's GAR export written as XML files into a folder: the five kinds of file, each cut
 * every `maxNodesPerFile` top-level nodes (gar-connector's `max-nodes`, 10,000 by default),
 * streamed from the records as they come (nothing but the current write batch in memory).
 *
 * The Groupe file holds the groups (`GARGroupe`) and then the memberships (`GARPersonGroupe`),
 * which the XSD wants in that order in every file: the groups are read first, and each pupil's
 * and teacher's memberships are written to the Groupe file while the person goes to theirs.
 *
 * Either every file is written, or the call fails and removes the files it began (a value XML
 * cannot carry: GarValueRefused, naming the person and the field; a disk error).
 */
import { mkdir, rm } from 'node:fs/promises';
import { InvariantBroken } from '../../shared/errors.js';
import type { GarAssigner, GarFileKind, GarGroup, GarPerson, GarStructure } from '../model.js';
import { garFileName } from './file-names.js';
import { KindFiles, type GarFileWritten } from './kind-files.js';
import { assignerNode, groupNode, membershipNodes, pupilNode, schoolNode, teacherNode } from './nodes.js';

export const DEFAULT_MAX_NODES_PER_FILE = 10_000;

export interface GarExportInput {
  outDir: string;
  /** The tenant's GAR project id (`gar.projectId`), first part of every file name. */
  entId: string;
  /** The run's time, in every file name. */
  at: Date;
  maxNodesPerFile?: number;
  structures: AsyncIterable<GarStructure>;
  pupils: AsyncIterable<GarPerson>;
  /** Teachers and other staff: the Enseignant file. */
  staff: AsyncIterable<GarPerson>;
  groups: AsyncIterable<GarGroup>;
  assigners: AsyncIterable<GarAssigner>;
}

export interface GarExportFiles {
  /** By kind (Etab, Eleve, Enseignant, Groupe, RespAff), then by index. */
  files: GarFileWritten[];
}

export async function writeGarFiles(input: GarExportInput): Promise<GarExportFiles> {
  const maxNodes = input.maxNodesPerFile ?? DEFAULT_MAX_NODES_PER_FILE;
  if (!Number.isInteger(maxNodes) || maxNodes < 1) throw new InvariantBroken(`maxNodesPerFile must be a positive integer, not ${maxNodes}`);
  await mkdir(input.outDir, { recursive: true });
  const filesOf = (kind: GarFileKind) => new KindFiles(kind, input.outDir, maxNodes, (index) => garFileName(input.entId, input.at, kind, index));
  const etab = filesOf('Etab');
  const eleve = filesOf('Eleve');
  const enseignant = filesOf('Enseignant');
  const groupe = filesOf('Groupe');
  const respAff = filesOf('RespAff');
  const all = [etab, eleve, enseignant, groupe, respAff];
  try {
    for await (const school of input.structures) await etab.add(schoolNode(school));
    for await (const group of input.groups) await groupe.add(groupNode(group));
    await writePeople(input.pupils, eleve, pupilNode, groupe);
    await writePeople(input.staff, enseignant, teacherNode, groupe);
    for await (const assigner of input.assigners) await respAff.add(assignerNode(assigner));
    for (const kind of all) await kind.finish();
  } catch (err) {
    await Promise.allSettled(all.map((kind) => kind.abandon()));
    await Promise.all(all.flatMap((kind) => kind.paths()).map((path) => rm(path, { force: true })));
    throw err;
  }
  return { files: all.flatMap((kind) => kind.files) };
}

/** Each person to their file, and their memberships to the Groupe file. */
async function writePeople(people: AsyncIterable<GarPerson>, files: KindFiles, nodeOf: (person: GarPerson) => string, groupe: KindFiles): Promise<void> {
  for await (const person of people) {
    await files.add(nodeOf(person));
    for (const membership of membershipNodes(person)) await groupe.add(membership);
  }
}
