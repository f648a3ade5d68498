/**
 * The GAR files of one export (issue 17): generated records written as chunked XML files, named
 * as gar-connector names them, valid against our GAR-ENT XSD by libxml2-wasm and by Debian's
 * xmllint (an independent validator: both must agree with the XSD); values the XSD refuses
 * named by person and element; characters XML cannot carry refused by the writer; memory
 * bounded while 200,000 pupils are written.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { describeGarProblem, GAR_XSD, validateGarFile, type GarFileValidation } from '../../src/gar/format/validate.js';
import { writeGarFiles, type GarExportInput } from '../../src/gar/format/write.js';
import { GarValueRefused } from '../../src/gar/format/xml-text.js';
import type { GarAssigner } from '../../src/gar/model.js';
import type { GarGroup, GarPerson, GarStructure } from '../../src/gar/model.js';
import { uaiCheckLetter } from '../../src/identity/uai.js';
import { ConfigError } from '../../src/shared/errors.js';
import { libxml, loadLibxml } from '../../src/saml/core/libxml.js';

const run = promisify(execFile);
const AT = new Date('2025-01-14T23:00:02.500Z');
const ENT = 'ENT42';
const STAMP = '20250114_230002';

const uaiOf = (n: number) => {
  const digits = String(590_0000 + n).padStart(7, '0');
  return digits + uaiCheckLetter(digits);
};
const SCHOOLS = [1, 2, 3].map(uaiOf);
const CLASSES_PER_SCHOOL = 10;
const GROUPS_PER_SCHOOL = 5;

async function* from<T>(items: Iterable<T>): AsyncIterable<T> {
  yield* items;
}

function* schools(): Iterable<GarStructure> {
  for (const uai of SCHOOLS) yield { uai, name: `Collège n°${uai} « Jean & Jeanne <Moulin> »` };
}

const classCode = (n: number) => `${3 + (n % 4)}${String.fromCharCode(65 + n)}`;

function* groups(): Iterable<GarGroup> {
  for (const uai of SCHOOLS) {
    for (let c = 0; c < CLASSES_PER_SCHOOL; c += 1) yield { uai, code: classCode(c), label: `Classe ${classCode(c)}`, status: 'DIVISION' };
    for (let g = 0; g < GROUPS_PER_SCHOOL; g += 1) yield { uai, code: `G${g}`, label: `Groupe d'option ${g}`, status: 'GROUPE', classCodes: [classCode(g), classCode(g + 1)] };
  }
}

/** A pupil in one class and one group of their school; a few carry names that need escaping or are outside the BMP. */
function pupil(n: number): GarPerson {
  const uai = SCHOOLS[n % SCHOOLS.length]!;
  const lastName = n % 500 === 0 ? `O'Brien & <Fils> "${n}"` : n % 501 === 0 ? `Lê 𝔘nicode ${n}` : `Nom${n}`;
  return {
    id: `pupil-${n}`,
    profiles: [{ uai, profile: 'National_elv' }],
    lastName,
    firstName: `Élève\t${n}`,
    mainUai: uai,
    uais: [uai],
    birthDate: `2012-0${1 + (n % 9)}-1${n % 10}`,
    groups: [
      { uai, code: classCode(n % CLASSES_PER_SCHOOL) },
      { uai, code: `G${n % GROUPS_PER_SCHOOL}` },
    ],
  };
}

function* pupils(count: number): Iterable<GarPerson> {
  for (let n = 0; n < count; n += 1) yield pupil(n);
}

function* staff(count: number): Iterable<GarPerson> {
  for (let n = 0; n < count; n += 1) {
    const uai = SCHOOLS[n % SCHOOLS.length]!;
    yield {
      id: `staff-${n}`,
      profiles: [{ uai, profile: n % 10 === 0 ? 'National_doc' : 'National_ens' }],
      lastName: `Prof${n}`,
      firstName: `Marie-${n}`,
      mainUai: uai,
      uais: n % 7 === 0 ? SCHOOLS : [uai],
      groups: [0, 1].map((c) => ({ uai, code: classCode((n + c) % CLASSES_PER_SCHOOL) })),
    };
  }
}

function* assigners(): Iterable<GarAssigner> {
  for (const [n, uai] of SCHOOLS.entries()) {
    yield { id: `resp-${n}`, profiles: [{ uai, profile: 'National_dir' }], lastName: `Principal${n}`, firstName: 'Paul', mainUai: uai, uais: [uai], mail: `principal.${n}@ac-lille.fr`, groups: [] };
  }
}

