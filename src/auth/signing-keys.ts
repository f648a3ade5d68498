/**
 * The signing keys as data: kept in the store, the private part sealed with the secrets key,
 * rotated without a restart. A rotation adds the next key(s), published at once and signing
 * from `activatesAt`; the key they replace then verifies until what it signed has expired, and
 * leaves the published set. Each protocol says how its keys are made (`KeyKind`); this module
 * decides when they change and keeps every node's copy fresh (`KeyRefresh`).
 */
import { ConfigError, Conflict, HubError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import {
  signingKeyState, type NewSigningKey, type SigningKeyAlg, type SigningKeyHandover, type SigningKeyRecord,
  type SigningKeyState, type SigningKeyStore, type SigningKeyUse,
} from '../storage/ports/index.js';
import { SecretBox } from './secret-box.js';

/** The SecretBox purpose of the private parts: the secrets key seals nothing else alike. */
export const SIGNING_KEYS_PURPOSE = 'signing-keys';

/** A key as made or read from files, before it is stored. */
export interface KeyMaterial {
  kid: string;
  alg: SigningKeyAlg;
  /** Public JWK (JSON) for OIDC, PEM certificate for SAML. */
  publicKey: string;
  /** Private JWK (JSON) for OIDC, PKCS#8 PEM for SAML. */
  privateKey: string;
}

/** What a protocol tells the ring about its keys. */
export interface KeyKind {
  use: SigningKeyUse;
  /** Fresh keys for one rotation, one per algorithm the protocol signs with. */
  generate(): Promise<KeyMaterial[]>;
  /** The longest a signed thing stays valid, in seconds: a replaced key verifies that long. */
  lifetimeSeconds: number;
  /** The sentence a rotation is refused with, for keys kept for good; absent when they rotate. */
  neverRotated?: string;
}

/** A key in the store, with its state now; the private part is opened only by `live`. */
export interface DescribedKey extends Omit<SigningKeyRecord, 'sealedPrivateKey'> {
  state: SigningKeyState;
}

export interface LiveKey extends DescribedKey {
  privateKey: string;
}

/** A rotation refused because a next key of this use is already published. */
export class RotationPending extends HubError {
  readonly pending: DescribedKey[];
  constructor(use: SigningKeyUse, pending: DescribedKey[]) {
    const first = pending[0]!;
    super('key_rotation_pending', `a next ${use} key is already published (${pending.map((k) => `${k.alg} ${k.kid}`).join(', ')}), signing from ${first.activatesAt.toISOString()}: nothing created`, { expose: true });
    this.pending = pending;
  }
}

/** A rotation refused because keys of this use are kept for good. */
export class RotationRefused extends HubError {
  constructor(reason: string) {
    super('key_rotation_refused', reason, { expose: true });
  }
}

/** An import refused: the store already has other keys of that use. */
export class KeyImportRefused extends HubError {
  constructor(kind: KeyKind) {
    const instead = kind.neverRotated ? 'the stored one stays' : 'rotate instead';
    super('key_import_refused', `the store already holds other ${kind.use} keys: an import only fills a store without keys of that use (${instead})`, { expose: true });
  }
}

/** How a key read from files enters the store: signing now, replaced already, or signing later. */
export type AdoptedRole = 'previous' | 'active' | 'next';

export interface AdoptedKey {
  material: KeyMaterial;
  role: AdoptedRole;
}

const ROLE_ORDER: Record<AdoptedRole, number> = { previous: 0, active: 1, next: 2 };
const addSeconds = (date: Date, seconds: number): Date => new Date(date.getTime() + seconds * 1000);

export class SigningKeyRing {
  private readonly box: SecretBox;

  constructor(private readonly store: SigningKeyStore, secretsKey: string, readonly clock: () => Date = () => new Date()) {
    this.box = new SecretBox(secretsKey, SIGNING_KEYS_PURPOSE);
  }

  /** Every key (of `use`), retired ones included, with its state now; no private part. */
  async describe(use?: SigningKeyUse): Promise<DescribedKey[]> {
    const now = this.clock();
    return (await this.store.list(use)).map(({ sealedPrivateKey: _sealed, ...key }) => ({ ...key, state: signingKeyState(key, now) }));
  }

  /** The published keys of `use` (next, active, previous), opened. */
  async live(use: SigningKeyUse): Promise<LiveKey[]> {
    const now = this.clock();
    const records = (await this.store.list(use)).filter((key) => signingKeyState(key, now) !== 'retired');
    return records.map(({ sealedPrivateKey, ...key }) => ({ ...key, state: signingKeyState(key, now), privateKey: this.open(sealedPrivateKey) }));
  }

  /**
   * Adds the next key(s) of `kind`, signing `publishDelaySeconds` from now, and ends the keys
   * they replace then. RotationPending when a next key exists already, or when another node
   * added one meanwhile (the store's unique chain refuses the second).
   */
  async rotate(kind: KeyKind, publishDelaySeconds: number): Promise<DescribedKey[]> {
    if (kind.neverRotated) throw new RotationRefused(kind.neverRotated);
    await this.refuseIfPending(kind.use);
    const now = this.clock();
    const records = await this.store.list(kind.use);
    // The first keys of a use replace nothing: there is nobody to warn, they sign at once.
    const activatesAt = records.length ? addSeconds(now, publishDelaySeconds) : now;
    const keys: NewSigningKey[] = [];
    const handovers: SigningKeyHandover[] = [];
    for (const material of await kind.generate()) {
      const head = headOf(records, material.alg);
      keys.push(this.newKey(kind.use, material, head?.kid ?? null, now, activatesAt));
      if (head) handovers.push({ kid: head.kid, deactivatedAt: activatesAt, retiresAt: addSeconds(activatesAt, kind.lifetimeSeconds) });
    }
    try {
      await this.store.add(keys, handovers);
    } catch (error) {
      if (error instanceof Conflict) await this.refuseIfPending(kind.use);
      throw error;
    }
    const added = new Set(keys.map((k) => k.kid));
    return (await this.describe(kind.use)).filter((k) => added.has(k.kid));
  }

  /**
   * Puts keys read from files into a store without keys of that use: returns the kids added,
   * none when every one is there already; KeyImportRefused when the store has other keys.
   * Previous keys verify for `lifetimeSeconds` from now; next keys sign one `publishDelaySeconds` after another.
   */
  async adopt(kind: KeyKind, adopted: AdoptedKey[], publishDelaySeconds: number): Promise<string[]> {
    const existing = await this.store.list(kind.use);
    const known = new Set(existing.map((k) => k.kid));
    if (adopted.every((a) => known.has(a.material.kid))) return [];
    if (existing.length) throw new KeyImportRefused(kind);
    const now = this.clock();
    const keys: NewSigningKey[] = [];
    const algs = [...new Set(adopted.map((a) => a.material.alg))];
    for (const alg of algs) {
      const line = adopted.filter((a) => a.material.alg === alg).sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role]);
      let signsFrom = now;
      let previous: NewSigningKey | undefined;
      for (const { material, role } of line) {
        if (role === 'next') signsFrom = addSeconds(signsFrom, publishDelaySeconds);
        const key = this.newKey(kind.use, material, previous?.kid ?? null, now, role === 'previous' ? now : signsFrom);
        if (previous) {
          previous.deactivatedAt = key.activatesAt;
          previous.retiresAt = addSeconds(key.activatesAt, kind.lifetimeSeconds);
        }
        keys.push(key);
        previous = key;
      }
    }
    await this.store.add(keys, []);
    return keys.map((k) => k.kid);
  }

  /**
   * At a node's start: a use without keys gets the ones `fromFiles` finds (files or configuration), else a generated set
   * (logged). Two nodes starting together add one set: the loser of the race reads the winner's.
   */
  async ensure(kind: KeyKind, fromFiles: () => Promise<AdoptedKey[]>, publishDelaySeconds: number, log: Logger): Promise<void> {
    if ((await this.store.list(kind.use)).length) return;
    const adopted = await fromFiles();
    try {
      if (adopted.length) {
        const kids = await this.adopt(kind, adopted, publishDelaySeconds);
        log.info({ use: kind.use, kids }, 'keys imported into the store from the keys folder or the configuration');
      } else {
        const material = await kind.generate();
        const now = this.clock();
        await this.store.add(material.map((m) => this.newKey(kind.use, m, null, now, now)), []);
        log.warn({ use: kind.use, kids: material.map((m) => m.kid) }, 'no keys of this use in the store: generated a new key set');
      }
    } catch (error) {
      if (!(error instanceof Conflict) && !(error instanceof KeyImportRefused)) throw error;
      log.info({ use: kind.use }, 'keys added meanwhile by another node: using them');
    }
  }

  /** Marks retired the keys past their retiresAt, destroying their private part. */
  retire(): Promise<string[]> {
    return this.store.retire(this.clock());
  }

  private async refuseIfPending(use: SigningKeyUse): Promise<void> {
    const pending = (await this.describe(use)).filter((k) => k.state === 'next');
    if (pending.length) throw new RotationPending(use, pending);
  }

  private newKey(use: SigningKeyUse, material: KeyMaterial, succeeds: string | null, now: Date, activatesAt: Date): NewSigningKey {
    return {
      kid: material.kid, use, alg: material.alg, publicKey: material.publicKey,
      sealedPrivateKey: this.box.seal(material.privateKey),
      succeeds, createdAt: now, activatesAt, deactivatedAt: null, retiresAt: null,
    };
  }

  private open(sealed: string): string {
    try {
      return this.box.open(sealed);
    } catch {
      throw new ConfigError('keys', ['the signing keys in the store cannot be decrypted: HUB_SECRETS_KEY is not the key that sealed them']);
    }
  }
}

