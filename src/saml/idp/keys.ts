/**
 * The SAML IdP's keys. They live in the store with the OIDC keys (auth/signing-keys.ts): RSA
 * keys with a self-signed certificate, rotated the same way; the active one signs, the next and
 * previous ones are published in the metadata. Key pairs configured as files (`samlIdp.keys`,
 * or the development pair `saml-idp.key` / `saml-idp.crt` of the keys folder) are what a first
 * start imports; encryption-only pairs stay files, read at start.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createPrivateKey, createPublicKey, webcrypto, X509Certificate } from 'node:crypto';
import { isAbsolute, join } from 'node:path';
import type { AdoptedKey, KeyKind, KeyMaterial, LiveKey } from '../../auth/signing-keys.js';
import { ConfigError } from '../../shared/errors.js';
import { keyPairFromPem, type KeyPair } from '../core/keys.js';
import type { IdpKeyPairConfig, IdpSettings } from './config.js';
import { DEFAULT_LIFETIME_SECONDS } from './response.js';

export interface IdpKeys {
  /** The pair that signs: the active key of the store. */
  signing: KeyPair;
  /** PEM certificates published for signing: the active one, then next and previous ones. */
  signingCerts: string[];
  /** PEM certificates published for encryption: the configured encryption pairs, else the active signing one. */
  encryptionCerts: string[];
}

/** The keys in use now; they change when the store's do (KeyRefresh). */
export interface IdpKeySource {
  current(): IdpKeys;
}

/** The development pair's files in the keys folder (made by hubs before the keys moved to the store). */
export const DEVELOPMENT_KEY_FILE = 'saml-idp.key';
export const DEVELOPMENT_CERT_FILE = 'saml-idp.crt';
const CERT_YEARS = 10;
const STATE_ORDER: Record<string, number> = { active: 0, next: 1, previous: 2 };

/** The IdP's keys from the store's published ones and the configured encryption certificates. */
export function idpKeysOf(keys: LiveKey[], encryptionCerts: string[]): IdpKeys {
  const published = [...keys].sort((a, b) => STATE_ORDER[a.state]! - STATE_ORDER[b.state]!);
  const active = published.find((k) => k.state === 'active');
  if (!active) throw new ConfigError('keys', ['no active SAML IdP key in the store: run "hub keys list" and "hub keys rotate --use saml"']);
  const signing = keyPairFromPem(active.privateKey, active.publicKey, { key: `SAML key ${active.kid}`, cert: `certificate of ${active.kid}` });
  return { signing, signingCerts: published.map((k) => k.publicKey), encryptionCerts: encryptionCerts.length ? encryptionCerts : [active.publicKey] };
}

/** RSA keys with a self-signed certificate; replaced keys verify as long as an assertion lives. */
export function samlKeyKind(commonName: string): KeyKind {
  return {
    use: 'saml',
    generate: async () => [pemMaterial(await selfSignedRsaPair(commonName))],
    lifetimeSeconds: DEFAULT_LIFETIME_SECONDS,
  };
}

/** A pair as the store keeps it; the kid is the certificate's SHA-256 fingerprint. */
function pemMaterial({ keyPem, certPem }: { keyPem: string; certPem: string }): KeyMaterial {
  const fingerprint = new X509Certificate(certPem).fingerprint256.replace(/:/g, '').toLowerCase();
  return { kid: `saml-${fingerprint.slice(0, 32)}`, alg: 'RS256', publicKey: certPem, privateKey: keyPem };
}

/**
 * The signing pairs configured as files, for the store: the first signs, the others come next.
 * Without configured pairs, the development pair of the keys folder when it is there.
 */
export function configuredSigningKeys(settings: Pick<IdpSettings, 'keysDir' | 'idp'>): AdoptedKey[] {
  const signing = settings.idp.keys.filter((pair) => pair.use !== 'encryption');
  const pairs = signing.length ? signing : [developmentPair(settings.keysDir)].filter((pair) => existsSync(pair.keyFile) && existsSync(pair.certFile));
  return pairs.map((pair, i) => {
    const keys = readPair(pair, settings.keysDir);
    return { material: pemMaterial({ keyPem: keys.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), certPem: keys.certPem }), role: i === 0 ? 'active' : 'next' };
  });
}

/** The certificates of the configured encryption-only pairs, checked against their keys. */
export function configuredEncryptionCerts(settings: Pick<IdpSettings, 'keysDir' | 'idp'>): string[] {
  return settings.idp.keys.filter((pair) => pair.use === 'encryption').map((pair) => readPair(pair, settings.keysDir).certPem);
}

const developmentPair = (keysDir: string): IdpKeyPairConfig => ({ keyFile: join(keysDir, DEVELOPMENT_KEY_FILE), certFile: join(keysDir, DEVELOPMENT_CERT_FILE), use: 'both' });

function readPair(pair: IdpKeyPairConfig, keysDir: string): KeyPair {
  const keyFile = isAbsolute(pair.keyFile) ? pair.keyFile : join(keysDir, pair.keyFile);
  const certFile = isAbsolute(pair.certFile) ? pair.certFile : join(keysDir, pair.certFile);
  const keys = keyPairFromPem(readPem(keyFile), readPem(certFile), { key: keyFile, cert: certFile });
  if (keys.privateKey.asymmetricKeyType !== 'rsa') throw new ConfigError('samlIdp', [`keys: ${keyFile} must be an RSA key (the IdP signs with RSA-SHA256)`]);
  if (!certifiesKey(keys)) throw new ConfigError('samlIdp', [`keys: ${certFile} is not the certificate of ${keyFile}`]);
  return keys;
}

function readPem(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError('samlIdp', [`keys: ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
}

/** A certificate for another key would make every signature fail at the SPs, long after the start. */
function certifiesKey(keys: KeyPair): boolean {
  let certified: Buffer;
  try {
    certified = new X509Certificate(keys.certPem).publicKey.export({ format: 'der', type: 'spki' });
  } catch {
    return false;
  }
  return certified.equals(createPublicKey(keys.privateKey).export({ format: 'der', type: 'spki' }));
}

/**
 * A self-signed RSA-2048 certificate (SHA-256), made with @peculiar/x509 on Node's WebCrypto.
 * The library is imported here only, when a key is made: a hub that only reads its keys never
 * loads it (nor the Reflect polyfill it brings).
 */
async function selfSignedRsaPair(commonName: string): Promise<{ keyPem: string; certPem: string }> {
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const notBefore = new Date();
  const notAfter = new Date(notBefore);
  notAfter.setFullYear(notBefore.getFullYear() + CERT_YEARS);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString('hex').replace(/^[89a-f]/, '1'),
    name: `CN=${commonName}`,
    notBefore,
    notAfter,
    keys: keys as CryptoKeyPair,
    signingAlgorithm: algorithm,
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' }).toString();
  return { keyPem, certPem: `${cert.toString('pem')}\n` };
}
