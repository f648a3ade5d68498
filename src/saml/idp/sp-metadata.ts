/**
 * A SAML service provider's metadata, read once when it is added (or refreshed): checked with
 * the SAML kit (no DOCTYPE; when a metadata signing certificate is configured, an enveloped
 * signature made with its key), then reduced to what the hub's IdP needs (SpMetadataValues).
 * Anything the IdP could not use safely is refused with a sentence naming what is wrong: the
 * IdP sends pupils' data to these endpoints.
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import type { XmlDocument, XmlElement } from 'libxml2-wasm';
import { HubError } from '../../shared/errors.js';
import { SamlError } from '../core/errors.js';
import { childElements, childrenNamed, libxml, loadLibxml } from '../core/libxml.js';
import { checkMetadata } from '../core/metadata.js';
import { validateMetadataXml } from '../core/schema-validator.js';
import type { SpAcsEndpoint, SpEndpoint, SpMetadataValues } from '../../storage/ports/index.js';

export const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const MDUI = 'urn:oasis:names:tc:SAML:metadata:ui';
const SAML2_PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';

/** The SAML 2.0 bindings (SAML bindings 3); any other Binding is refused. */
export const BINDINGS = {
  post: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
  redirect: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
  artifact: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact',
  soap: 'urn:oasis:names:tc:SAML:2.0:bindings:SOAP',
  paos: 'urn:oasis:names:tc:SAML:2.0:bindings:PAOS',
  simpleSign: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST-SimpleSign',
} as const;
const KNOWN_BINDINGS: readonly string[] = Object.values(BINDINGS);

/** An SP's metadata is a few KiB; an aggregate's single entity never comes near this. */
export const MAX_SP_METADATA_BYTES = 256 * 1024;
/** SAML core 8.3.6: an entity identifier is at most 1024 characters. */
const MAX_ENTITY_ID_LENGTH = 1024;

/** Metadata the hub will not use, with what is wrong (exit 1 at the CLI, 400 at the admin API). */
export class SpMetadataRefused extends HubError {
  constructor(what: string, why: string) {
    super('invalid_sp_metadata', `${what} refused: ${why}`, { status: 400, expose: true });
  }
}

export interface SpMetadataRules {
  /** Production: every endpoint must be https. Elsewhere http is accepted (test SPs). */
  production: boolean;
  /** The certificate's key that must have signed the document; null: unsigned documents accepted. */
  trust: KeyObject | null;
  /** Compared with validUntil (now by default). */
  now?: Date;
}

export interface ParsedSpMetadata {
  entityId: string;
  /** The SP's own name (mdui:DisplayName, else md:OrganizationDisplayName), if it gives one. */
  displayName: string | null;
  values: SpMetadataValues;
  validUntil: Date | null;
}

/** Throws SpMetadataRefused unless `xml` is one SP's usable metadata; `what` names it in messages (`SP metadata file x.xml`). */
export async function parseSpMetadata(xml: string, rules: SpMetadataRules, what: string): Promise<ParsedSpMetadata> {
  if (Buffer.byteLength(xml, 'utf8') > MAX_SP_METADATA_BYTES) throw new SpMetadataRefused(what, `larger than ${MAX_SP_METADATA_BYTES / 1024} KiB`);
  const doc = await checkedDocument(xml, rules.trust, what);
  try {
    return readEntity(doc.root, rules, (why) => new SpMetadataRefused(what, why));
  } finally {
    doc.dispose();
  }
}

/** The document, once valid against the metadata schema, free of DOCTYPE, and signed with `trust`'s key when given. */
async function checkedDocument(xml: string, trust: KeyObject | null, what: string): Promise<XmlDocument> {
  await loadLibxml();
  try {
    validateMetadataXml(xml);
    // The kit names the document in its detail: `what` already starts the message.
    checkMetadata(xml, trust, 'the document');
  } catch (err) {
    if (err instanceof SamlError) throw new SpMetadataRefused(what, err.detail);
    throw err;
  }
  return parseDocument(xml, what);
}

/** An aggregate of SP metadata (a federation's, the GAR's) is far larger than one SP's document. */
export const MAX_AGGREGATE_BYTES = 16 * 1024 * 1024;

/** One SP of an aggregate: its EntityDescriptor on its own (namespaces in scope included), parsed. */
export interface AggregateEntity extends ParsedSpMetadata {
  xml: string;
}

