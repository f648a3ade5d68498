/**
 * The GAR server's pinned host keys. The configuration gives them as OpenSSH `known_hosts` lines
 * (`[host]:port ssh-ed25519 AAAA…`, host names plain, with wildcards or hashed) or as `.pub` lines
 * (`ssh-ed25519 AAAA… comment`, which apply to whatever host the delivery targets). The server
 * must show one of them: there is no "trust on first use".
 */
import { createHash, createHmac } from 'node:crypto';
import type { ServerHostKeyAlgorithm } from 'ssh2';
import { GarDeliveryFailed } from './errors.js';

export interface HostKey {
  /** The key type as the blob names it (`ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`…). */
  type: string;
  /** The key in the SSH wire format, as the server sends it during the key exchange. */
  blob: Buffer;
}

/** The keys the configuration pins for `host:port`; refuses a configuration that names none. */
export function pinnedHostKeys(knownHosts: string, host: string, port: number): HostKey[] {
  const name = port === 22 ? host : `[${host}]:${port}`;
  const keys: HostKey[] = [];
  knownHosts.split('\n').forEach((raw, index) => {
    const fields = raw.trim().split(/\s+/);
    // Markers (@cert-authority, @revoked) are not trust anchors here: certificates are not used.
    if (fields[0] === '' || fields[0]!.startsWith('#') || fields[0]!.startsWith('@')) return;
    const publicKeyLine = isKeyType(fields[0]!);
    const [type, base64] = publicKeyLine ? fields : fields.slice(1);
    if (!publicKeyLine && !hostPatternsMatch(fields[0]!, name)) return;
    keys.push(parseKey(type, base64, index + 1));
  });
  if (keys.length === 0) {
    throw new GarDeliveryFailed('gar_host_key_not_configured', `the configured known hosts hold no key for ${name}: the delivery is refused rather than trusting whatever key the server shows`, 0);
  }
  return keys;
}

/** OpenSSH's fingerprint (`SHA256:<base64, no padding>`), to name a key in a message. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

const isKeyType = (field: string): boolean => /^(ssh-|ecdsa-sha2-|sk-)/.test(field);

/**
 * The host key types ssh2 verifies, with the signature algorithms to offer for each: an RSA key
 * signs with SHA-2 since OpenSSH 8.8 though its blob still says `ssh-rsa`. ssh-dss is obsolete;
 * security keys (sk-) are for users, not hosts.
 */
const ALGORITHMS_OF_TYPE = new Map<string, ServerHostKeyAlgorithm[]>([
  ['ssh-ed25519', ['ssh-ed25519']],
  ['ecdsa-sha2-nistp256', ['ecdsa-sha2-nistp256']],
  ['ecdsa-sha2-nistp384', ['ecdsa-sha2-nistp384']],
  ['ecdsa-sha2-nistp521', ['ecdsa-sha2-nistp521']],
  ['ssh-rsa', ['rsa-sha2-512', 'rsa-sha2-256']],
]);

function parseKey(type: string | undefined, base64: string | undefined, line: number): HostKey {
  const blob = Buffer.from(base64 ?? '', 'base64');
  // The blob starts with its own type (a length-prefixed string): a cut or pasted-wrong key fails here.
  const typeLength = blob.length >= 4 ? blob.readUInt32BE(0) : 0;
  if (type === undefined || blob.subarray(4, 4 + typeLength).toString('latin1') !== type) {
    throw new GarDeliveryFailed('gar_host_key_not_configured', `line ${line} of the configured known hosts is not a host key (expected "[host]:port type base64" or "type base64")`, 0);
  }
  if (!ALGORITHMS_OF_TYPE.has(type)) {
    throw new GarDeliveryFailed('gar_host_key_not_configured', `line ${line} of the configured known hosts pins a ${type} key; the delivery verifies ${[...ALGORITHMS_OF_TYPE.keys()].join(', ')}`, 0);
  }
  return { type, blob };
}

/** known_hosts host field: `|1|salt|hash`, or comma-separated patterns with `*`, `?` and `!` negation. */
function hostPatternsMatch(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [salt, hash] = field.slice(3).split('|');
    return createHmac('sha1', Buffer.from(salt ?? '', 'base64')).update(name).digest('base64') === hash;
  }
  const patterns = field.split(',');
  const matches = (pattern: string): boolean => globRegExp(pattern).test(name);
  if (patterns.some((p) => p.startsWith('!') && matches(p.slice(1)))) return false;
  return patterns.some((p) => !p.startsWith('!') && matches(p));
}

const globRegExp = (pattern: string): RegExp =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');

/** The host key algorithms to offer: only those of the pinned keys, so the server shows one of them. */
export function hostKeyAlgorithms(keys: readonly HostKey[]): ServerHostKeyAlgorithm[] {
  return [...new Set(keys.flatMap((key) => ALGORITHMS_OF_TYPE.get(key.type)!))];
}