function input(outDir: string, over: Partial<GarExportInput> = {}): GarExportInput {
  return {
    outDir,
    entId: ENT,
    at: AT,
    structures: from(schools()),
    groups: from(groups()),
    pupils: from(pupils(10)),
    staff: from(staff(3)),
    assigners: from(assigners()),
    ...over,
  };
}

/** xmllint's verdict on a file, and its message when it refuses it. */
async function xmllint(file: string): Promise<{ valid: boolean; output: string }> {
  try {
    const { stderr } = await run('xmllint', ['--noout', '--schema', GAR_XSD, file]);
    return { valid: true, output: stderr };
  } catch (err) {
    const failed = err as { code?: unknown; stderr?: string };
    if (failed.code === 'ENOENT') throw new Error('xmllint is missing: install Debian libxml2-utils (apt-get install libxml2-utils)');
    return { valid: false, output: failed.stderr ?? '' };
  }
}

/** The top-level nodes of a file, counted by xmllint (not by our own parser). */
async function nodeCount(file: string): Promise<number> {
  const { stdout } = await run('xmllint', ['--xpath', 'count(/*/*)', file]);
  return Number(stdout.trim());
}

function problems(result: GarFileValidation) {
  if (result.ok) throw new Error('expected the file to be refused');
  return result.problems;
}

