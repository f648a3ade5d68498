/**
 * XML the hub writes itself (the IdP's Response and Assertion), held as a small element tree and
 * written out in exclusive canonical form (Exclusive XML Canonicalization 1.0, without comments).
 * A signer then hashes exactly the octets every verifier computes, without parsing the document
 * back and canonicalising it (what xml-crypto does, at several times the cost of the RSA signature).
 *
 * The canonical rules applied, all of them since the tree holds nothing else (elements,
 * attributes, text; every element in a prefixed namespace, no default namespace):
 * - an element declares the namespaces it visibly uses (its own prefix, its attributes'
 *   prefixes) that no ancestor in the output declares with the same URI, sorted by prefix;
 * - attributes follow, sorted by namespace URI (none first), then local name;
 * - attribute values escape & < " and #x9 #xA #xD; text escapes & < > and #xD;
 * - an empty element is written as a start tag and an end tag; no XML declaration.
 * A namespace used only inside attribute values (the `xs` of xsi:type="xs:string") is not
 * visibly used: canonical forms leave it out, and `documentXml` declares it where the tree says
 * (`declares`) so that the document sent stays readable on its own.
 */

export interface XmlNamespace {
  prefix: string;
  uri: string;
}

export interface XmlAttributeNode {
  /** Local name. */
  name: string;
  value: string;
  /** Absent for an unqualified attribute. */
  ns?: XmlNamespace;
}

export interface XmlElementNode {
  /** Local name. */
  name: string;
  ns: XmlNamespace;
  attributes: XmlAttributeNode[];
  /** Elements and text, in order. */
  children: (XmlElementNode | string)[];
  /** Namespaces declared here though not visibly used (QNames inside values). */
  declares?: XmlNamespace[];
}

const ATTRIBUTE_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '"': '&quot;', '\t': '&#x9;', '\n': '&#xA;', '\r': '&#xD;' };
const TEXT_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#xD;' };

export function canonicalAttributeValue(value: string): string {
  return value.replace(/[&<"\t\n\r]/g, (c) => ATTRIBUTE_ESCAPES[c]!);
}

export function canonicalText(value: string): string {
  return value.replace(/[&<>\r]/g, (c) => TEXT_ESCAPES[c]!);
}

/** An element of namespace `ns` (its prefix is the one written). */
export function element(ns: XmlNamespace, name: string, attributes: Record<string, string | undefined> = {}, children: (XmlElementNode | string)[] = []): XmlElementNode {
  const list: XmlAttributeNode[] = [];
  for (const [attribute, value] of Object.entries(attributes)) if (value !== undefined) list.push({ name: attribute, value });
  return { name, ns, attributes: list, children };
}

const byPrefix = (a: [string, string], b: [string, string]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
const attributeOrder = (a: XmlAttributeNode, b: XmlAttributeNode) => {
  const ua = a.ns?.uri ?? '';
  const ub = b.ns?.uri ?? '';
  if (ua !== ub) return ua < ub ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
};

/** `rendered`: the namespaces the output's ancestors declare, prefix to URI. */
function write(el: XmlElementNode, rendered: ReadonlyMap<string, string>, withDeclared: boolean, out: string[]): void {
  const wanted = new Map<string, string>([[el.ns.prefix, el.ns.uri]]);
  for (const a of el.attributes) if (a.ns) wanted.set(a.ns.prefix, a.ns.uri);
  if (withDeclared) for (const ns of el.declares ?? []) wanted.set(ns.prefix, ns.uri);
  const declared = [...wanted].filter(([prefix, uri]) => rendered.get(prefix) !== uri).sort(byPrefix);
  const qname = `${el.ns.prefix}:${el.name}`;
  out.push(`<${qname}`);
  for (const [prefix, uri] of declared) out.push(` xmlns:${prefix}="${canonicalAttributeValue(uri)}"`);
  for (const a of [...el.attributes].sort(attributeOrder)) out.push(` ${a.ns ? `${a.ns.prefix}:` : ''}${a.name}="${canonicalAttributeValue(a.value)}"`);
  out.push('>');
  const inScope = declared.length === 0 ? rendered : new Map([...rendered, ...declared]);
  for (const child of el.children) {
    if (typeof child === 'string') out.push(canonicalText(child));
    else write(child, inScope, withDeclared, out);
  }
  out.push(`</${qname}>`);
}

/** The exclusive canonical form of `el` as the apex of what is signed (nothing rendered above it). */
export function canonicalXml(el: XmlElementNode): string {
  const out: string[] = [];
  write(el, new Map(), false, out);
  return out.join('');
}

/** `el` as a document of its own, to send: its canonical form plus the `declares` namespaces. */
export function documentXml(el: XmlElementNode): string {
  const out: string[] = [];
  write(el, new Map(), true, out);
  return out.join('');
}
