/**
 * The registry of connector types (one entry per kind, looked up by the config's `type`), and the
 * slot each declared connector lives in: opened, or unavailable while a file it needs is not
 * there yet (an IdP's metadata before the metadata exchange) or its metadata URL cannot be
 * reached. createFederation (../index.ts) retries unavailable slots until they open.
 */
import type { z } from 'zod';
import { HubError } from '../../shared/errors.js';
import { checkedConnectorSchema, type ConnectorConfig, type ConnectorOwner, type ConnectorSettingsCheck } from '../config.js';
import type { ConnectorContext, ConnectorType, OpenConnector } from './connector.js';

/**
 * Thrown by a type's open() when the connector cannot open *yet*: a file it needs does not exist
 * (ENOENT) or its IdP metadata URL does not answer. Anything else it throws is a configuration
 * error. `partial` is what the connector can already offer without the upstream (a SAML SP's own
 * metadata, which the IdP needs to produce its own); its other capabilities answer "unavailable".
 */
export class ConnectorUnavailable extends HubError {
  constructor(message: string, readonly partial: OpenConnector | null = null) {
    super('connector_unavailable', message, { status: 503, expose: false });
  }

  withPartial(partial: OpenConnector): ConnectorUnavailable {
    return new ConnectorUnavailable(this.message, partial);
  }
}

/** Thrown by a type's open() when the connector's configuration is wrong: it stops the start (see ConnectorSlot.attempt). */
export class ConnectorMisconfigured extends HubError {
  constructor(message: string, cause?: unknown) {
    super('connector_misconfigured', message, { status: 500, expose: false, cause });
  }
}

/** `err` as a ConnectorUnavailable when it is a missing file (ENOENT), else null. */
export function missingFile(err: unknown, what: string, file: string): ConnectorUnavailable | null {
  return (err as NodeJS.ErrnoException | null)?.code === 'ENOENT' ? new ConnectorUnavailable(`${what}: ${file} is not there yet`) : null;
}

export type SlotState =
  | { kind: 'opened'; connector: OpenConnector }
  /** `reason` is stable from one attempt to the next while nothing changes (it is logged once). */
  | { kind: 'unavailable'; reason: string; partial: OpenConnector | null; invalid: boolean };

/** A declared, enabled connector and its state. */
export class ConnectorSlot {
  #state: SlotState = { kind: 'unavailable', reason: 'not opened yet', partial: null, invalid: false };

  constructor(readonly config: ConnectorConfig, readonly tenantId: string | null) {}

  get id(): string {
    return this.config.id;
  }

  get state(): SlotState {
    return this.#state;
  }

  /** The open connector, or null while unavailable. */
  get opened(): OpenConnector | null {
    return this.#state.kind === 'opened' ? this.#state.connector : null;
  }

  /** What the HTTP routes see: the open connector, else what an unavailable one already offers (or nothing). */
  get routed(): OpenConnector | null {
    return this.#state.kind === 'opened' ? this.#state.connector : this.#state.partial;
  }

  /**
   * Tries to open the connector. Returns true when the state changed (opened, or unavailable for
   * another reason). A configuration error is thrown when `fatal` (at start: it stops the hub);
   * on a retry it leaves the slot unavailable with that reason (`invalid`), and is tried again.
   */
  async attempt(registry: ConnectorRegistry, context: ConnectorContext, fatal: boolean): Promise<boolean> {
    if (this.#state.kind === 'opened') return false;
    let next: SlotState;
    try {
      next = { kind: 'opened', connector: await registry.open(this.config, this.tenantId, context) };
    } catch (err) {
      if (err instanceof ConnectorUnavailable) next = { kind: 'unavailable', reason: err.message, partial: err.partial, invalid: false };
      else if (fatal) throw err;
      else next = { kind: 'unavailable', reason: (err as Error).message, partial: null, invalid: true };
    }
    const previous = this.#state;
    this.#state = next;
    if (previous.kind === 'unavailable') await previous.partial?.close();
    return next.kind === 'opened' || next.reason !== (previous.kind === 'unavailable' ? previous.reason : '');
  }

  async close(): Promise<void> {
    await this.routed?.close();
  }
}

/**
 * The connector types, by name: a new type is its folder (connectors/<type>/) and one
 * `register` line in defaultRegistry() (../index.ts). Each type validates the section of the
 * connector named after it (`settingsCheck`), so that the shared schema of ../config.ts and the
 * configuration loaders, which are handed the check, need no connector type.
 */
export class ConnectorRegistry {
  readonly #types = new Map<string, ConnectorType>();

  register(type: ConnectorType): this {
    if (this.#types.has(type.type)) throw new HubError('connector_type_registered_twice', `connector type ${type.type} registered twice`);
    this.#types.set(type.type, type);
    return this;
  }

  has(type: string): boolean {
    return this.#types.has(type);
  }

  /** Why a connector of this type cannot be a platform connector, or undefined when it can. */
  tenantOnly(type: string): string | undefined {
    return this.#types.get(type)?.tenantOnly;
  }

  /** Problems of a document's type and of its section, with paths from the connector (`saml.signing`). */
  readonly settingsCheck: ConnectorSettingsCheck = (document) => {
    const { type } = document;
    if (typeof type !== 'string') return [];
    const connectorType = this.#types.get(type);
    if (!connectorType) {
      const names = [...this.#types.keys()].map((name) => JSON.stringify(name)).join('|');
      return [{ code: 'custom', path: ['type'], message: `Invalid option: expected one of ${names}`, input: type }];
    }
    if (document[type] === undefined) return [];
    const parsed = connectorType.settingsSchema.safeParse(document[type]);
    return parsed.success ? [] : parsed.error.issues.map((issue): z.core.$ZodIssue => ({ ...issue, path: [type, ...issue.path] }));
  };

  /** The whole schema of a connector of this owner: the shared fields and its type's section. */
  connectorSchema(owner: ConnectorOwner) {
    return checkedConnectorSchema(owner, this.settingsCheck);
  }

  /**
   * Opens an enabled connector; its settings are read by the type's own schema (defaults applied).
   * Throws ConnectorUnavailable when it cannot open yet (see there), any other error otherwise.
   */
  async open(config: ConnectorConfig, tenantId: string | null, context: ConnectorContext): Promise<OpenConnector> {
    const type = this.#types.get(config.type);
    if (!type) throw new ConnectorMisconfigured(`connector ${config.id}: unknown type ${config.type}`);
    return type.open(config, type.settingsSchema.parse(config.settings), tenantId, context);
  }
}
