/** The registry of connector types: one entry per kind, looked up by the config's `type`. */
import type { ConnectorConfig } from '../config.js';
import type { ConnectorContext, ConnectorType, OpenConnector } from './connector.js';

export class ConnectorRegistry {
  readonly #types = new Map<string, ConnectorType>();

  register(type: ConnectorType): this {
    if (this.#types.has(type.type)) throw new Error(`connector type ${type.type} registered twice`);
    this.#types.set(type.type, type);
    return this;
  }

  has(type: string): boolean {
    return this.#types.has(type);
  }

  /** Opens an enabled connector; its settings are validated again by the type's own schema. */
  async open(config: ConnectorConfig, tenantId: string | null, context: ConnectorContext): Promise<OpenConnector> {
    const type = this.#types.get(config.type);
    if (!type) throw new Error(`connector ${config.id}: unknown type ${config.type}`);
    const section = config.type === 'saml' ? config.saml : config.oidc;
    const settings = type.configSchema.parse(section);
    return type.open(config, settings, tenantId, context);
  }
}
