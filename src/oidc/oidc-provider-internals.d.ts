/**
 * oidc-provider 9.13.3 has no public way to change its keys once built. Its keystore initializer
 * (called with `this` = the provider) rebuilds the keystore and the published JWKS; the package
 * has no `exports` map, so the file can be imported. key-rotation.ts uses it, and
 * test/oidc/key-rotation.test.ts fails if it changes.
 */
declare module 'oidc-provider/lib/helpers/initialize_keystore.js' {
  export default function initializeKeystore(this: object, jwks: { keys: object[] }): void;
}
