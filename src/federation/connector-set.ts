/**
 * The connectors one hub process runs, each in its slot (core/registry.ts). Those of the YAML
 * files are opened at start, and a wrong one stops it. Those of the store are read again every
 * `federation.reloadSeconds`, so that every process of a cluster follows what an admin did through
 * any of them: a new connector is opened, a removed (or disabled) one closed, a changed one opened
 * anew and only then swapped in, so a sign-in in progress finds a connector under its id all
 * along (its state lives in the shared ephemeral store, not in the connector). Unavailable slots
 * are opened again every `federation.retrySeconds`. One task (retry or reload) runs at a time.
 */
import type { Logger } from '../shared/logger.js';
import type { PlatformStore, StoredConnector } from '../storage/ports/index.js';
import type { ConnectorContext, OpenConnector } from './core/connector.js';
import { ConnectorMisconfigured, type ConnectorRegistry, ConnectorSlot } from './core/registry.js';
import { mergeDeclared, storedConnectorRows, validStoredConnectors, type DeclaredConnector } from './stored.js';

export interface ConnectorSetDeps {
  registry: ConnectorRegistry;
  context: ConnectorContext;
  store: PlatformStore;
  /** The tenants whose stored connectors are read. */
  tenantIds: string[];
  /** The connectors of the YAML files: opened at start, never reloaded. */
  fromFiles: DeclaredConnector[];
  retrySeconds: number;
  reloadSeconds: number;
  log: Logger;
}

interface Entry {
  slot: ConnectorSlot;
  origin: DeclaredConnector['origin'];
  /** The declaration it was opened from: a stored connector whose declaration changed is opened anew. */
  declaration: string;
}

const declarationOf = ({ config, tenantId }: DeclaredConnector): string => JSON.stringify([tenantId, config]);
/** What a reload compares: nothing changed in the store, nothing to do (and nothing logged again). */
const rowsOf = (rows: StoredConnector[]): string => JSON.stringify(rows.map((row) => [row.tenantId, row.id, row.config]));

export class ConnectorSet {
  /** What the HTTP routes see: the open connectors, and what an unavailable one already offers (a SAML SP's metadata). */
  readonly routed = new Map<string, OpenConnector>();
  readonly #entries = new Map<string, Entry>();
  #rows = '';
  #work: Promise<void> = Promise.resolve();
  #busy = new Set<'retry' | 'reload'>();
  #retryTimer: NodeJS.Timeout | null = null;
  #reloadTimer: NodeJS.Timeout | null = null;
  #closed = false;

  private constructor(private readonly deps: ConnectorSetDeps) {}

  /** Opens the connectors of the files and of the store; a file's connector that cannot be opened stops the start (ConnectorMisconfigured). */
  static async open(deps: ConnectorSetDeps): Promise<ConnectorSet> {
    const set = new ConnectorSet(deps);
    try {
      const rows = await storedConnectorRows(deps.store, deps.tenantIds);
      set.#rows = rowsOf(rows);
      const declared = mergeDeclared(deps.fromFiles, validStoredConnectors(rows, deps.log, deps.registry), deps.log);
      for (const connector of declared) {
        if (!connector.config.enabled) continue;
        const entry = await set.#openEntry(connector, connector.origin === 'config');
        if (entry) set.#put(entry);
      }
    } catch (err) {
      await set.close();
      throw err;
    }
    set.#retryWhileUnavailable();
    // Only now: a reload must not run beside the first opening, which is not a queued task.
    set.#reloadTimer = setInterval(() => set.#schedule('reload', () => set.#reload()), deps.reloadSeconds * 1000);
    set.#reloadTimer.unref();
    return set;
  }

  /** The enabled connectors, opened or not, in declaration order. */
  slots(): ConnectorSlot[] {
    return [...this.#entries.values()].map((entry) => entry.slot);
  }

  get(id: string): ConnectorSlot | undefined {
    return this.#entries.get(id)?.slot;
  }

  /** Reads the stored connectors again now (after a change made through this process). */
  reload(): Promise<void> {
    return this.#schedule('reload', () => this.#reload());
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#reloadTimer) clearInterval(this.#reloadTimer);
    if (this.#retryTimer) clearInterval(this.#retryTimer);
    await this.#work;
    await Promise.all(this.slots().map((slot) => slot.close()));
  }

  /** Queues a task behind the running one; a task of a kind already waiting is not queued twice. */
  #schedule(kind: 'retry' | 'reload', task: () => Promise<void>): Promise<void> {
    if (this.#busy.has(kind)) return this.#work;
    this.#busy.add(kind);
    this.#work = this.#work.then(async () => {
      this.#busy.delete(kind);
      if (!this.#closed) await task();
    }).catch((err: Error) => this.deps.log.error({ err: err.message }, `connector ${kind} failed: ${err.message}`));
    return this.#work;
  }

  /** A slot for the connector, tried once; null for a stored one that cannot be opened (logged), thrown for a file's when `fatal`. */
  async #openEntry(connector: DeclaredConnector, fatal: boolean): Promise<Entry | null> {
    const { config, tenantId, origin } = connector;
    const slot = new ConnectorSlot(config, tenantId);
    try {
      // A file is reviewed before a start and stops it when wrong; a connector added at run
      // time must not keep the whole hub down (unknown type, invalid key): it is skipped.
      await slot.attempt(this.deps.registry, this.deps.context, true);
    } catch (err) {
      const message = (err as Error).message.replace(`connector ${config.id}: `, '');
      if (fatal) throw new ConnectorMisconfigured(`connector ${config.id}${tenantId ? ` (tenant ${tenantId})` : ''} cannot be opened: ${message}`, err);
      this.deps.log.error({ connector: config.id, tenant: tenantId, err: message }, `stored connector ${config.id} cannot be opened and was skipped: ${message}`);
      return null;
    }
    if (!slot.opened) this.#report(slot);
    return { slot, origin, declaration: declarationOf(connector) };
  }

