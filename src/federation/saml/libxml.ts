/**
 * libxml2-wasm is loaded with a dynamic import, once, at connector start. It is an ES module
 * with a top-level await, which cannot be `require`d: mocha loads TypeScript test files through
 * require(esm) (tsx's CJS hook), and a static import anywhere in their graph would fail there.
 */
import type * as Libxml from 'libxml2-wasm';

export type LibxmlModule = typeof Libxml;
let loaded: LibxmlModule | undefined;

export async function loadLibxml(): Promise<LibxmlModule> {
  loaded ??= await import('libxml2-wasm');
  return loaded;
}

/** The module, once loadLibxml() has resolved (every SAML connector awaits it in open()). */
export function libxml(): LibxmlModule {
  if (!loaded) throw new Error('libxml2-wasm is not loaded yet');
  return loaded;
}
