/**
 * Decryption of the EncryptedAssertion, done here rather than by a library: the algorithms
 * checked against the allow-list are, by construction, the ones used to decrypt. (The
 * xml-encryption package behind samlify picked its EncryptionMethod by local name, first in
 * document order, anywhere in the element, while the allow-list was checked elsewhere; and
 * samlify printed its errors, decrypted bytes included, on stderr.)
 *
 * The structure is checked against the one expected, child by child (SAML core 2.2.4, XML-Enc):
 *   EncryptedAssertion
 *     xenc:EncryptedData [Type=#Element]
 *       xenc:EncryptionMethod Algorithm          (required here; no child)
 *       ds:KeyInfo?  ( xenc:EncryptedKey | ds:RetrievalMethod → the sibling key ), ds:KeyName?
 *       xenc:CipherData / xenc:CipherValue
 *     xenc:EncryptedKey?                          (the sibling form)
 *   xenc:EncryptedKey
 *     xenc:EncryptionMethod Algorithm  ( ds:DigestMethod?, xenc11:MGF? )
 *     ds:KeyInfo?                                 (which of our keys: not read)
 *     xenc:CipherData / xenc:CipherValue
 *     xenc:ReferenceList? / xenc:DataReference → the EncryptedData, xenc:CarriedKeyName?
 * Exactly one key. Any other element, and any XML-Enc element (by namespace, or by local name in
 * any namespace) elsewhere in the message, is refused (`encryption_structure`).
 */
import { isUtf8 } from 'node:buffer';
import { constants, createDecipheriv, privateDecrypt, type KeyObject } from 'node:crypto';
import type { XmlElement } from 'libxml2-wasm';
import { base64Octets } from './base64.js';
import { SamlError } from './errors.js';
import { attribute, readTree, type TreeElement } from './xml-tree.js';
import { NS } from './xmldsig.js';

const XENC = NS.xenc;
const XENC11 = 'http://www.w3.org/2009/xmlenc11#';
const ELEMENT_TYPE = `${XENC}Element`;
const ENCRYPTED_KEY_TYPE = `${XENC}EncryptedKey`;

/** Local names of XML-Encryption elements: found in any namespace, they must be ours. */
const XENC_NAMES = [
  'EncryptedData', 'EncryptedKey', 'EncryptionMethod', 'CipherData', 'CipherValue', 'CipherReference', 'ReferenceList', 'DataReference',
  'KeyReference', 'CarriedKeyName', 'EncryptionProperties', 'EncryptionProperty', 'AgreementMethod', 'OAEPparams', 'KeySize', 'MGF',
  'DerivedKey', 'KeyDerivationMethod', 'RetrievalMethod',
];
const XENC_NAME_SET = new Set(XENC_NAMES);

interface DataCipher { cipher: string; keyBytes: number; ivBytes: number; gcm: boolean }
const DATA_CIPHERS: Record<string, DataCipher> = {
  [`${XENC}aes128-cbc`]: { cipher: 'aes-128-cbc', keyBytes: 16, ivBytes: 16, gcm: false },
  [`${XENC}aes256-cbc`]: { cipher: 'aes-256-cbc', keyBytes: 32, ivBytes: 16, gcm: false },
  [`${XENC}tripledes-cbc`]: { cipher: 'des-ede3-cbc', keyBytes: 24, ivBytes: 8, gcm: false },
  [`${XENC11}aes128-gcm`]: { cipher: 'aes-128-gcm', keyBytes: 16, ivBytes: 12, gcm: true },
  [`${XENC11}aes256-gcm`]: { cipher: 'aes-256-gcm', keyBytes: 32, ivBytes: 12, gcm: true },
};
const RSA_OAEP_MGF1P = `${XENC}rsa-oaep-mgf1p`;
const RSA_OAEP_11 = `${XENC11}rsa-oaep`;
/** OAEP digests; Node uses the same hash for MGF1, so only matching pairs can be decrypted. */
const OAEP_DIGESTS: Record<string, string> = {
  'http://www.w3.org/2000/09/xmldsig#sha1': 'sha1',
  'http://www.w3.org/2001/04/xmlenc#sha256': 'sha256',
  'http://www.w3.org/2001/04/xmldsig-more#sha384': 'sha384',
  'http://www.w3.org/2001/04/xmlenc#sha512': 'sha512',
};
const MGF_DIGESTS: Record<string, string> = {
  [`${XENC11}mgf1sha1`]: 'sha1', [`${XENC11}mgf1sha256`]: 'sha256', [`${XENC11}mgf1sha384`]: 'sha384', [`${XENC11}mgf1sha512`]: 'sha512',
};

