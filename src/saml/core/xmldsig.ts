/**
 * Enveloped XML-DSig verification on the libxml2 DOM (read through its plain copy, xml-tree.ts;
 * canonicalised by libxml2), with the rules that defeat signature wrapping built in rather than
 * checked afterwards:
 * - a Signature is looked for only as a direct child of the element it must protect;
 * - it must have exactly one Reference, whose URI is `#` + that element's own ID, and that ID
 *   must be unique in the document;
 * - the digest is computed over that very DOM node (the enveloped signature left out), so the
 *   caller goes on reading the node that was verified, never a look-alike elsewhere;
 * - only SHA-256/512 RSA signatures and exclusive canonicalisation are accepted;
 * - the key is the IdP's certificate from its metadata; a certificate in the message is ignored.
 */
import { createHash, verify as verifySignature, type KeyObject } from 'node:crypto';
import type { XmlDocument, XmlElement, XmlNode } from 'libxml2-wasm';
import { SignatureInvalid } from './errors.js';
import { compiledXPath, libxml, libxmlInternals } from './libxml.js';
import { attribute, childrenNamed, pointerOf, readDocument, type TreeElement, type XmlTree } from './xml-tree.js';

export const NS = {
  samlp: 'urn:oasis:names:tc:SAML:2.0:protocol',
  saml: 'urn:oasis:names:tc:SAML:2.0:assertion',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  xenc: 'http://www.w3.org/2001/04/xmlenc#',
  ec: 'http://www.w3.org/2001/10/xml-exc-c14n#',
} as const;

const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const EXC_C14N_COMMENTS = 'http://www.w3.org/2001/10/xml-exc-c14n#WithComments';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const SIGNATURE_ALGS: Record<string, string> = {
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256': 'sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512': 'sha512',
};
const DIGEST_ALGS: Record<string, string> = {
  'http://www.w3.org/2001/04/xmlenc#sha256': 'sha256',
  'http://www.w3.org/2001/04/xmlenc#sha512': 'sha512',
};

function onlyChild(el: TreeElement, ns: string, local: string): TreeElement {
  const found = childrenNamed(el, ns, local);
  if (found.length !== 1) throw new SignatureInvalid(`expected one ${local}, found ${found.length}`);
  return found[0]!;
}

/** The PrefixList of an exc-c14n InclusiveNamespaces child, if any. */
function inclusivePrefixes(method: TreeElement): string[] | undefined {
  const inc = childrenNamed(method, NS.ec, 'InclusiveNamespaces')[0];
  const list = inc && attribute(inc, 'PrefixList');
  return list ? list.split(/\s+/).filter(Boolean).map((p) => (p === '#default' ? '' : p)) : undefined;
}

interface C14nMethod {
  algorithm: string;
  prefixes: string[] | undefined;
}

function c14nMethodOf(method: TreeElement): C14nMethod {
  const algorithm = attribute(method, 'Algorithm');
  if (algorithm !== EXC_C14N && algorithm !== EXC_C14N_COMMENTS) throw new SignatureInvalid(`canonicalisation ${algorithm ?? 'none'} not accepted`);
  return { algorithm, prefixes: inclusivePrefixes(method) };
}

/**
 * Writes the exclusive canonical form of `element`'s subtree to `write`, as octets (chunks of
 * libxml2's output buffer, valid only during the call). libxml2-wasm's subtree canonicalisation
 * asks a JavaScript callback about every node of the whole document, building a wrapper object
 * for each; the document's own canonicalisation (for its root) and a node set (for anything
 * deeper) give the same octets without those wrappers. The root goes the node-set way too when
 * comments are kept and the document has nodes beside its root (the document form would print
 * them). Octets, as the hash and the signature check want them: no decoding to text and back.
 */
function excC14n(doc: XmlDocument, element: TreeElement, { algorithm, prefixes }: C14nMethod, write: (chunk: Uint8Array) => void): void {
  const withComments = algorithm === EXC_C14N_COMMENTS;
  const options = { mode: libxml().XmlC14NMode.XML_C14N_EXCLUSIVE_1_0, withComments, ...(prefixes ? { inclusiveNamespacePrefixes: prefixes } : {}) };
  const wholeDocument = element.ptr === pointerOf(doc.root) && (!withComments || doc.find(compiledXPath('/node()')).length === 1);
  // The node set holds what libxml2-wasm's c14n reads of a node: its pointer.
  const node = { _nodePtr: element.ptr } as unknown as XmlNode;
  const handler = {
    write: (chunk: Uint8Array) => {
      write(chunk);
      return chunk.byteLength;
    },
    close: () => true,
  };
  doc.canonicalize(handler, wholeDocument ? options : { ...options, nodeSet: new Set<XmlNode>([node]) });
}

