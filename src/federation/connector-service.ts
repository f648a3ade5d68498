/**
 * Stored connector operations done on someone's behalf (`hub connectors …`, the admin API). A document is validated with the YAML's own schema (stored.ts) before anything is
 * written; a connector the YAML files declare is theirs, and the store never takes its id.
 */
import type { Actor } from '../identity/actor.js';
import { ConfigError, Conflict, HubError, NotFound } from '../shared/errors.js';
import { AuditWriter } from '../storage/ports/audit-writer.js';
import type { ConnectorStore, PlatformStore, StoredConnector } from '../storage/ports/index.js';
import type { ConnectorConfig } from './config.js';
import type { ConnectorRegistry } from './core/registry.js';
import { connectorRecord, parseConnectorDocument, type ConnectorOwner } from './stored.js';

/** A connector of the YAML files, with its owner and the file that declares it (for messages). */
export interface ConnectorInFiles {
  config: ConnectorConfig;
  tenantId: string | null;
  where: string;
}

export interface ConnectorPorts {
  store: PlatformStore;
  inFiles: readonly ConnectorInFiles[];
  /** The connector types, each checking its own settings. */
  registry: ConnectorRegistry;
  /**
   * Told once a stored connector was added or removed, in a served hub: this process opens or
   * closes it at once (the others read the store every `federation.reloadSeconds`). The CLI has none.
   */
  changed?: () => Promise<void>;
}

/** The stored connectors of an owner; refused for an unknown tenant. */
export async function connectorsOf(store: PlatformStore, owner: ConnectorOwner): Promise<ConnectorStore> {
  if (owner === null) return store.connectors;
  if (!(await store.tenants.get(owner))) throw new HubError('invalid_argument', `unknown tenant "${owner}" (see hub tenants list)`, { status: 400 });
  return store.forTenant(owner).connectors;
}

export interface NewConnector {
  owner: ConnectorOwner;
  /** The connector as written (secrets as references); kept as it is. */
  document: Record<string, unknown>;
  /** What the document is called in error messages (`connector file x.yaml`). */
  source: string;
}

/** Registers a connector; every hub process opens it within `federation.reloadSeconds`. */
export async function addConnector(ports: ConnectorPorts, actor: Actor, connector: NewConnector): Promise<StoredConnector> {
  const parsed = parseConnectorDocument(connector.document, connector.owner, ports.registry);
  if (!parsed.ok) throw new ConfigError(connector.source, parsed.issues);
  const config = parsed.config;
  const connectors = await connectorsOf(ports.store, connector.owner);
  // The YAML would win at start and this row would never be used: say so now.
  const inFile = ports.inFiles.find((d) => d.config.id === config.id);
  if (inFile) throw new Conflict('connectorId', `connector id "${config.id}" is already declared in ${inFile.where}`);
  const row = await connectors.create(connectorRecord(connector.document, config));
  await new AuditWriter(ports.store, actor, connector.owner)
    .write('connector.added', { details: { connector: row.id, type: row.type, profile: row.profile, enabled: row.enabled } });
  await ports.changed?.();
  return row;
}

/** Removes a stored connector; one the YAML files declare is refused (edit the file). */
export async function removeConnector(ports: ConnectorPorts, actor: Actor, owner: ConnectorOwner, id: string): Promise<void> {
  const connectors = await connectorsOf(ports.store, owner);
  if (!(await connectors.get(id))) {
    const inFile = ports.inFiles.find((d) => d.config.id === id);
    throw inFile
      ? new HubError('invalid_argument', `connector "${id}" is declared in ${inFile.where}, not in the store: edit that file`, { status: 400 })
      : new NotFound(`connector "${id}" of ${owner ?? 'platform'}`);
  }
  await connectors.remove(id);
  await new AuditWriter(ports.store, actor, owner).write('connector.removed', { details: { connector: id } });
  await ports.changed?.();
}
