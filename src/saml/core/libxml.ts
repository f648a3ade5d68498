/**
 * libxml2-wasm is loaded with a dynamic import, once, at connector start. It is an ES module
 * with a top-level await, which cannot be `require`d: mocha loads TypeScript test files through
 * require(esm) (tsx's CJS hook), and a static import anywhere in their graph would fail there.
 */
import type * as Libxml from 'libxml2-wasm';
import type { XmlDocument, XmlElement, XmlXPath } from 'libxml2-wasm';
import type * as LibxmlInternals from 'libxml2-wasm/lib/libxml2.mjs';
import { HubError } from '../../shared/errors.js';

export type LibxmlModule = typeof Libxml;
let loaded: LibxmlModule | undefined;
let internals: typeof LibxmlInternals | undefined;

export async function loadLibxml(): Promise<LibxmlModule> {
  loaded ??= await import('libxml2-wasm');
  // The same module instance the package uses (one wasm memory): xml-tree.ts reads its heap.
  internals ??= await import('libxml2-wasm/lib/libxml2.mjs');
  return loaded;
}

/** libxml2-wasm's internal module (the wasm memory and raw tree functions), once loaded. */
export function libxmlInternals(): typeof LibxmlInternals {
  if (!internals) throw new HubError('saml_kit_not_loaded', 'libxml2-wasm is not loaded yet');
  return internals;
}

/** The module, once loadLibxml() has resolved (every SAML connector awaits it in open()). */
export function libxml(): LibxmlModule {
  if (!loaded) throw new HubError('saml_kit_not_loaded', 'libxml2-wasm is not loaded yet');
  return loaded;
}

const compiledXPaths = new Map<string, XmlXPath>();

/**
 * `expression` compiled once and kept for the life of the process: libxml2-wasm compiles a
 * string XPath again at every call, which costs more than evaluating these small ones.
 */
export function compiledXPath(expression: string): XmlXPath {
  let compiled = compiledXPaths.get(expression);
  if (!compiled) {
    compiled = libxml().XmlXPath.compile(expression);
    compiledXPaths.set(expression, compiled);
  }
  return compiled;
}

/**
 * Every child element of `el`, in document order. Never walk `firstChild` / `next` instead: in
 * libxml2-wasm 0.7.2 a processing instruction's node class has no `next`, so that walk stops
 * there and the elements after it are not seen. XPath's child axis sees them all, whatever
 * comments, processing instructions, CDATA or text sit between them.
 */
export function childElements(el: XmlElement): XmlElement[] {
  const { XmlElement: Element } = libxml();
  return el.find(compiledXPath('*')).filter((n): n is XmlElement => n instanceof Element);
}

/** The child elements of `el` with this namespace and local name (the prefix does not matter). */
export function childrenNamed(el: XmlElement, ns: string, local: string): XmlElement[] {
  return childElements(el).filter((c) => c.namespaceUri === ns && c.name === local);
}

/** Every element of `doc`, in document order: one XPath, then the names are read in JavaScript. */
export function allElements(doc: XmlDocument): XmlElement[] {
  const { XmlElement: Element } = libxml();
  return doc.find(compiledXPath('//*')).filter((n): n is XmlElement => n instanceof Element);
}