  #put(entry: Entry): void {
    this.#entries.set(entry.slot.id, entry);
    this.#route(entry.slot);
  }

  #route(slot: ConnectorSlot): void {
    const routed = slot.routed;
    if (routed) this.routed.set(slot.id, routed);
    else this.routed.delete(slot.id);
  }

  #report(slot: ConnectorSlot): void {
    const { log, retrySeconds } = this.deps;
    const state = slot.state;
    const where = { connector: slot.id, tenant: slot.tenantId };
    if (state.kind === 'opened') log.info(where, `connector ${slot.id} opened: it is offered on the login page`);
    else if (state.invalid) log.error({ ...where, reason: state.reason }, `connector ${slot.id} still unavailable, its configuration is wrong (retrying every ${retrySeconds} s): ${state.reason}`);
    else log.warn({ ...where, reason: state.reason }, `connector ${slot.id} unavailable (retrying every ${retrySeconds} s${state.partial ? '; its SP metadata is served' : ''}): ${state.reason}`);
  }

  /** Starts the retries while a slot is unavailable (a log line only when a slot's state changes); they stop once all are open. */
  #retryWhileUnavailable(): void {
    if (this.#retryTimer || this.#closed || this.slots().every((slot) => slot.opened)) return;
    this.#retryTimer = setInterval(() => this.#schedule('retry', () => this.#retry()), this.deps.retrySeconds * 1000);
    this.#retryTimer.unref();
  }

  async #retry(): Promise<void> {
    for (const slot of this.slots()) {
      if (slot.opened) continue;
      if (await slot.attempt(this.deps.registry, this.deps.context, false)) this.#report(slot);
      this.#route(slot);
    }
    if (this.#retryTimer && this.slots().every((slot) => slot.opened)) {
      clearInterval(this.#retryTimer);
      this.#retryTimer = null;
    }
  }

  async #reload(): Promise<void> {
    const { store, tenantIds, log, registry, fromFiles } = this.deps;
    const rows = await storedConnectorRows(store, tenantIds);
    const seen = rowsOf(rows);
    if (seen === this.#rows) return;
    const wanted = new Map(mergeDeclared(fromFiles, validStoredConnectors(rows, log, registry), log)
      .filter((connector) => connector.origin === 'store' && connector.config.enabled)
      .map((connector) => [connector.config.id, connector]));
    for (const [id, entry] of this.#entries) {
      if (entry.origin !== 'store') continue;
      const next = wanted.get(id);
      if (next && declarationOf(next) === entry.declaration) wanted.delete(id);
      else if (!next) await this.#remove(id, entry);
    }
    for (const connector of wanted.values()) await this.#replace(connector);
    // Once applied: a reload that failed halfway is done again at the next tick.
    this.#rows = seen;
    this.#retryWhileUnavailable();
  }

  async #remove(id: string, entry: Entry): Promise<void> {
    this.#entries.delete(id);
    this.routed.delete(id);
    await entry.slot.close();
    this.deps.log.info({ connector: id, tenant: entry.slot.tenantId }, `connector ${id} removed from the store: closed`);
  }

  /** Opens a new or changed stored connector, then puts it in the place of the old one (if any), then closes that. */
  async #replace(connector: DeclaredConnector): Promise<void> {
    const id = connector.config.id;
    const old = this.#entries.get(id);
    const entry = await this.#openEntry(connector, false);
    if (entry) this.#put(entry);
    else if (old) {
      this.#entries.delete(id);
      this.routed.delete(id);
    }
    await old?.slot.close();
    this.deps.log.info({ connector: id, tenant: connector.tenantId }, `connector ${id} ${old ? 'changed in' : 'added to'} the store: ${entry ? 'opened' : 'skipped'}`);
  }
}