const structure = (detail: string) => new SamlError('encryption_structure', detail);
const attr = attribute;

/** What decryption uses, read from the checked structure only. */
export interface EncryptionPlan {
  dataAlgorithm: string;
  /** The EncryptedData's CipherValue octets. */
  data: Buffer;
  keyAlgorithm: string;
  oaepHash: string;
  /** The EncryptedKey's CipherValue octets (the wrapped key). */
  key: Buffer;
  /** XML-Enc elements accepted in the structure: the document must hold no other. */
  xencElements: number;
}

type Slot = readonly [ns: string, local: string, max: number];

/**
 * The child elements of `el`, each one of the `slots` (in that order, at most `max` of each);
 * anything else is refused. Returns them by local name.
 */
function slotted(el: TreeElement, slots: readonly Slot[]): Map<string, TreeElement[]> {
  const found = new Map<string, TreeElement[]>(slots.map(([, local]) => [local, []]));
  let position = 0;
  for (const child of el.children) {
    const at = slots.findIndex(([ns, local]) => child.ns === ns && child.name === local);
    if (at < position || at < 0) throw structure(`unexpected ${child.name} in ${el.name}`);
    position = at;
    const list = found.get(child.name)!;
    list.push(child);
    if (list.length > slots[at]![2]) throw structure(`several ${child.name} in ${el.name}`);
  }
  return found;
}

/** Only these attributes (namespace declarations are not attributes in libxml2). */
function onlyAttributes(el: TreeElement, allowed: readonly string[]): void {
  for (const a of el.attributes) if (a.ns !== null || !allowed.includes(a.name)) throw structure(`unexpected attribute ${a.name} on ${el.name}`);
}

function required(found: Map<string, TreeElement[]>, local: string, where: string): TreeElement {
  const el = found.get(local)?.[0];
  if (!el) throw structure(`${where} without ${local}`);
  return el;
}

function algorithmOf(method: TreeElement): string {
  const algorithm = attr(method, 'Algorithm');
  if (!algorithm) throw structure('EncryptionMethod without Algorithm');
  return algorithm;
}

/** CipherData holding one CipherValue (a CipherReference would make us fetch something). */
function cipherValue(cipherData: TreeElement): Buffer {
  onlyAttributes(cipherData, []);
  const value = required(slotted(cipherData, [[XENC, 'CipherValue', 1]]), 'CipherValue', 'CipherData');
  onlyAttributes(value, []);
  const octets = base64Octets(value.text);
  if (!octets) throw structure('CipherValue is not base64');
  return octets;
}

