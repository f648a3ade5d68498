/**
 * SAML metadata aggregates as a federation operator publishes them: an md:EntitiesDescriptor
 * around SPs' EntityDescriptors (pysaml2's, from pysaml2-sp.ts), signed with the kit's
 * signEnveloped and a throwaway key pair.
 */
import { readFileSync } from 'node:fs';
import { keyPairFromPem, signEnveloped, type KeyPair } from '../../src/saml/core/keys.js';
import { makeKeyPair } from './pysaml2.js';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';

/** A self-signed key pair (openssl), ready to sign. */
export async function makeSigner(dir: string, name: string): Promise<KeyPair> {
  const files = await makeKeyPair(dir, name);
  return keyPairFromPem(readFileSync(files.keyFile, 'utf8'), readFileSync(files.certFile, 'utf8'), { key: files.keyFile, cert: files.certFile });
}

/** An SP's metadata file without its XML declaration, to sit inside an aggregate. */
export const entityOf = (file: string): string => readFileSync(file, 'utf8').replace(/^<\?xml[^>]*\?>\s*/, '');

export interface AggregateOptions {
  /** A day from now by default. */
  validUntil?: Date;
  cacheDuration?: string;
  /** Entities wrapped in a nested EntitiesDescriptor. */
  nested?: string[];
  /** The nested EntitiesDescriptor's validUntil, if any. */
  nestedValidUntil?: Date;
}

let serial = 0;

/** An aggregate of `entities`, signed by `signer` (unsigned when null). */
export function aggregateXml(signer: KeyPair | null, entities: string[], options: AggregateOptions = {}): string {
  const attrs = [
    `ID="_aggregate${++serial}"`, 'Name="urn:test:aggregate"',
    `validUntil="${(options.validUntil ?? new Date(Date.now() + 24 * 3600_000)).toISOString()}"`,
    ...(options.cacheDuration ? [`cacheDuration="${options.cacheDuration}"`] : []),
  ].join(' ');
  const nestedUntil = options.nestedValidUntil ? ` validUntil="${options.nestedValidUntil.toISOString()}"` : '';
  const nested = options.nested ? `<md:EntitiesDescriptor Name="urn:test:nested"${nestedUntil}>${options.nested.join('')}</md:EntitiesDescriptor>` : '';
  const xml = `<md:EntitiesDescriptor xmlns:md="${MD}" ${attrs}>${entities.join('')}${nested}</md:EntitiesDescriptor>`;
  return signer ? signEnveloped(xml, `/*[local-name(.)='EntitiesDescriptor']`, signer, 'first') : xml;
}
