/**
 * A GAR file checked against the GAR-ENT XSD before it is packed: ours (../xsd/gar-ent.xsd) by
 * default, or the official one a configuration names. Each XSD is compiled once per process.
 * The whole file is parsed (a 10,000-node file is a few MB), and each problem says its line,
 * the element, and the node it belongs to by its identifying children (`GARPersonIdentifiant`
 * of a person or membership, `GARStructureUAI` of a school, `GARGroupeCode` and
 * `GARStructureUAI` of a group), so the run can say whose value failed. libxml2's messages
 * quote values (a pupil's name): they are redacted, as the SAML kit does.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ErrorDetail, XmlDocument, XmlElement, XsdValidator } from 'libxml2-wasm';
import { libxml, loadLibxml } from '../../saml/core/libxml.js';
import { redactSchemaMessage } from '../../saml/core/schema-validator.js';
import { ConfigError } from '../../shared/errors.js';

export const GAR_XSD = join(dirname(fileURLToPath(import.meta.url)), '..', 'xsd', 'gar-ent.xsd');

/** Problems reported per file: the first ones say what to fix; a thousand say nothing more. */
const MAX_PROBLEMS = 10;
/** The children that tell a top-level node apart, in the order they are shown. */
const IDENTIFYING = ['GARPersonIdentifiant', 'GARGroupeCode', 'GARStructureUAI'];

export interface GarFileProblem {
  line: number;
  /** The element the problem is about (local name), when libxml2 names one. */
  element?: string;
  /** The top-level node holding it: its element and identifying children. */
  node?: { element: string; ids: Record<string, string> };
  /** libxml2's message, values redacted. */
  message: string;
}

export type GarFileValidation = { ok: true } | { ok: false; problems: GarFileProblem[] };

const validators = new Map<string, XsdValidator>();

async function validatorOf(xsdPath: string): Promise<XsdValidator> {
  const known = validators.get(xsdPath);
  if (known) return known;
  await loadLibxml();
  const { XmlDocument, XsdValidator, XmlError } = libxml();
  let schemaDoc: XmlDocument | undefined;
  try {
    schemaDoc = XmlDocument.fromBuffer(await readFile(xsdPath));
    const made = XsdValidator.fromDoc(schemaDoc);
    validators.set(xsdPath, made);
    return made;
  } catch (err) {
    // A configured path to the official XSD may be wrong: a configuration problem, said as one.
    if (err instanceof XmlError || (err as NodeJS.ErrnoException).code === 'ENOENT') throw new ConfigError(`the GAR XSD ${xsdPath}`, [(err as Error).message.split('\n')[0]!]);
    throw err;
  } finally {
    schemaDoc?.dispose();
  }
}

export async function validateGarFile(file: string, xsdPath: string = GAR_XSD): Promise<GarFileValidation> {
  const validator = await validatorOf(resolve(xsdPath));
  const { XmlDocument, XmlLibError, ParseOption } = libxml();
  let doc: XmlDocument;
  try {
    doc = XmlDocument.fromBuffer(await readFile(file), { option: ParseOption.XML_PARSE_BIG_LINES | ParseOption.XML_PARSE_NONET });
  } catch (err) {
    if (err instanceof XmlLibError) return { ok: false, problems: firstErrors(err.details).map((d) => problemOf(d)) };
    throw err;
  }
  try {
    validator.validate(doc);
    return { ok: true };
  } catch (err) {
    if (!(err instanceof XmlLibError)) throw err;
    return { ok: false, problems: firstErrors(err.details).map((d) => problemOf(d, doc)) };
  } finally {
    doc.dispose();
  }
}

/** One line per problem, for logs and the run's record: `line 4: GARPersonNom of GAREleve GARPersonIdentifiant=… (message)`. */
export function describeGarProblem(problem: GarFileProblem): string {
  const node = problem.node ? ` of ${problem.node.element} ${Object.entries(problem.node.ids).map(([k, v]) => `${k}=${v}`).join(' ')}` : '';
  return `line ${problem.line}: ${problem.element ?? 'document'}${node} (${problem.message})`;
}

/**
 * libxml2 reports every error of the file; a bad value is often followed by its consequences (a
 * key whose field is invalid), about the same node.
 */
function firstErrors(details: ErrorDetail[]): ErrorDetail[] {
  return details.slice(0, MAX_PROBLEMS);
}

function problemOf(detail: ErrorDetail, doc?: XmlDocument): GarFileProblem {
  // The facet's name is the schema's, not a value: unquoted, it survives the redaction.
  const message = redactSchemaMessage(detail.message.trim().replace(/\[facet '(\w+)'\]/, '[facet $1]'));
  const element = /^Element '(?:\{[^}]*\})?([\w.-]+)'/.exec(detail.message)?.[1];
  const node = doc && detail.xpath ? topLevelNode(doc, detail.xpath) : undefined;
  return { line: detail.line, message, ...(element ? { element } : {}), ...(node ? { node: describeNode(node) } : {}) };
}

/**
 * The top-level node an error's path goes through: `/men:GAR-ENT-Eleve/men:GAREleve[2]/…` names
 * the second GAREleve, found by local name so that the file's prefix does not matter.
 */
function topLevelNode(doc: XmlDocument, xpath: string): XmlElement | undefined {
  const step = /^\/[^/]+\/(?:[\w.-]+:)?([\w.-]+)(?:\[(\d+)\])?/.exec(xpath);
  if (!step) return undefined;
  const found = doc.root.get(`*[local-name()='${step[1]}'][${step[2] ?? 1}]`);
  return found instanceof libxml().XmlElement ? found : undefined;
}

function describeNode(node: XmlElement): { element: string; ids: Record<string, string> } {
  const ids: Record<string, string> = {};
  for (const name of IDENTIFYING) {
    const child = node.get(`*[local-name()='${name}']`);
    if (child) ids[name] = child.content;
  }
  return { element: node.name, ids };
}
