/**
 * A parsed (and validated) libxml2 document read ONCE into plain JavaScript objects, which the
 * checks then read as often as they like. Reading through libxml2-wasm's node wrappers costs a
 * call into wasm, a wrapper object and a string copy for every child lookup or attribute
 * (about 3 µs each); a SAML Response's checks made hundreds of them. Here the tree is read
 * straight from the wasm memory, in JavaScript, with no call into wasm at all.
 *
 * The layouts read are libxml2's own (include/libxml/tree.h) on wasm32, the offsets
 * libxml2-wasm's accessors use too: xmlNode { type @4, name @8, children @12, next @24, ns @36,
 * content @40, properties @44 }, xmlAttr { name @8, children @12, next @24, ns @36 },
 * xmlNs { href @8 }, xmlDoc { children @12 }. `checkLayout` reads a known document before the
 * first real one, so that a libxml2-wasm of another layout fails rather than misreads.
 *
 * Each element keeps its node pointer (`ptr`) for what only libxml2 does: canonicalisation
 * (xmldsig.ts) and the removal of an enveloped Signature.
 */
import type { XmlDocument, XmlElement } from 'libxml2-wasm';
import { InvariantBroken } from '../../shared/errors.js';
import { libxml, libxmlInternals } from './libxml.js';

export interface TreeAttribute {
  /** Namespace URI; null for an unqualified attribute. */
  ns: string | null;
  /** Local name. */
  name: string;
  value: string;
}

export interface TreeElement {
  /** The libxml2 node (xmlNodePtr) this was read from. */
  ptr: number;
  /** Namespace URI; null for no namespace. */
  ns: string | null;
  /** Local name. */
  name: string;
  attributes: TreeAttribute[];
  /** The child elements, in document order. */
  children: TreeElement[];
  /** All text and CDATA inside the element, in document order (libxml2's node content). */
  text: string;
}

export interface XmlTree {
  root: TreeElement;
  /** Every element, in document order (the root first). */
  elements: TreeElement[];
}

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const CDATA_NODE = 4;
const PI_NODE = 7;

/** NUL-terminated UTF-8 strings and pointers of the wasm memory, as it is now. */
class Heap {
  private readonly bytes: Buffer;
  private readonly words: Int32Array;
  /** Names and namespace URIs are interned by libxml2 (one pointer per distinct string). */
  private readonly interned = new Map<number, string>();

  constructor() {
    // libxml2-wasm exposes no view of its memory, but its node-set table is a view of HEAP32.
    // Taken anew for each read: memory growth (a parse) detaches the previous buffer.
    const { buffer } = libxmlInternals().XmlNodeSetStruct.nodeTable(0, 0);
    this.bytes = Buffer.from(buffer);
    this.words = new Int32Array(buffer);
  }

  pointer(address: number): number {
    return this.words[address >>> 2]!;
  }

  string(ptr: number): string {
    if (ptr === 0) return '';
    return this.bytes.toString('utf8', ptr, this.bytes.indexOf(0, ptr));
  }

  internedString(ptr: number): string {
    let known = this.interned.get(ptr);
    if (known === undefined) {
      known = this.string(ptr);
      this.interned.set(ptr, known);
    }
    return known;
  }

  /** The namespace URI of an xmlNode or xmlAttr. */
  namespaceOf(node: number): string | null {
    const ns = this.pointer(node + 36);
    return ns === 0 ? null : this.internedString(this.pointer(ns + 8));
  }

  /** The text of an xmlAttr: its text children (entities are not kept: DTDs are refused). */
  attributeValue(attr: number): string {
    let value = '';
    for (let child = this.pointer(attr + 12); child !== 0; child = this.pointer(child + 24)) value += this.string(this.pointer(child + 40));
    return value;
  }
}