export interface ParsedAggregate {
  /** The aggregate's own validUntil, if any (each entity's validUntil is at most this). */
  validUntil: Date | null;
  /** The aggregate's cacheDuration in milliseconds, if it gives one: when to fetch it again, at the latest. */
  cacheDurationMs: number | null;
  entities: AggregateEntity[];
  /** The SPs (or nested groups) refused, each with why; the others are kept. */
  skipped: Array<{ entityId: string; why: string }>;
}

/**
 * Throws SpMetadataRefused unless `xml` is an aggregate (md:EntitiesDescriptor, possibly
 * nested) signed with `rules.trust`'s key (required) and not expired; then reads every
 * EntityDescriptor that has an SPSSODescriptor with the rules of a single SP's metadata
 * (parseSpMetadata). One refused entity is skipped and reported, not the whole aggregate;
 * entities without an SPSSODescriptor (IdPs) are ignored.
 */
export async function parseSpAggregate(xml: string, rules: SpMetadataRules & { trust: KeyObject }, what: string): Promise<ParsedAggregate> {
  if (Buffer.byteLength(xml, 'utf8') > MAX_AGGREGATE_BYTES) throw new SpMetadataRefused(what, `larger than ${MAX_AGGREGATE_BYTES / 1024 / 1024} MiB`);
  const doc = await checkedDocument(xml, rules.trust, what);
  try {
    const root = doc.root;
    const refuse: Refuse = (why) => new SpMetadataRefused(what, why);
    if (root.namespaceUri !== MD || root.name !== 'EntitiesDescriptor') throw refuse(`the document must be an aggregate (md:EntitiesDescriptor), not md:${root.name}`);
    const now = rules.now ?? new Date();
    const validUntil = earliestValidUntil([root], now, refuse);
    const aggregate: ParsedAggregate = { validUntil, cacheDurationMs: durationMs(attr(root, 'cacheDuration')), entities: [], skipped: [] };
    await readGroup(root, validUntil, { ...rules, now, trust: null }, what, aggregate);
    return aggregate;
  } finally {
    doc.dispose();
  }
}

/** The SP entities of an EntitiesDescriptor and of the groups nested in it, into `aggregate`. */
async function readGroup(group: XmlElement, groupValidUntil: Date | null, rules: SpMetadataRules & { now: Date }, what: string, aggregate: ParsedAggregate): Promise<void> {
  for (const child of childElements(group).filter((el) => el.namespaceUri === MD)) {
    if (child.name === 'EntitiesDescriptor') {
      const name = `group ${attr(child, 'Name') ?? '(unnamed)'}`;
      try {
        const nested = earliestValidUntil([child], rules.now, (why) => new SpMetadataRefused(name, why));
        await readGroup(child, earliest(groupValidUntil, nested), rules, what, aggregate);
      } catch (err) {
        if (!(err instanceof SpMetadataRefused)) throw err;
        aggregate.skipped.push({ entityId: name, why: err.message });
      }
    } else if (child.name === 'EntityDescriptor' && childrenNamed(child, MD, 'SPSSODescriptor').length > 0) {
      await readAggregateEntity(child, groupValidUntil, rules, what, aggregate);
    }
  }
}

async function readAggregateEntity(el: XmlElement, groupValidUntil: Date | null, rules: SpMetadataRules, what: string, aggregate: ParsedAggregate): Promise<void> {
  const entityId = attr(el, 'entityID') ?? '';
  // Inclusive canonicalisation of the subtree carries the namespaces declared by its ancestors.
  const xml = el.canonicalizeToString({ mode: libxml().XmlC14NMode.XML_C14N_1_0, withComments: false });
  try {
    const parsed = await parseSpMetadata(xml, rules, `entity ${entityId.slice(0, 200)} of ${what}`);
    if (aggregate.entities.some((e) => e.entityId === parsed.entityId)) throw new SpMetadataRefused(`entity ${entityId.slice(0, 200)} of ${what}`, 'listed twice');
    aggregate.entities.push({ ...parsed, validUntil: earliest(groupValidUntil, parsed.validUntil), xml });
  } catch (err) {
    if (!(err instanceof SpMetadataRefused)) throw err;
    aggregate.skipped.push({ entityId, why: err.message });
  }
}

