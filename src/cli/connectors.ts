/**
 * `hub connectors add|list|remove`: upstream connectors kept in the store, beside those of the
 * YAML files. A document is validated with the YAML's own schema before anything is written;
 * listings show what a connector is, never its settings (secrets are references, but issuers,
 * key paths and client ids are still no one's business on a shared terminal).
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { readYamlFile } from '../config/load.js';
import { addConnector, connectorsOf, removeConnector } from '../federation/connector-service.js';
import { defaultRegistry } from '../federation/index.js';
import { storedConnectorConfig, type ConnectorOwner } from '../federation/stored.js';
import { CLI_OPERATOR } from '../identity/actor.js';
import { ConfigError } from '../shared/errors.js';
import { connectorsInFiles } from '../wiring/tenants.js';
import { printJsonOr, withStore } from './context.js';

interface OwnerOptions {
  tenant?: string;
  platform?: boolean;
}

/** What a listing shows of a connector. */
interface ConnectorView {
  id: string;
  tenant: string | null;
  /** `config`: config/*.yaml or tenants/*.yaml; `store`: added with this command. */
  origin: 'config' | 'store';
  type: string;
  profile: string;
  displayName: string;
  enabled: boolean;
  linkOnly: boolean | null;
  /** `ok`; `invalid` (skipped at start); `shadowed` (a YAML declaration has the same id and wins). */
  state: 'ok' | 'invalid' | 'shadowed';
  problems?: string[];
}

/** Exactly one owner: a forgotten --tenant must not register a platform connector. */
function ownerOf(command: Command, o: OwnerOptions): ConnectorOwner {
  if (o.tenant !== undefined && o.platform) command.error('error: --tenant and --platform exclude each other');
  if (o.tenant === undefined && !o.platform) command.error('error: one of --tenant <id> or --platform is required');
  return o.platform ? null : o.tenant!;
}


const owned = (owner: string | null) => owner ?? 'platform';

async function add(command: Command, o: OwnerOptions & { file: string }): Promise<void> {
  const owner = ownerOf(command, o);
  const file = resolve(o.file);
  const source = `connector file ${o.file}`;
  const readIssues: string[] = [];
  const document = readYamlFile(file, readIssues);
  if (readIssues.length > 0) throw new ConfigError(source, readIssues.map((i) => i.replace(`${file}: `, '')));
  const created = await withStore((store, config, tenants) => addConnector({ store, inFiles: connectorsInFiles(config, tenants), registry: defaultRegistry() }, CLI_OPERATOR, { owner, document, source }));
  process.stdout.write(`connector ${created.id} added to ${owned(created.tenantId)} (${created.type}, ${created.profile}, ${created.enabled ? 'enabled' : 'disabled'}); every hub process opens it within federation.reloadSeconds\n`);
}

async function list(o: { tenant?: string; json?: boolean }): Promise<void> {
  const views = await withStore(async (store, hubConfig, tenants) => {
    if (o.tenant !== undefined) await connectorsOf(store, o.tenant);
    const files = connectorsInFiles(hubConfig, tenants);
    const tenantIds = o.tenant !== undefined ? [o.tenant] : (await store.tenants.list()).map((t) => t.id);
    const rows = [
      ...(o.tenant === undefined ? await store.connectors.list() : []),
      ...(await Promise.all(tenantIds.map((id) => store.forTenant(id).connectors.list()))).flat(),
    ];
    const fromFiles: ConnectorView[] = files
      .filter((d) => o.tenant === undefined || d.tenantId === o.tenant)
      .map((d) => ({ id: d.config.id, tenant: d.tenantId, origin: 'config', type: d.config.type, profile: d.config.profile, displayName: d.config.displayName, enabled: d.config.enabled, linkOnly: d.config.linkOnly, state: 'ok' }));
    const fromStore: ConnectorView[] = rows.map((row) => {
      const parsed = storedConnectorConfig(row, defaultRegistry());
      const base = { id: row.id, tenant: row.tenantId, origin: 'store' as const, type: row.type, profile: row.profile, displayName: row.displayName, enabled: row.enabled };
      if (!parsed.ok) return { ...base, linkOnly: null, state: 'invalid', problems: parsed.issues };
      return { ...base, linkOnly: parsed.config.linkOnly, state: files.some((d) => d.config.id === row.id) ? 'shadowed' : 'ok' };
    });
    return [...fromFiles, ...fromStore].sort((a, b) => owned(a.tenant).localeCompare(owned(b.tenant)) || a.id.localeCompare(b.id));
  });
  printJsonOr(Boolean(o.json), views, () => views.map((v) => [
    v.id, owned(v.tenant), v.origin, v.type, v.profile, v.enabled ? 'enabled' : 'disabled', v.linkOnly === false ? 'creates-accounts' : 'link-only',
    v.state === 'ok' ? v.displayName : `${v.state.toUpperCase()}${v.problems ? ` (${v.problems.join('; ')})` : ''}`,
  ].join('\t')).join('\n') || '(no connector)');
}

async function remove(command: Command, o: OwnerOptions & { id: string }): Promise<void> {
  const owner = ownerOf(command, o);
  await withStore((store, config, tenants) => removeConnector({ store, inFiles: connectorsInFiles(config, tenants), registry: defaultRegistry() }, CLI_OPERATOR, owner, o.id));
  process.stdout.write(`connector ${o.id} removed from ${owned(owner)}; every hub process closes it within federation.reloadSeconds\n`);
}

export function registerConnectorCommands(program: Command): void {
  const connectors = program.command('connectors').description('upstream identity connectors kept in the store (beside the YAML files)');
  connectors
    .command('add')
    .description('validate a connector file (same schema as the YAML) and register it')
    .requiredOption('--file <file>', 'the connector, in YAML (secrets as { env: NAME } or { file: PATH })')
    .option('--tenant <id>', 'the tenant owning it (an académie IdP)')
    .option('--platform', 'a platform connector (ÉduConnect-like)')
    .action(async function (this: Command, o: OwnerOptions & { file: string }) {
      await add(this, o);
    });
  connectors
    .command('list')
    .description('list the connectors of the YAML files and of the store (never their settings)')
    .option('--tenant <id>', 'only this tenant\'s')
    .option('--json', 'print JSON')
    .action(list);
  connectors
    .command('remove')
    .description('remove a connector from the store')
    .requiredOption('--id <id>', 'connector id')
    .option('--tenant <id>', 'the tenant owning it')
    .option('--platform', 'a platform connector')
    .action(async function (this: Command, o: OwnerOptions & { id: string }) {
      await remove(this, o);
    });
}
