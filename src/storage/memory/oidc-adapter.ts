/**
 * oidc-provider models in process memory, for the embedded default only: a single process,
 * nothing survives a restart. Expired records are dropped when read and swept periodically.
 */
import { GRANTABLE_MODELS, type AdapterPayload, type OidcModelAdapter } from '../ports/oidc-adapter.js';

interface Entry {
  payload: AdapterPayload;
  expiresAt: number;
}

/** One shared space for all models, as keys are namespaced by model. */
export class MemoryOidcStore {
  readonly entries = new Map<string, Entry>();
  readonly grants = new Map<string, Set<string>>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(sweepEveryMs = 60_000) {
    this.sweeper = setInterval(() => this.sweep(), sweepEveryMs).unref();
  }

  get(key: string): AdapterPayload | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.payload;
  }

  set(key: string, payload: AdapterPayload, expiresIn: number): void {
    this.entries.set(key, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : Number.POSITIVE_INFINITY });
  }

  sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}

export class MemoryOidcAdapter implements OidcModelAdapter {
  constructor(private readonly store: MemoryOidcStore, private readonly model: string) {}

  private key(id: string): string {
    return `${this.model}:${id}`;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    const key = this.key(id);
    this.store.set(key, payload, expiresIn);
    if (GRANTABLE_MODELS.has(this.model) && payload.grantId) {
      const keys = this.store.grants.get(payload.grantId) ?? new Set<string>();
      this.store.grants.set(payload.grantId, keys.add(key));
    }
    if (payload.userCode) this.store.set(`userCode:${payload.userCode}`, { id }, expiresIn);
    if (payload.uid) this.store.set(`uid:${payload.uid}`, { id }, expiresIn);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const payload = this.store.get(this.key(id));
    return payload && { ...payload };
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const ref = this.store.get(`uid:${uid}`);
    return typeof ref?.id === 'string' ? this.find(ref.id) : undefined;
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    const ref = this.store.get(`userCode:${userCode}`);
    return typeof ref?.id === 'string' ? this.find(ref.id) : undefined;
  }

  async consume(id: string): Promise<void> {
    const entry = this.store.entries.get(this.key(id));
    if (entry) entry.payload = { ...entry.payload, consumed: Math.floor(Date.now() / 1000) };
  }

  async destroy(id: string): Promise<void> {
    this.store.entries.delete(this.key(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    for (const key of this.store.grants.get(grantId) ?? []) this.store.entries.delete(key);
    this.store.grants.delete(grantId);
  }
}
