/**
 * The SAML schema validator samlify requires, built on libxml2-wasm with the XSDs compiled ONCE
 * (ARCHITECTURE.md: recompiling them per call, as samlify-xmllint-wasm does, caps logins at
 * ~5/s per process). The schemas are read from the files shipped beside this module through an
 * in-memory input provider that knows only those files: nothing is fetched from the network,
 * and a hostile document cannot make libxml2 open anything else.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { XmlDocument, XsdValidator } from 'libxml2-wasm';
import { ForbiddenXml, SchemaInvalid } from './errors.js';
import { libxml, loadLibxml } from './libxml.js';

const XSD_DIR = join(dirname(fileURLToPath(import.meta.url)), 'xsd');
/** A virtual location: relative schemaLocations resolve against it and match our provider only. */
const VIRTUAL_ROOT = 'saml-xsd:///';
const ROOT_SCHEMA = 'saml-schema-protocol-2.0.xsd';

/** Messages larger than this are refused before parsing (a SAML response is a few KiB). */
export const MAX_SAML_XML_BYTES = 256 * 1024;
/**
 * Elements nested deeper than this are refused: the deepest legitimate path (an encrypted
 * assertion's key, or a signature's InclusiveNamespaces inside an assertion) is about 10.
 */
export const MAX_SAML_XML_DEPTH = 32;

/**
 * libxml2's schema messages quote the offending values ("'Jean' is not a valid value…"), and a
 * decrypted assertion holds pupils' data: only qualified element names, attribute names and
 * XSD type names stay readable, any other quoted text is replaced.
 */
export function redactSchemaMessage(message: string): string {
  return message.replace(/(attribute |type )?'([^']*)'/g, (quoted, before: string | undefined, inner: string) => {
    if (/^\{[^}]*\}[\w.-]+$/.test(inner) || /^xs:[\w.-]+$/.test(inner)) return quoted;
    if (before && /^[\w.:-]{1,64}$/.test(inner)) return quoted;
    return `${before ?? ''}'…'`;
  });
}

let compiled: XsdValidator | undefined;

function validator(): XsdValidator {
  if (compiled) return compiled;
  const { XmlBufferInputProvider, XmlDocument, XsdValidator, xmlRegisterInputProvider } = libxml();
  const buffers: Record<string, Uint8Array> = {};
  for (const name of readdirSync(XSD_DIR).filter((f) => f.endsWith('.xsd'))) buffers[VIRTUAL_ROOT + name] = readFileSync(join(XSD_DIR, name));
  xmlRegisterInputProvider(new XmlBufferInputProvider(buffers));
  const schemaDoc = XmlDocument.fromBuffer(buffers[VIRTUAL_ROOT + ROOT_SCHEMA]!, { url: VIRTUAL_ROOT + ROOT_SCHEMA });
  try {
    compiled = XsdValidator.fromDoc(schemaDoc);
  } finally {
    schemaDoc.dispose();
  }
  return compiled;
}

/**
 * Throws ForbiddenXml for a DTD or a processing instruction anywhere (the prolog included), and
 * SchemaInvalid unless `xml` is one well-formed SAML protocol message valid against the schema,
 * within the size and depth limits.
 * A DOCTYPE is refused before parsing: it is the door of entity attacks. A processing instruction
 * is invisible to the schema, yet libxml2-wasm's sibling walk stops at it (libxml.ts).
 */
export function validateSamlXml(xml: string): void {
  if (Buffer.byteLength(xml, 'utf8') > MAX_SAML_XML_BYTES) throw new SchemaInvalid('message too large');
  if (/<!DOCTYPE/i.test(xml)) throw new ForbiddenXml('a DOCTYPE is not allowed');
  const schema = validator();
  let doc: XmlDocument;
  try {
    doc = libxml().XmlDocument.fromString(xml);
  } catch {
    throw new SchemaInvalid('not well-formed XML');
  }
  try {
    if (doc.dtd) throw new ForbiddenXml('a DTD is not allowed');
    if (doc.find('//processing-instruction()').length > 0) throw new ForbiddenXml('processing instructions are not allowed');
    if (doc.find(`//*[count(ancestor::*) >= ${MAX_SAML_XML_DEPTH}]`).length > 0) throw new SchemaInvalid('elements nested too deeply');
    schema.validate(doc);
  } catch (err) {
    if (err instanceof ForbiddenXml || err instanceof SchemaInvalid) throw err;
    const detail = err instanceof Error ? redactSchemaMessage(err.message.split('\n')[0]!).slice(0, 200) : 'invalid';
    throw new SchemaInvalid(detail);
  } finally {
    doc.dispose();
  }
}

/** The object samlify's setSchemaValidator expects. */
export const samlSchemaValidator = {
  validate: async (xml: string): Promise<string> => {
    validateSamlXml(xml);
    return 'SUCCESS_VALIDATE_XML';
  },
};

/** Compiles the schemas now (at start) rather than on the first login. */
export async function warmUpSchemaValidator(): Promise<void> {
  await loadLibxml();
  validator();
}
