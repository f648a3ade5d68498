/**
 * The SAML IdP's key pairs, read once at start as KeyObjects through the SAML kit. Several pairs
 * may be configured for the same use: the first one is active, the others are only published in
 * the metadata (rotation). Development without configured keys gets a self-signed pair,
 * generated once into the keys folder, like the OIDC key set (src/oidc/keys.ts).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createPrivateKey, createPublicKey, webcrypto, X509Certificate } from 'node:crypto';
import { isAbsolute, join } from 'node:path';
import { ConfigError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { keyPairFromPem, type KeyPair } from '../core/keys.js';
import type { IdpKeyPairConfig, IdpSettings } from './config.js';

export interface IdpKeys {
  /** The pair that signs: the first whose use is `signing` or `both`. */
  signing: KeyPair;
  /** PEM certificates published for signing, the active one first. */
  signingCerts: string[];
  /** The pair SPs encrypt for: the first whose use is `encryption` or `both`; absent if none. */
  encryption?: KeyPair;
  /** PEM certificates published for encryption, the active one first. */
  encryptionCerts: string[];
}

/** The development pair's files in the keys folder. */
export const DEVELOPMENT_KEY_FILE = 'saml-idp.key';
export const DEVELOPMENT_CERT_FILE = 'saml-idp.crt';
const DEVELOPMENT_CERT_YEARS = 10;

export async function loadIdpKeys(settings: Pick<IdpSettings, 'mode' | 'keysDir' | 'idp'>, log: Logger): Promise<IdpKeys> {
  let configured = settings.idp.keys;
  if (configured.length === 0) {
    if (settings.mode === 'production') {
      throw new ConfigError('samlIdp', ['keys: required in production: list the IdP\'s key pairs ({ keyFile, certFile, use: signing | encryption | both }), or set samlIdp.enabled: false']);
    }
    configured = [await developmentPair(settings.keysDir, log)];
  }
  const pairs = configured.map((pair) => ({ use: pair.use, keys: readPair(pair, settings.keysDir) }));
  const signing = pairs.filter((p) => p.use !== 'encryption').map((p) => p.keys);
  const encryption = pairs.filter((p) => p.use !== 'signing').map((p) => p.keys);
  return {
    signing: signing[0]!,
    signingCerts: signing.map((k) => k.certPem),
    ...(encryption[0] ? { encryption: encryption[0] } : {}),
    encryptionCerts: encryption.map((k) => k.certPem),
  };
}

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

/** The development pair, generated on first use (with a warning) and reused afterwards. */
async function developmentPair(keysDir: string, log: Logger): Promise<IdpKeyPairConfig> {
  const pair = { keyFile: join(keysDir, DEVELOPMENT_KEY_FILE), certFile: join(keysDir, DEVELOPMENT_CERT_FILE), use: 'both' as const };
  if (!existsSync(pair.keyFile) || !existsSync(pair.certFile)) {
    log.warn({ dir: keysDir }, 'no SAML IdP keys configured: generating a development key pair');
    const { keyPem, certPem } = await selfSignedRsaPair('ent-sso-hub development SAML IdP');
    mkdirSync(keysDir, { recursive: true });
    writeFileSync(pair.keyFile, keyPem, { mode: 0o600 });
    chmodSync(pair.keyFile, 0o600);
    writeFileSync(pair.certFile, certPem);
  }
  return pair;
}

/**
 * A self-signed RSA-2048 certificate (SHA-256), made with @peculiar/x509 on Node's WebCrypto.
 * The library is imported here only: a production hub, which never generates keys, never loads
 * it (nor the Reflect polyfill it brings).
 */
async function selfSignedRsaPair(commonName: string): Promise<{ keyPem: string; certPem: string }> {
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const notBefore = new Date();
  const notAfter = new Date(notBefore);
  notAfter.setFullYear(notBefore.getFullYear() + DEVELOPMENT_CERT_YEARS);
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
