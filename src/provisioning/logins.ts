/**
 * Logins for the accounts a run creates, as `pickLogins` gives them (`base`, then `base2`,
 * `base3`…, the first one free platform-wide), without asking the store again for a base it
 * already asked about: common names come back in every batch, and refetching all their
 * counters each time made a large import quadratic.
 *
 * Per base, the run keeps the first free counter and the taken counters above it (usually
 * none), learnt from the store once, then updated with every login it hands out. What the
 * store learns meanwhile comes from this run only: earlier batches are committed before a
 * later one asks about a new base. So that memory does not grow with the directory, the
 * bases least recently used are forgotten past a bound (and asked about again if they return).
 */
import { loginProblem } from '../identity/login.js';
import type { ImportStore } from '../storage/ports/imports.js';
import { InvariantBroken } from '../shared/errors.js';

const MAX_LOGIN_LENGTH = 64;
const DEFAULT_KEPT_BASES = 100_000;
const COUNTER = /^[1-9]\d*$/;

interface BaseState {
  /** Smallest counter not taken (1 stands for the bare base). */
  next: number;
  /** Taken counters above `next`; null while there are none (nearly always: a Set per base would weigh more than the rest of the run's memory). */
  above: Set<number> | null;
}

function loginOf(base: string, counter: number): string {
  const login = counter === 1 ? base : `${base}${counter}`;
  // The checks of login-generator's candidates: a caller's mistake, or a base too long for its counter.
  const problem = login.length > MAX_LOGIN_LENGTH ? 'too long' : loginProblem(login);
  if (problem) throw new InvariantBroken(`generated login ${JSON.stringify(login)}: ${problem}`);
  return login;
}

export class LoginAllocator {
  private readonly bases = new Map<string, BaseState>();

  constructor(private readonly store: Pick<ImportStore, 'takenLogins'>, private readonly keptBases = DEFAULT_KEPT_BASES) {}

  /**
   * Unique logins for `bases`, in order: homonyms of one batch get `base`, `base2`… The logins
   * of earlier calls must be in the store by now (forgotten bases are asked about again).
   */
  async pick(bases: readonly string[]): Promise<string[]> {
    for (const base of bases) {
      // Map order is the recency order: a base of this batch moves to the end.
      const state = this.bases.get(base);
      if (state) {
        this.bases.delete(base);
        this.bases.set(base, state);
      }
    }
    for (const base of this.bases.keys()) {
      if (this.bases.size <= this.keptBases) break;
      this.bases.delete(base);
    }
    const unknown = [...new Set(bases.filter((b) => !this.bases.has(b)))];
    if (unknown.length > 0) {
      const taken = await this.store.takenLogins(unknown);
      for (const base of unknown) this.bases.set(base, { next: 1, above: null });
      for (const login of taken) this.markTaken(login);
    }
    return bases.map((base) => {
      const state = this.bases.get(base)!;
      const login = loginOf(base, state.next);
      this.markTaken(login);
      return login;
    });
  }

  /**
   * A login is a candidate of its own base and of every base it extends with a counter
   * (`jean.dupont2` is also `jean.dupont` #2): each such base known here learns it is taken.
   */
  private markTaken(login: string): void {
    this.take(login, 1);
    for (let cut = login.length - 1; cut > 0; cut--) {
      const code = login.charCodeAt(cut);
      if (code < 0x30 || code > 0x39) break;
      const suffix = login.slice(cut);
      if (!COUNTER.test(suffix)) continue;
      const counter = Number(suffix);
      if (counter >= 2) this.take(login.slice(0, cut), counter);
    }
  }

  private take(base: string, counter: number): void {
    const state = this.bases.get(base);
    if (!state || counter < state.next) return;
    if (counter > state.next) {
      (state.above ??= new Set()).add(counter);
      return;
    }
    state.next += 1;
    while (state.above?.delete(state.next)) state.next += 1;
    if (state.above?.size === 0) state.above = null;
  }
}