const earliest = (a: Date | null, b: Date | null): Date | null => (a === null ? b : b === null || a <= b ? a : b);

/**
 * An xs:duration (cacheDuration: `PT6H`, `P1D`…) in milliseconds; null when absent, negative or
 * not understood (then the configured refresh period alone applies). Years count 365 days,
 * months 30: a refresh period, not a calendar.
 */
export function durationMs(text: string | null): number | null {
  const match = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text?.trim() ?? '');
  if (!match || /^PT?$/.test(text!.trim())) return null;
  const [years, months, days, hours, minutes, secs] = match.slice(1).map((n) => Number(n ?? 0));
  return ((((years! * 365 + months! * 30 + days!) * 24 + hours!) * 60 + minutes!) * 60 + secs!) * 1000;
}

function parseDocument(xml: string, what: string): XmlDocument {
  let doc: XmlDocument;
  try {
    doc = libxml().XmlDocument.fromString(xml);
  } catch {
    throw new SpMetadataRefused(what, 'not well-formed XML');
  }
  if (doc.dtd) {
    doc.dispose();
    throw new SpMetadataRefused(what, 'a DTD is not allowed');
  }
  return doc;
}

type Refuse = (why: string) => SpMetadataRefused;

function readEntity(root: XmlElement, rules: SpMetadataRules, refuse: Refuse): ParsedSpMetadata {
  if (root.namespaceUri !== MD || root.name !== 'EntityDescriptor') {
    throw refuse(`the document must be one md:EntityDescriptor, not ${root.name === 'EntitiesDescriptor' ? 'an aggregate (md:EntitiesDescriptor)' : `a ${root.name} element`}`);
  }
  const entityId = attr(root, 'entityID')?.trim() ?? '';
  if (entityId === '' || entityId.length > MAX_ENTITY_ID_LENGTH) throw refuse(`entityID must be present and at most ${MAX_ENTITY_ID_LENGTH} characters`);
  const descriptors = childrenNamed(root, MD, 'SPSSODescriptor');
  if (descriptors.length !== 1) throw refuse(`expected one SPSSODescriptor, found ${descriptors.length}`);
  const sp = descriptors[0]!;
  if (!(attr(sp, 'protocolSupportEnumeration') ?? '').split(/\s+/).includes(SAML2_PROTOCOL)) {
    throw refuse('the SPSSODescriptor does not list the SAML 2.0 protocol in protocolSupportEnumeration');
  }
  const validUntil = earliestValidUntil([root, sp], rules.now ?? new Date(), refuse);
  const certificates = keyDescriptors(sp, refuse);
  return {
    entityId,
    displayName: displayNameOf(root, sp),
    validUntil,
    values: {
      assertionConsumerServices: assertionConsumerServices(sp, rules, refuse),
      singleLogoutServices: childrenNamed(sp, MD, 'SingleLogoutService').map((el) => endpoint(el, 'SingleLogoutService', rules, refuse)),
      signingCertificates: certificates.signing,
      encryptionCertificates: certificates.encryption,
      authnRequestsSigned: flag(sp, 'AuthnRequestsSigned'),
      wantAssertionsSigned: flag(sp, 'WantAssertionsSigned'),
      nameIdFormats: childrenNamed(sp, MD, 'NameIDFormat').map((el) => el.content.trim()).filter((format) => format !== ''),
    },
  };
}

const attr = (el: XmlElement, name: string): string | null => el.attr(name)?.value ?? null;

/** xs:boolean: `true` or `1`. */
const flag = (el: XmlElement, name: string): boolean => ['true', '1'].includes(attr(el, name)?.trim() ?? '');

/** The earliest validUntil of the entity and its descriptor; refused when malformed or past. */
function earliestValidUntil(elements: XmlElement[], now: Date, refuse: Refuse): Date | null {
  let earliest: Date | null = null;
  for (const el of elements) {
    const text = attr(el, 'validUntil');
    if (text === null) continue;
    const date = new Date(text.trim());
    if (Number.isNaN(date.getTime())) throw refuse(`validUntil of ${el.name} is not a date`);
    if (date <= now) throw refuse(`the metadata expired on ${date.toISOString()} (validUntil of ${el.name})`);
    if (earliest === null || date < earliest) earliest = date;
  }
  return earliest;
}

