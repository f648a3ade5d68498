/** Loads and validates every `tenants/*.yaml`; all problems of all files are reported together. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../shared/errors.js';
import type { ConnectorSettingsCheck } from '../federation/config.js';
import { connectorSettingsIssues, readYamlFile } from './load.js';
import { formatIssues } from '../shared/zod-issues.js';
import { tenantSchema, type TenantConfig } from './tenant-schema.js';

/** `connectorSettings`: the connector registry's check of each connector's section (see LoadOptions). */
export function loadTenants(dir: string, connectorSettings?: ConnectorSettingsCheck): TenantConfig[] {
  const issues: string[] = [];
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
  } catch {
    throw new ConfigError('tenants', [`${dir}: folder cannot be read`]);
  }
  const tenants: Array<{ file: string; tenant: TenantConfig }> = [];
  for (const file of files) {
    const fileIssues: string[] = [];
    const tree = readYamlFile(join(dir, file), fileIssues);
    const parsed = fileIssues.length ? undefined : tenantSchema.safeParse(tree);
    if (parsed && !parsed.success) fileIssues.push(...formatIssues(parsed.error).map((i) => `${file}: ${i}`));
    if (parsed) fileIssues.push(...connectorSettingsIssues(tree.connectors, 'connectors', connectorSettings).map((i) => `${file}: ${i}`));
    if (parsed?.success && fileIssues.length === 0) tenants.push({ file, tenant: parsed.data });
    issues.push(...fileIssues);
  }
  issues.push(...crossFileIssues(tenants));
  if (files.length === 0) issues.push(`${dir}: no tenant file (*.yaml)`);
  if (issues.length > 0) throw new ConfigError('tenants', issues);
  return tenants.map((t) => t.tenant);
}

/** Ids and académie codes (`9` and `09` are the same code) must be unique across files. */
function crossFileIssues(tenants: Array<{ file: string; tenant: TenantConfig }>): string[] {
  const issues: string[] = [];
  const seen = new Map<string, string>();
  for (const { file, tenant } of tenants) {
    for (const [kind, key] of [['id', tenant.id], ['academyCode', String(Number(tenant.academyCode))]] as const) {
      const owner = seen.get(`${kind}:${key}`);
      if (owner) issues.push(`${file}: ${kind} ${key} is already used in ${owner}`);
      else seen.set(`${kind}:${key}`, file);
    }
  }
  return issues;
}