function readElement(heap: Heap, ptr: number, elements: TreeElement[]): TreeElement {
  const attributes: TreeAttribute[] = [];
  for (let attr = heap.pointer(ptr + 44); attr !== 0; attr = heap.pointer(attr + 24)) {
    attributes.push({ ns: heap.namespaceOf(attr), name: heap.internedString(heap.pointer(attr + 8)), value: heap.attributeValue(attr) });
  }
  const element: TreeElement = { ptr, ns: heap.namespaceOf(ptr), name: heap.internedString(heap.pointer(ptr + 8)), attributes, children: [], text: '' };
  elements.push(element);
  let text = '';
  for (let child = heap.pointer(ptr + 12); child !== 0; child = heap.pointer(child + 24)) {
    const type = heap.pointer(child + 4);
    if (type === ELEMENT_NODE) {
      const inner = readElement(heap, child, elements);
      element.children.push(inner);
      text += inner.text;
    } else if (type === TEXT_NODE || type === CDATA_NODE) {
      text += heap.string(heap.pointer(child + 40));
    }
  }
  element.text = text;
  return element;
}

/**
 * What `doc` holds that a SAML message must not: a processing instruction anywhere (the prolog
 * and after the root included), an element with `maxDepth` ancestors or more. One walk of the
 * node pointers (xmlDoc's children @12, as xmlNode's), no string read: an XPath for each costs
 * more than this whole walk.
 */
export function forbiddenNodes(doc: XmlDocument, maxDepth: number): { processingInstruction: boolean; tooDeep: boolean } {
  const heap = checkedHeap();
  const found = { processingInstruction: false, tooDeep: false };
  // `depth`: the ancestors of the nodes of the list that starts at `first`.
  const walk = (first: number, depth: number): void => {
    for (let node = first; node !== 0; node = heap.pointer(node + 24)) {
      const type = heap.pointer(node + 4);
      if (type === PI_NODE) found.processingInstruction = true;
      if (type !== ELEMENT_NODE) continue;
      if (depth >= maxDepth) found.tooDeep = true;
      walk(heap.pointer(node + 12), depth + 1);
    }
  };
  walk(heap.pointer(documentPointer(doc) + 12), 0);
  return found;
}

/** libxml2-wasm's xmlDocPtr of a document. */
function documentPointer(doc: XmlDocument): number {
  return (doc as unknown as { _ptr: number })._ptr;
}

/** libxml2-wasm's node pointer of a wrapper (the field its own c14n reads). */
export function pointerOf(node: XmlElement): number {
  return (node as unknown as { _nodePtr: number })._nodePtr;
}

let layoutChecked = false;

/** The wasm memory, once the layout is known to be the one read here. */
function checkedHeap(): Heap {
  if (!layoutChecked) checkLayout();
  return new Heap();
}

/** The tree under `element` (itself included), read in one pass. */
export function readTree(element: XmlElement): XmlTree {
  const elements: TreeElement[] = [];
  const root = readElement(checkedHeap(), pointerOf(element), elements);
  return { root, elements };
}

/** The whole document's tree. */
export function readDocument(doc: XmlDocument): XmlTree {
  return readTree(doc.root);
}

/** The child elements of `el` with this namespace and local name (the prefix does not matter). */
export function childrenNamed(el: TreeElement, ns: string, local: string): TreeElement[] {
  return el.children.filter((c) => c.ns === ns && c.name === local);
}

/** The value of the unqualified attribute `name`, or null. */
export function attribute(el: TreeElement, name: string): string | null {
  for (const a of el.attributes) if (a.ns === null && a.name === name) return a.value;
  return null;
}

/** Reads a document whose tree is known, once: a libxml2-wasm of another layout fails here. */
function checkLayout(): void {
  const doc = libxml().XmlDocument.fromString('<a:r xmlns:a="urn:a" b="v&amp;1">t<c/><![CDATA[d]]><?p?><!--x--><e a:f="é">g</e></a:r>');
  try {
    const heap = new Heap();
    const elements: TreeElement[] = [];
    const root = readElement(heap, pointerOf(doc.root), elements);
    const firstChild = heap.pointer(documentPointer(doc) + 12) === root.ptr;
    const seen = JSON.stringify([firstChild, root.ns, root.name, root.attributes, root.text, elements.map((e) => e.name), elements[2]?.attributes]);
    const expected = JSON.stringify([true, 'urn:a', 'r', [{ ns: null, name: 'b', value: 'v&1' }], 'tdg', ['r', 'c', 'e'], [{ ns: 'urn:a', name: 'f', value: 'é' }]]);
    if (seen !== expected) throw new InvariantBroken(`libxml2-wasm's tree layout is not the one xml-tree.ts reads: ${seen}`);
    layoutChecked = true;
  } finally {
    doc.dispose();
  }
}