/** The key transport: its algorithm, OAEP digest (MGF1 must use the same) and wrapped key. */
function readEncryptedKey(encryptedKey: TreeElement, dataId: string | null): { algorithm: string; oaepHash: string; key: Buffer; xenc: number } {
  onlyAttributes(encryptedKey, ['Id', 'Recipient']);
  const parts = slotted(encryptedKey, [[XENC, 'EncryptionMethod', 1], [NS.ds, 'KeyInfo', 1], [XENC, 'CipherData', 1], [XENC, 'ReferenceList', 1], [XENC, 'CarriedKeyName', 1]]);
  const method = required(parts, 'EncryptionMethod', 'EncryptedKey');
  onlyAttributes(method, ['Algorithm']);
  const algorithm = algorithmOf(method);
  const params = slotted(method, [[NS.ds, 'DigestMethod', 1], [XENC11, 'MGF', 1]]);
  const digest = params.get('DigestMethod')![0];
  const mgf = params.get('MGF')![0];
  for (const p of [digest, mgf]) if (p) onlyAttributes(p, ['Algorithm']);
  const digestHash = digest ? OAEP_DIGESTS[attr(digest, 'Algorithm') ?? ''] : 'sha1';
  const mgfHash = mgf ? MGF_DIGESTS[attr(mgf, 'Algorithm') ?? ''] : 'sha1';
  if (mgf && algorithm !== RSA_OAEP_11) throw structure('MGF is only defined for xmlenc11#rsa-oaep');
  if (!digestHash || !mgfHash || digestHash !== mgfHash || (algorithm === RSA_OAEP_MGF1P && digestHash !== 'sha1')) {
    throw new SamlError('encryption_algorithm', 'OAEP digest / MGF1 combination not supported');
  }
  let xenc = 4 + (mgf ? 1 : 0); // EncryptedKey, EncryptionMethod, CipherData, CipherValue (+ MGF)
  const references = parts.get('ReferenceList')![0];
  if (references) {
    onlyAttributes(references, []);
    const refs = slotted(references, [[XENC, 'DataReference', 1]]).get('DataReference')!;
    for (const ref of refs) {
      onlyAttributes(ref, ['URI']);
      if (ref.children.length > 0 || !dataId || attr(ref, 'URI') !== `#${dataId}`) throw structure('the ReferenceList names something else than the EncryptedData');
    }
    xenc += 1 + refs.length;
  }
  if (parts.get('CarriedKeyName')![0]) xenc += 1;
  return { algorithm, oaepHash: digestHash, key: cipherValue(required(parts, 'CipherData', 'EncryptedKey')), xenc };
}

/** Checks the EncryptedAssertion's structure and returns exactly what decryption will use. */
export function encryptionPlan(encryptedAssertion: TreeElement): EncryptionPlan {
  const top = slotted(encryptedAssertion, [[XENC, 'EncryptedData', 1], [XENC, 'EncryptedKey', 1]]);
  const data = required(top, 'EncryptedData', 'EncryptedAssertion');
  onlyAttributes(data, ['Id', 'Type', 'MimeType']);
  const type = attr(data, 'Type');
  if (type !== null && type !== ELEMENT_TYPE) throw structure('EncryptedData is not of type Element');
  const parts = slotted(data, [[XENC, 'EncryptionMethod', 1], [NS.ds, 'KeyInfo', 1], [XENC, 'CipherData', 1]]);
  const method = required(parts, 'EncryptionMethod', 'EncryptedData');
  onlyAttributes(method, ['Algorithm']);
  if (method.children.length > 0) throw structure('unexpected parameters of the data EncryptionMethod');
  let xenc = 4; // EncryptedData, its EncryptionMethod, CipherData, CipherValue

  const keyInfo = parts.get('KeyInfo')![0];
  const sibling = top.get('EncryptedKey')![0];
  let inline: TreeElement | undefined;
  if (keyInfo) {
    onlyAttributes(keyInfo, []);
    const found = slotted(keyInfo, [[NS.ds, 'KeyName', 1], [XENC, 'EncryptedKey', 1], [NS.ds, 'RetrievalMethod', 1]]);
    inline = found.get('EncryptedKey')![0];
    const retrieval = found.get('RetrievalMethod')![0];
    if (retrieval) {
      onlyAttributes(retrieval, ['URI', 'Type']);
      const siblingId = sibling ? attr(sibling, 'Id') : null;
      if (!siblingId || attr(retrieval, 'URI') !== `#${siblingId}` || (attr(retrieval, 'Type') ?? ENCRYPTED_KEY_TYPE) !== ENCRYPTED_KEY_TYPE || retrieval.children.length > 0) {
        throw structure('the RetrievalMethod does not name the EncryptedKey beside the EncryptedData');
      }
      xenc += 1;
    }
  }
  if ((inline ? 1 : 0) + (sibling ? 1 : 0) !== 1) throw structure('exactly one EncryptedKey expected');
  const key = readEncryptedKey((inline ?? sibling)!, attr(data, 'Id'));
  return {
    dataAlgorithm: algorithmOf(method), data: cipherValue(required(parts, 'CipherData', 'EncryptedData')),
    keyAlgorithm: key.algorithm, oaepHash: key.oaepHash, key: key.key, xencElements: xenc + key.xenc,
  };
}

