/** Named, expiring locks: a holder that dies loses its lock after `ttlMs`, never forever. */
export interface Lease {
  /** Still held? (false once it expired or was taken over). */
  readonly held: () => boolean;
  release(): Promise<void>;
}

export interface LockService {
  /** The lease (renewed in the background while held), or null when someone else holds it. */
  acquire(name: string, ttlMs: number): Promise<Lease | null>;
}