/** The last key of an algorithm's line: the one no other key succeeds. */
function headOf(records: SigningKeyRecord[], alg: SigningKeyAlg): SigningKeyRecord | undefined {
  const line = records.filter((k) => k.alg === alg);
  const replaced = new Set(line.map((k) => k.succeeds));
  return line.find((k) => !replaced.has(k.kid));
}

/**
 * Reads the published keys of one use every `seconds` and hands them to `apply` when the set or
 * a state changed (a rotation on another node, or a key's time come). A failed read keeps the
 * keys in use and is logged; the next tick tries again.
 */
export class KeyRefresh {
  private timer: NodeJS.Timeout | undefined;
  private fingerprint = '';
  private running: Promise<void> | undefined;

  constructor(
    private readonly ring: SigningKeyRing,
    private readonly use: SigningKeyUse,
    private readonly apply: (keys: LiveKey[]) => void,
    private readonly log: Logger,
  ) {}

  /** Reads and applies once: at start (errors propagate) and on every tick. */
  async refresh(): Promise<void> {
    const keys = await this.ring.live(this.use);
    const fingerprint = keys.map((k) => `${k.kid}:${k.state}`).join(',');
    if (fingerprint === this.fingerprint) return;
    this.apply(keys);
    if (this.fingerprint) this.log.info({ use: this.use, keys: fingerprint }, 'signing keys changed: now in use');
    this.fingerprint = fingerprint;
  }

  start(seconds: number): void {
    this.timer = setInterval(() => {
      this.running ??= this.refresh()
        .catch((error: unknown) => this.log.warn({ use: this.use, err: error }, 'signing keys could not be read again: the current ones stay in use'))
        .finally(() => { this.running = undefined; });
    }, seconds * 1000);
    this.timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