/** An XML-Enc element: by namespace, or by local name in any namespace. */
export function isXencElement(el: TreeElement): boolean {
  return el.ns === XENC || el.ns === XENC11 || XENC_NAME_SET.has(el.name);
}

function checkAlgorithms(plan: EncryptionPlan, accepted: readonly string[]): DataCipher {
  for (const algorithm of [plan.dataAlgorithm, plan.keyAlgorithm]) {
    if (!accepted.includes(algorithm)) throw new SamlError('encryption_algorithm', `encryption algorithm ${algorithm.slice(0, 100)} not accepted`);
  }
  const cipher = DATA_CIPHERS[plan.dataAlgorithm];
  // RSA 1.5 stays refusable in configuration, but Node no longer decrypts it (CVE-2023-46809).
  if (!cipher || (plan.keyAlgorithm !== RSA_OAEP_MGF1P && plan.keyAlgorithm !== RSA_OAEP_11)) throw new SamlError('encryption_algorithm', 'encryption algorithm not supported');
  return cipher;
}

/** The XML-Enc padding (last byte: its length; the other padding bytes are arbitrary). */
function unpad(plain: Buffer, blockBytes: number): Buffer {
  const pad = plain.at(-1) ?? 0;
  if (pad < 1 || pad > blockBytes || pad > plain.length) throw new SamlError('decryption', 'bad padding');
  return plain.subarray(0, plain.length - pad);
}

function decryptData(cipher: DataCipher, key: Buffer, data: Buffer): Buffer {
  if (key.length !== cipher.keyBytes || data.length < cipher.ivBytes + (cipher.gcm ? 16 : 1)) throw new SamlError('decryption', 'bad lengths');
  const iv = data.subarray(0, cipher.ivBytes);
  if (cipher.gcm) {
    const decipher = createDecipheriv(cipher.cipher as 'aes-128-gcm', key, iv);
    decipher.setAuthTag(data.subarray(-16));
    return Buffer.concat([decipher.update(data.subarray(cipher.ivBytes, -16)), decipher.final()]);
  }
  const decipher = createDecipheriv(cipher.cipher, key, iv).setAutoPadding(false);
  return unpad(Buffer.concat([decipher.update(data.subarray(cipher.ivBytes)), decipher.final()]), cipher.ivBytes);
}

/**
 * The decrypted assertion's XML. Structure and algorithms are checked first; every failure of
 * the cryptography itself is one reason (`decryption`), with a detail that echoes nothing of it.
 */
export function decryptAssertion(encryptedAssertion: XmlElement, key: KeyObject, accepted: readonly string[]): { xml: string; xencElements: number } {
  const plan = encryptionPlan(readTree(encryptedAssertion).root);
  return { xml: decryptPlanned(plan, key, accepted).toString('utf8'), xencElements: plan.xencElements };
}

/**
 * decryptAssertion for a caller that has read the plan of that very EncryptedAssertion already:
 * the decrypted assertion's octets, which must be UTF-8 (the parser reads them as they are).
 */
export function decryptPlanned(plan: EncryptionPlan, key: KeyObject, accepted: readonly string[]): Buffer {
  const cipher = checkAlgorithms(plan, accepted);
  let plain: Buffer | null;
  try {
    const dataKey = privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: plan.oaepHash }, plan.key);
    plain = decryptData(cipher, dataKey, plan.data);
  } catch {
    plain = null;
  }
  if (!plain || !isUtf8(plain)) throw new SamlError('decryption', 'the encrypted assertion could not be decrypted with our key');
  return plain;
}