describe('GAR files: writer and validator', function () {
  let dir: string;
  let outDir: string;
  let n = 0;
  before(loadLibxml);
  beforeEach(() => {
    dir ??= mkdtempSync(join(tmpdir(), 'gar-format-'));
    n += 1;
    outDir = join(dir, `out-${n}`);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a few thousand records as chunked files named like gar-connector, each valid for libxml2-wasm and xmllint', async function () {
    this.timeout(60_000);
    const pupilCount = 3_000;
    const staffCount = 300;
    const { files } = await writeGarFiles(input(outDir, { maxNodesPerFile: 1_000, pupils: from(pupils(pupilCount)), staff: from(staff(staffCount)) }));

    const groupNodes = SCHOOLS.length * (CLASSES_PER_SCHOOL + GROUPS_PER_SCHOOL) + pupilCount * 2 + staffCount * 2;
    const expected = { Etab: 3, Eleve: pupilCount, Enseignant: staffCount, Groupe: groupNodes, RespAff: 3 };
    for (const [kind, nodes] of Object.entries(expected)) {
      const ofKind = files.filter((f) => f.kind === kind);
      expect(ofKind.map((f) => f.name), kind).to.deep.equal(
        Array.from({ length: Math.ceil(nodes / 1_000) }, (_, i) => `${ENT}_GAR-ENT_Complet_${STAMP}_2D_${kind}_${String(i).padStart(4, '0')}.xml`),
      );
      expect(ofKind.map((f) => f.nodes), kind).to.deep.equal(ofKind.map((_, i) => Math.min(1_000, nodes - i * 1_000)));
    }
    expect(readdirSync(outDir).sort()).to.deep.equal(files.map((f) => f.name).sort());

    for (const file of files) {
      const path = join(outDir, file.name);
      expect(readFileSync(path).length, file.name).to.equal(file.bytes);
      expect(await validateGarFile(path), file.name).to.deep.equal({ ok: true });
      const lint = await xmllint(path);
      expect(lint.valid, `${file.name}: ${lint.output}`).to.equal(true);
      expect(await nodeCount(path), file.name).to.equal(file.nodes);
    }
  });

  it('writes values back as they were: escaped markup, accents, tabs, characters outside the BMP', async () => {
    const { files } = await writeGarFiles(input(outDir, { pupils: from([pupil(500), pupil(501)]) }));
    const eleve = join(outDir, files.find((f) => f.kind === 'Eleve')!.name);
    const doc = libxml().XmlDocument.fromBuffer(readFileSync(eleve));
    try {
      const read = (name: string) => doc.find(`//*[local-name()='${name}']`).map((n) => n.content);
      expect(read('GARPersonNom')).to.deep.equal([pupil(500).lastName, pupil(501).lastName]);
      expect(read('GARPersonPrenom')).to.deep.equal(['Élève\t500', 'Élève\t501']);
      expect(read('GARPersonDateNaissance')).to.deep.equal([pupil(500).birthDate, pupil(501).birthDate]);
    } finally {
      doc.dispose();
    }
    const etab = readFileSync(join(outDir, files.find((f) => f.kind === 'Etab')!.name), 'utf8');
    expect(etab).to.contain('« Jean &amp; Jeanne &lt;Moulin&gt; »');
  });

  it('writes one file with an empty root for a kind without records, and a GROUPE its classes but a DIVISION none', async () => {
    const { files } = await writeGarFiles(input(outDir, { assigners: from([]), groups: from([...groups()].slice(CLASSES_PER_SCHOOL - 1, CLASSES_PER_SCHOOL + 1)) }));
    const respAff = files.filter((f) => f.kind === 'RespAff');
    expect(respAff.map((f) => f.nodes)).to.deep.equal([0]);
    const path = join(outDir, respAff[0]!.name);
    expect(readFileSync(path, 'utf8')).to.match(/<men:GAR-ENT-RespAff xmlns:men="http:\/\/data\.education\.fr\/ns\/gar" Version="1\.0">\n<\/men:GAR-ENT-RespAff>\n$/);
    expect((await xmllint(path)).valid).to.equal(true);
    const groupe = readFileSync(join(outDir, files.find((f) => f.kind === 'Groupe')!.name), 'utf8');
    expect(groupe.match(/GARGroupeDivAppartenance>/g)).to.have.length(4);
    expect(groupe).to.contain('<men:GARGroupeStatut>DIVISION</men:GARGroupeStatut></men:GARGroupe>');
  });

  it('cuts a file at exactly maxNodesPerFile nodes without leaving an empty last file', async () => {
    const { files } = await writeGarFiles(input(outDir, { maxNodesPerFile: 5, pupils: from(pupils(10)) }));
    expect(files.filter((f) => f.kind === 'Eleve').map((f) => [f.name.replace(/^.*_2D_/, ''), f.nodes])).to.deep.equal([
      ['Eleve_0000.xml', 5],
      ['Eleve_0001.xml', 5],
    ]);
  });

  it('names the person and the element of each value the XSD refuses, as xmllint refuses them too', async () => {
    const longId = 'x'.repeat(65);
    const bad = [
      { ...pupil(1), id: longId },
      { ...pupil(2), lastName: '' },
      { ...pupil(3), uais: ['0593ABC'] },
    ];
    const { files } = await writeGarFiles(input(outDir, { pupils: from([pupil(0), ...bad]) }));
    const eleve = join(outDir, files.find((f) => f.kind === 'Eleve')!.name);
    const found = problems(await validateGarFile(eleve));
    const pupilNode = (id: string) => ({ element: 'GAREleve', ids: { GARPersonIdentifiant: id } });
    expect(found.map((p) => [p.line, p.element, p.node])).to.deep.equal([
      [4, 'GARPersonIdentifiant', pupilNode(longId)],
      // Its consequences: libxml2 has no value for the pupils' key (GARPersonIdentifiant unique in the file), then the key no field.
      [4, 'GARPersonIdentifiant', pupilNode(longId)],
      [4, 'GAREleve', pupilNode(longId)],
      // GARPersonNomPatro carries the same last name.
      [5, 'GARPersonNomPatro', pupilNode('pupil-2')],
      [5, 'GARPersonNom', pupilNode('pupil-2')],
      [6, 'GARPersonEtab', pupilNode('pupil-3')],
    ]);
    expect(describeGarProblem(found[4]!)).to.match(/^line 5: GARPersonNom of GAREleve GARPersonIdentifiant=pupil-2 \(.*\[facet minLength\]/);
    // The message keeps the element and the facet, not the value (a pupil's data).
    expect(found[5]!.message).to.contain('[facet pattern]').and.not.contain('0593ABC');

    const lint = await xmllint(eleve);
    expect(lint.valid).to.equal(false);
    expect(lint.output.match(/:\d+: element [\w-]+:/g)).to.deep.equal(found.map((p) => `:${p.line}: element ${p.element}:`));
  });

  it('names a school by its UAI and a duplicated membership by its person', async () => {
    const { files } = await writeGarFiles(
      input(outDir, {
        structures: from([{ uai: '0590001', name: 'Sans lettre' }]),
        pupils: from([{ ...pupil(7), groups: [pupil(7).groups[0]!, pupil(7).groups[0]!] }]),
      }),
    );
    const path = (kind: string) => join(outDir, files.find((f) => f.kind === kind)!.name);
    const school = { element: 'GAREtab', ids: { GARStructureUAI: '0590001' } };
    expect(problems(await validateGarFile(path('Etab'))).map((p) => [p.element, p.node])).to.deep.equal([
      ['GARStructureUAI', school],
      ['GARStructureUAI', school],
      ['GAREtab', school],
    ]);
    const membership = problems(await validateGarFile(path('Groupe')));
    expect(membership[0]!.node).to.deep.equal({ element: 'GARPersonGroupe', ids: { GARPersonIdentifiant: 'pupil-7', GARGroupeCode: pupil(7).groups[0]!.code, GARStructureUAI: SCHOOLS[1] } });
    expect((await xmllint(path('Groupe'))).valid).to.equal(false);
  });

  it('validates against another XSD given by path, and says when that path holds no XSD', async () => {
    const strict = join(dir, 'strict.xsd');
    writeFileSync(strict, readFileSync(GAR_XSD, 'utf8').replace('<xs:maxLength value="64"/>', '<xs:maxLength value="6"/>'));
    const { files } = await writeGarFiles(input(outDir, { pupils: from([pupil(1)]) }));
    const eleve = join(outDir, files.find((f) => f.kind === 'Eleve')!.name);
    expect(await validateGarFile(eleve)).to.deep.equal({ ok: true });
    expect(problems(await validateGarFile(eleve, strict)).map((p) => [p.element, p.node?.ids])).to.deep.include(['GARPersonIdentifiant', { GARPersonIdentifiant: 'pupil-1' }]);
    for (const wrong of [join(dir, 'missing.xsd'), eleve]) {
      const err = await validateGarFile(eleve, wrong).catch((e: unknown) => e);
      expect(err, wrong).to.be.instanceOf(ConfigError).and.have.property('message').that.contains(`the GAR XSD ${wrong}`);
    }
  });

  it('refuses a character XML cannot carry, naming the person and the field, and leaves no file behind', async () => {
    const refused = async (person: GarPerson) => {
      const err = await writeGarFiles(input(outDir, { maxNodesPerFile: 2, pupils: from([...pupils(5), person]) })).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(GarValueRefused);
      expect(readdirSync(outDir)).to.deep.equal([]);
      return err as GarValueRefused;
    };
    const control = await refused({ ...pupil(9), firstName: 'Jean\u0007' });
    expect([control.node, control.subject, control.field]).to.deep.equal(['GAREleve', { element: 'GARPersonIdentifiant', value: 'pupil-9' }, 'GARPersonPrenom']);
    expect(control.message).to.equal('GAREleve GARPersonIdentifiant=pupil-9: GARPersonPrenom holds U+0007 at position 4, which XML cannot carry');
    const surrogate = await refused({ ...pupil(8), groups: [{ uai: SCHOOLS[2]!, code: 'G\uD800' }] });
    expect([surrogate.node, surrogate.subject.value, surrogate.field]).to.deep.equal(['GARPersonGroupe', 'pupil-8', 'GARGroupeCode']);
  });

  it('writes 200,000 pupils with bounded memory', async function () {
    this.timeout(180_000);
    const count = 200_000;
    const before = process.memoryUsage().rss;
    let peak = before;
    async function* sampled(): AsyncIterable<GarPerson> {
      for (let i = 0; i < count; i += 1) {
        if (i % 5_000 === 0) peak = Math.max(peak, process.memoryUsage().rss);
        yield { ...pupil(i), groups: pupil(i).groups.slice(0, 1) };
      }
    }
    const { files } = await writeGarFiles(input(outDir, { pupils: sampled() }));
    peak = Math.max(peak, process.memoryUsage().rss);
    const eleve = files.filter((f) => f.kind === 'Eleve');
    const megabytes = (bytes: number) => Math.round(bytes / 1024 / 1024);
    console.log(`      200,000 pupils: ${eleve.length} Eleve files, ${megabytes(eleve.reduce((s, f) => s + f.bytes, 0))} MB; RSS growth at peak ${megabytes(peak - before)} MB`);
    expect(eleve.reduce((s, f) => s + f.nodes, 0)).to.equal(count);
    expect(peak - before).to.be.below(150 * 1024 * 1024);
  });
});
