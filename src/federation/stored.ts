/**
 * Connectors registered in the store (`hub connectors add`) rather than in YAML. The store keeps
 * the document as the operator wrote it; it is validated here with the very schemas of the YAML
 * (config.ts, and its type's through the registry) when it is written, and again when it is
 * read: a row written by an older hub, or edited by hand, that no longer validates is reported
 * and skipped, never fatal.
 */
import type { z } from 'zod';
import { formatIssues } from '../shared/zod-issues.js';
import type { Logger } from '../shared/logger.js';
import type { NewStoredConnector, PlatformStore, StoredConnector } from '../storage/ports/index.js';
import type { ConnectorConfig, ConnectorOwner } from './config.js';
import { ConnectorMisconfigured, type ConnectorRegistry } from './core/registry.js';

export type { ConnectorOwner };

export type ParsedConnector = { ok: true; config: ConnectorConfig } | { ok: false; issues: string[] };

/**
 * What the connector kinds would refuse when opened, said at once: the académie profile, and the
 * types that say so (the OIDC connector, which serves it), match accounts in one tenant.
 */
function ownerIssues(config: ConnectorConfig, owner: ConnectorOwner, registry: ConnectorRegistry): string[] {
  if (owner !== null) return [];
  const issues: string[] = [];
  if (config.profile === 'academie') issues.push('profile: an académie connector belongs to a tenant (use --tenant)');
  const tenantOnly = registry.tenantOnly(config.type);
  if (tenantOnly) issues.push(`type: ${tenantOnly}`);
  return issues;
}

/** Validates a connector document with the YAML's schema (the platform's or a tenant's); issues as `path: message`. */
export function parseConnectorDocument(document: unknown, owner: ConnectorOwner, registry: ConnectorRegistry): ParsedConnector {
  const parsed = registry.connectorSchema(owner).safeParse(document);
  if (!parsed.success) return { ok: false, issues: formatIssues(parsed.error as z.ZodError) };
  const issues = ownerIssues(parsed.data, owner, registry);
  return issues.length > 0 ? { ok: false, issues } : { ok: true, config: parsed.data };
}

/**
 * The row for a valid document: the columns the listing needs come from the parsed (effective)
 * values; the document itself is kept as written, so later defaults apply to it too.
 */
export function connectorRecord(document: Record<string, unknown>, config: ConnectorConfig): NewStoredConnector {
  return { id: config.id, type: config.type, profile: config.profile, displayName: config.displayName, enabled: config.enabled, config: document };
}

/** A stored row back to a configuration, or its problems (the document's own, or a row that disagrees with it). */
export function storedConnectorConfig(row: StoredConnector, registry: ConnectorRegistry): ParsedConnector {
  const parsed = parseConnectorDocument(row.config, row.tenantId, registry);
  if (!parsed.ok) return parsed;
  // The id is the row's key: a document naming another id would be routed under the wrong name.
  if (parsed.config.id !== row.id) return { ok: false, issues: [`id: the document says "${parsed.config.id}", the row "${row.id}"`] };
  return parsed;
}

export interface DeclaredConnector {
  config: ConnectorConfig;
  tenantId: string | null;
  origin: 'config' | 'store';
}

/** The stored connector rows of the platform and of the given tenants, as they are. */
export async function storedConnectorRows(store: PlatformStore, tenantIds: string[]): Promise<StoredConnector[]> {
  return [
    ...(await store.connectors.list()),
    ...(await Promise.all(tenantIds.map((id) => store.forTenant(id).connectors.list()))).flat(),
  ];
}

/** The valid ones of these rows; an invalid row is logged (one line, with every problem) and left out. */
export function validStoredConnectors(rows: StoredConnector[], log: Logger, registry: ConnectorRegistry): DeclaredConnector[] {
  const valid: DeclaredConnector[] = [];
  for (const row of rows) {
    const parsed = storedConnectorConfig(row, registry);
    if (parsed.ok) valid.push({ config: parsed.config, tenantId: row.tenantId, origin: 'store' });
    else log.error({ connector: row.id, tenant: row.tenantId, issues: parsed.issues }, `stored connector ${row.id} is invalid and was skipped: ${parsed.issues.join('; ')}`);
  }
  return valid;
}

/**
 * The valid stored connectors of the platform and of the given tenants (see
 * validStoredConnectors); a store that cannot be read is left to fail the start like any other
 * database error.
 */
export async function loadStoredConnectors(store: PlatformStore, tenantIds: string[], log: Logger, registry: ConnectorRegistry): Promise<DeclaredConnector[]> {
  return validStoredConnectors(await storedConnectorRows(store, tenantIds), log, registry);
}

/**
 * YAML first, then the store; an id declared in YAML wins over a stored one (logged), so a file
 * under review cannot be overridden from the CLI. Two YAML declarations of one id stay an error.
 */
export function mergeDeclared(fromFiles: DeclaredConnector[], fromStore: DeclaredConnector[], log: Logger): DeclaredConnector[] {
  const seen = new Map<string, DeclaredConnector>();
  for (const declared of fromFiles) {
    const earlier = seen.get(declared.config.id);
    // As before stored connectors existed: only two enabled declarations are a conflict.
    if (earlier?.config.enabled && declared.config.enabled) throw new ConnectorMisconfigured(`connector id ${declared.config.id} is declared twice`);
    if (!earlier || declared.config.enabled) seen.set(declared.config.id, declared);
  }
  for (const declared of fromStore) {
    const winner = seen.get(declared.config.id);
    if (winner) {
      log.warn({ connector: declared.config.id, storeTenant: declared.tenantId, fileTenant: winner.tenantId }, `connector ${declared.config.id} is declared in YAML and in the store: the YAML declaration is used`);
      continue;
    }
    seen.set(declared.config.id, declared);
  }
  return [...seen.values()];
}
