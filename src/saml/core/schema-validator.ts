/**
 * The SAML schema validators: the protocol's, which samlify requires, and the metadata's (SP
 * metadata and aggregates), built on libxml2-wasm with the XSDs compiled ONCE
 * (ARCHITECTURE.md: recompiling them per call, as samlify-xmllint-wasm does, caps logins at
 * ~5/s per process). The schemas are read from the files shipped beside this module through an
 * in-memory input provider that knows only those files: nothing is fetched from the network,
 * and a hostile document cannot make libxml2 open anything else.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { XmlDocument, XsdValidator } from 'libxml2-wasm';
import { ForbiddenXml, SamlError, SchemaInvalid } from './errors.js';
import { libxml, loadLibxml } from './libxml.js';
import { forbiddenNodes } from './xml-tree.js';

const XSD_DIR = join(dirname(fileURLToPath(import.meta.url)), 'xsd');
/** A virtual location: relative schemaLocations resolve against it and match our provider only. */
const VIRTUAL_ROOT = 'saml-xsd:///';
const PROTOCOL_SCHEMA = 'saml-schema-protocol-2.0.xsd';
const METADATA_SCHEMA = 'saml-schema-metadata-2.0.xsd';

/** Messages larger than this are refused before parsing (a SAML response is a few KiB). */
export const MAX_SAML_XML_BYTES = 256 * 1024;
/**
 * Elements nested deeper than this are refused: the deepest legitimate path (an encrypted
 * assertion's key, or a signature's InclusiveNamespaces inside an assertion) is about 10; in
 * metadata, an X509Certificate in a nested aggregate's SP is about as deep.
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

let registered: Record<string, Uint8Array> | undefined;

/** The shipped XSDs, offered to libxml2 once under the virtual root. */
function schemaBuffers(): Record<string, Uint8Array> {
  if (registered) return registered;
  const { XmlBufferInputProvider, xmlRegisterInputProvider } = libxml();
  const buffers: Record<string, Uint8Array> = {};
  for (const name of readdirSync(XSD_DIR).filter((f) => f.endsWith('.xsd'))) buffers[VIRTUAL_ROOT + name] = readFileSync(join(XSD_DIR, name));
  xmlRegisterInputProvider(new XmlBufferInputProvider(buffers));
  registered = buffers;
  return buffers;
}

const compiled = new Map<string, XsdValidator>();

/** The validator of the schema rooted at `root` (one of the shipped files), compiled on first use. */
function validator(root: string): XsdValidator {
  const known = compiled.get(root);
  if (known) return known;
  const { XmlDocument, XsdValidator } = libxml();
  const schemaDoc = XmlDocument.fromBuffer(schemaBuffers()[VIRTUAL_ROOT + root]!, { url: VIRTUAL_ROOT + root });
  try {
    const made = XsdValidator.fromDoc(schemaDoc);
    compiled.set(root, made);
    return made;
  } finally {
    schemaDoc.dispose();
  }
}

/**
 * Whether the UTF-8 octets hold '<!DOCTYPE', in any case. '<!DOCTYPE' is ASCII, so it is found in
 * the octets exactly where the text has it; each '<!' (comments and CDATA start so too) is found
 * natively and the seven letters after it compared.
 */
function hasDoctype(bytes: Buffer): boolean {
  for (let at = bytes.indexOf('<!'); at >= 0; at = bytes.indexOf('<!', at + 2)) {
    if (bytes.toString('latin1', at + 2, at + 9).toUpperCase() === 'DOCTYPE') return true;
  }
  return false;
}

type Refusal = (kind: 'forbidden' | 'malformed' | 'invalid', why: string) => Error;

/**
 * Parses `xml` and validates it against `schema`, and returns the document (the caller disposes
 * it): a DOCTYPE is refused before parsing (the door of entity attacks); a processing
 * instruction anywhere too, since it is invisible to the schema and libxml2-wasm's sibling walk
 * stops at it (libxml.ts). The text is handed to libxml2 as UTF-8 bytes: libxml2-wasm's own
 * string path encodes it in JavaScript, character by character, at three times the cost of the
 * parse itself; the bytes and the parse are the same.
 */
function parseValidDocument(xml: string | Buffer, schema: XsdValidator, refuse: Refusal): XmlDocument {
  const bytes = typeof xml === 'string' ? Buffer.from(xml, 'utf8') : xml;
  if (hasDoctype(bytes)) throw refuse('forbidden', 'a DOCTYPE is not allowed');
  let doc: XmlDocument;
  try {
    doc = libxml().XmlDocument.fromBuffer(bytes);
  } catch {
    throw refuse('malformed', 'not well-formed XML');
  }
  try {
    if (doc.dtd) throw refuse('forbidden', 'a DTD is not allowed');
    const forbidden = forbiddenNodes(doc, MAX_SAML_XML_DEPTH);
    if (forbidden.processingInstruction) throw refuse('forbidden', 'processing instructions are not allowed');
    if (forbidden.tooDeep) throw refuse('invalid', 'elements nested too deeply');
    schema.validate(doc);
    return doc;
  } catch (err) {
    doc.dispose();
    if (err instanceof SamlError) throw err;
    const detail = err instanceof Error ? redactSchemaMessage(err.message.split('\n')[0]!).slice(0, 200) : 'invalid';
    throw refuse('invalid', detail);
  }
}

const refuseMessage: Refusal = (kind, why) => (kind === 'forbidden' ? new ForbiddenXml(why) : new SchemaInvalid(why));

/**
 * The document of `xml`, for the caller to read and then dispose, once `xml` is one well-formed
 * SAML protocol message (text, or its UTF-8 octets) valid against the schema, within the size
 * and depth limits: throws ForbiddenXml for a DTD or a processing instruction anywhere (the
 * prolog included), and SchemaInvalid otherwise.
 */
export function parseSamlXml(xml: string | Buffer): XmlDocument {
  if ((typeof xml === 'string' ? Buffer.byteLength(xml, 'utf8') : xml.length) > MAX_SAML_XML_BYTES) throw new SchemaInvalid('message too large');
  return parseValidDocument(xml, validator(PROTOCOL_SCHEMA), refuseMessage);
}

/** parseSamlXml's checks, for a caller that reads the message elsewhere (samlify, the IdP's inbound checks). */
export function validateSamlXml(xml: string): void {
  parseSamlXml(xml).dispose();
}

/**
 * Throws SamlError (`forbidden_xml` or `schema`, the detail saying why, values redacted) unless
 * `xml` is well-formed SAML metadata valid against the SAML 2.0 metadata schema: an
 * EntityDescriptor or an aggregate (EntitiesDescriptor), same DTD and processing-instruction
 * rules as messages. The caller bounds the size (an aggregate is far larger than a message).
 */
export function validateMetadataXml(xml: string): void {
  parseValidDocument(xml, validator(METADATA_SCHEMA), (kind, why) => {
    if (kind === 'forbidden') return new SamlError('forbidden_xml', why);
    return kind === 'malformed' ? new SamlError('malformed', why) : new SamlError('schema', `not valid against the SAML metadata schema: ${why}`);
  }).dispose();
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
  validator(PROTOCOL_SCHEMA);
  validator(METADATA_SCHEMA);
}