function endpoint(el: XmlElement, name: string, rules: SpMetadataRules, refuse: Refuse): SpEndpoint {
  const binding = attr(el, 'Binding') ?? '';
  if (!KNOWN_BINDINGS.includes(binding)) throw refuse(`${name} has an unknown binding${binding ? ` (${binding.slice(0, 100)})` : ''}`);
  return { binding, location: endpointUrl(attr(el, 'Location'), name, rules, refuse) };
}

function endpointUrl(location: string | null, name: string, rules: SpMetadataRules, refuse: Refuse): string {
  let url: URL;
  try {
    url = new URL(location ?? '');
  } catch {
    throw refuse(`${name} Location is not a URL`);
  }
  if (url.protocol === 'https:') return location!;
  if (url.protocol === 'http:' && !rules.production) return location!;
  throw refuse(`${name} Location ${location!.slice(0, 200)} is not https${url.protocol === 'http:' ? ' (http is accepted only outside production)' : ''}`);
}

/** The ACS endpoints, each with its unique index; at least one with the HTTP-POST binding, the one the IdP answers with. */
function assertionConsumerServices(sp: XmlElement, rules: SpMetadataRules, refuse: Refuse): SpAcsEndpoint[] {
  const acs = childrenNamed(sp, MD, 'AssertionConsumerService').map((el): SpAcsEndpoint => {
    const indexText = attr(el, 'index')?.trim() ?? '';
    const index = /^\d{1,5}$/.test(indexText) ? Number(indexText) : NaN;
    if (!(index <= 65535)) throw refuse('AssertionConsumerService index must be a number from 0 to 65535');
    return { ...endpoint(el, 'AssertionConsumerService', rules, refuse), index, isDefault: flag(el, 'isDefault') };
  });
  if (acs.length === 0) throw refuse('no AssertionConsumerService');
  if (new Set(acs.map((a) => a.index)).size !== acs.length) throw refuse('two AssertionConsumerService endpoints have the same index');
  if (!acs.some((a) => a.binding === BINDINGS.post)) throw refuse('no AssertionConsumerService with the HTTP-POST binding, the one the hub answers with');
  return acs;
}

/** Certificates of KeyDescriptors by use; one without `use` serves both (SAML metadata 2.4.1.1). */
function keyDescriptors(sp: XmlElement, refuse: Refuse): { signing: string[]; encryption: string[] } {
  const signing: string[] = [];
  const encryption: string[] = [];
  for (const descriptor of childrenNamed(sp, MD, 'KeyDescriptor')) {
    const use = attr(descriptor, 'use');
    if (use !== null && use !== 'signing' && use !== 'encryption') throw refuse('a KeyDescriptor use must be signing or encryption');
    const certs = childrenNamed(descriptor, DS, 'KeyInfo')
      .flatMap((info) => childrenNamed(info, DS, 'X509Data'))
      .flatMap((data) => childrenNamed(data, DS, 'X509Certificate'))
      .map((cert) => certificate(cert.content, refuse));
    if (certs.length === 0) throw refuse('a KeyDescriptor has no X509Certificate');
    if (use !== 'encryption') signing.push(...certs);
    if (use !== 'signing') encryption.push(...certs);
  }
  return { signing, encryption };
}

/** The base64 DER of a certificate, whitespace removed; refused unless it parses as X.509. */
function certificate(text: string, refuse: Refuse): string {
  const base64 = text.replace(/\s+/g, '');
  try {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) throw new Error('not base64');
    new X509Certificate(Buffer.from(base64, 'base64'));
  } catch {
    throw refuse('an X509Certificate is not a valid base64 DER certificate');
  }
  return base64;
}

function displayNameOf(root: XmlElement, sp: XmlElement): string | null {
  const names = [
    ...childrenNamed(sp, MD, 'Extensions').flatMap((ext) => childrenNamed(ext, MDUI, 'UIInfo')).flatMap((ui) => childrenNamed(ui, MDUI, 'DisplayName')),
    ...childrenNamed(root, MD, 'Organization').flatMap((org) => childrenNamed(org, MD, 'OrganizationDisplayName')),
  ];
  const name = names.map((el) => el.content.trim()).find((text) => text !== '');
  return name === undefined ? null : name.slice(0, 200);
}