/** How many elements of the tree carry ID="value" (SAML's ID attribute): it must be one. */
function elementsWithId(tree: XmlTree, id: string): number {
  return tree.elements.filter((el) => attribute(el, 'ID') === id).length;
}

/**
 * True when `element` (an element of `tree`, read from `doc`) carries a Signature (as a direct
 * child) that verifies with one of `keys`; false when it carries none; throws SignatureInvalid
 * when a signature is present but wrong. The Signature node is removed from the DOM (and from
 * the tree) once verified (the enveloped transform), so callers must verify outer elements
 * before inner ones.
 */
export function verifyEnvelopedElement(doc: XmlDocument, tree: XmlTree, element: TreeElement, keys: KeyObject[]): boolean {
  const signatures = childrenNamed(element, NS.ds, 'Signature');
  if (signatures.length === 0) return false;
  if (signatures.length > 1) throw new SignatureInvalid('several signatures on one element');
  const signature = signatures[0]!;
  const signedInfo = onlyChild(signature, NS.ds, 'SignedInfo');
  const c14nMethod = c14nMethodOf(onlyChild(signedInfo, NS.ds, 'CanonicalizationMethod'));
  const sigAlg = SIGNATURE_ALGS[attribute(onlyChild(signedInfo, NS.ds, 'SignatureMethod'), 'Algorithm') ?? ''];
  if (!sigAlg) throw new SignatureInvalid('signature algorithm not accepted (RSA-SHA256 or RSA-SHA512 only)');
  const reference = onlyChild(signedInfo, NS.ds, 'Reference');
  const id = attribute(element, 'ID');
  if (!id || attribute(reference, 'URI') !== `#${id}`) throw new SignatureInvalid('the signature does not reference the element that carries it');
  if (elementsWithId(tree, id) !== 1) throw new SignatureInvalid('duplicate ID in the message');
  const transforms = childrenNamed(onlyChild(reference, NS.ds, 'Transforms'), NS.ds, 'Transform');
  const algorithms = transforms.map((t) => attribute(t, 'Algorithm'));
  if (algorithms[0] !== ENVELOPED || transforms.length > 2) throw new SignatureInvalid('unexpected transforms');
  const digestAlg = DIGEST_ALGS[attribute(onlyChild(reference, NS.ds, 'DigestMethod'), 'Algorithm') ?? ''];
  if (!digestAlg) throw new SignatureInvalid('digest algorithm not accepted (SHA-256 or SHA-512 only)');
  const expectedDigest = onlyChild(reference, NS.ds, 'DigestValue').text.replace(/\s+/g, '');
  const signatureValue = Buffer.from(onlyChild(signature, NS.ds, 'SignatureValue').text.replace(/\s+/g, ''), 'base64');

  const contentC14nMethod = transforms[1] ? c14nMethodOf(transforms[1]) : c14nMethod;
  const chunks: Buffer[] = [];
  excC14n(doc, signedInfo, c14nMethod, (chunk) => chunks.push(Buffer.from(chunk)));
  const signedInfoC14n = Buffer.concat(chunks);
  if (!keys.some((key) => verifySignature(sigAlg, signedInfoC14n, key, signatureValue))) throw new SignatureInvalid('signature value does not verify with the signer’s metadata keys');

  // Enveloped transform: the digest covers the element without its Signature.
  removeElement(element, signature);
  const hash = createHash(digestAlg);
  excC14n(doc, element, contentC14nMethod, (chunk) => hash.update(chunk));
  const digest = hash.digest('base64');
  if (digest !== expectedDigest) throw new SignatureInvalid('digest mismatch: the signed content was altered');
  return true;
}

/** Unlinks and frees `child` in libxml2, and drops it from the tree. */
function removeElement(parent: TreeElement, child: TreeElement): void {
  const { xmlUnlinkNode, xmlFreeNode } = libxmlInternals();
  xmlUnlinkNode(child.ptr);
  xmlFreeNode(child.ptr);
  parent.children.splice(parent.children.indexOf(child), 1);
}

/** verifyEnvelopedElement for a caller holding libxml2-wasm nodes: the document is read here. */
export function verifyEnveloped(doc: XmlDocument, element: XmlElement, keys: KeyObject[]): boolean {
  const tree = readDocument(doc);
  const ptr = pointerOf(element);
  const node = tree.elements.find((el) => el.ptr === ptr);
  if (!node) throw new SignatureInvalid('the element is not in the document');
  return verifyEnvelopedElement(doc, tree, node, keys);
}
