/**
 * The tenants (académies) as the hub knows them: those declared in `tenants/*.yaml`, read once
 * and mirrored into the store, merged with those the store keeps (a tenant whose file was
 * removed keeps its accounts and its audit trail). `reload()` reads the files again.
 */
import type { ConnectorInFiles } from '../federation/connector-service.js';
import type { TenantAuthConfig } from '../auth/config.js';
import type { HubConfig } from '../config/schema.js';
import type { TenantConfig } from '../config/tenant-schema.js';
import { loadTenants } from '../config/tenants.js';
import { defaultRegistry } from '../federation/index.js';
import { switchedGarStructures } from '../identity/gar-schools.js';
import type { TenantGar, TenantGarSettings } from '../identity/gar.js';
import { readSecret } from '../shared/secrets.js';
import type { PlatformStore, TenantScope } from '../storage/ports/index.js';
import { GarSchoolSwitches } from './gar-schools.js';

export interface KnownTenant {
  id: string;
  name: string;
  academyCode: string;
  /** Its tenant file's settings; null when the store keeps a tenant no file declares any more. */
  declaration: TenantConfig | null;
  /** The store, scoped to this tenant's data. */
  scope: TenantScope;
}

/** The tenant files, validated together (ConfigError listing every problem of every file). */
export function readTenantFiles(config: { tenants: Pick<HubConfig['tenants'], 'dir'> }): TenantConfig[] {
  return loadTenants(config.tenants.dir, defaultRegistry().settingsCheck);
}

export class TenantDirectory {
  private declared: TenantConfig[] = [];
  private known = new Map<string, KnownTenant>();
  private gars = new Map<string, TenantGar | null>();
  private readonly garSwitches: GarSchoolSwitches;

  private constructor(private readonly config: HubConfig, private readonly store: PlatformStore) {
    this.garSwitches = new GarSchoolSwitches(store, config.tenants.garSwitchesSeconds * 1000);
  }

  /** Reads the files and mirrors them into the store. */
  static async open(config: HubConfig, store: PlatformStore): Promise<TenantDirectory> {
    const directory = new TenantDirectory(config, store);
    await directory.reload();
    return directory;
  }

  /** Reads the files again; when they are invalid, the directory stays as it was. */
  async reload(): Promise<void> {
    const declared = readTenantFiles(this.config);
    for (const tenant of declared) {
      await this.store.tenants.upsert({ id: tenant.id, name: tenant.name, academyCode: tenant.academyCode });
    }
    const declarations = new Map(declared.map((tenant) => [tenant.id, tenant]));
    const rows = await this.store.tenants.list();
    this.known = new Map(rows.map((row) => [row.id, {
      id: row.id,
      name: row.name,
      academyCode: row.academyCode,
      declaration: declarations.get(row.id) ?? null,
      scope: this.store.forTenant(row.id),
    }]));
    this.declared = declared;
    this.gars = new Map();
    await this.garSwitches.load(rows.map((row) => row.id));
  }

  get(id: string): KnownTenant | undefined {
    return this.known.get(id);
  }

  /** Every tenant, declared or only kept in the store, by id. */
  list(): KnownTenant[] {
    return [...this.known.values()];
  }

  /** The tenants the files declare, in file order. */
  declarations(): TenantConfig[] {
    return this.declared;
  }

  declaration(id: string): TenantConfig | undefined {
    return this.known.get(id)?.declaration ?? undefined;
  }

  /**
   * The tenant's GAR section, its identifier key read once, with the schools that use the GAR as
   * admins switched them (`identity/gar-schools.ts`); null when it has none.
   */
  gar(id: string): TenantGar | null {
    if (!this.gars.has(id)) {
      const settings = this.declaration(id)?.gar;
      this.gars.set(id, settings ? { settings, identifierKey: readSecret(settings.identifierKey, `gar.identifierKey of tenant ${id}`) } : null);
    }
    const declared = this.gars.get(id)!;
    if (!declared) return null;
    return { ...declared, settings: { ...declared.settings, structures: switchedGarStructures(declared.settings.structures, this.garSwitches.of(id)) } };
  }

  /** The tenant's GAR section as its file declares it, switches aside; null when it has none. */
  declaredGar(id: string): TenantGarSettings | null {
    return this.declaration(id)?.gar ?? null;
  }

  /** An admin switched a school of the tenant here: read its switches again now. */
  garSwitched(id: string): Promise<void> {
    return this.garSwitches.refresh(id);
  }

  /** The tenants' overrides of the platform's local-account rules. */
  authRules(): ReadonlyMap<string, TenantAuthConfig> {
    return new Map(this.declared.flatMap((tenant) => (tenant.auth ? [[tenant.id, tenant.auth] as const] : [])));
  }
}

/** Connectors of the YAML files, with their owner, as the hub reads them at start. */
export function connectorsInFiles(config: Pick<HubConfig, 'federation'>, tenants: TenantDirectory): ConnectorInFiles[] {
  return [
    ...config.federation.connectors.map((c) => ({ config: c, tenantId: null, where: 'the hub configuration' })),
    ...tenants.declarations().flatMap((t) => t.connectors.map((c) => ({ config: c, tenantId: t.id, where: `the tenant file of ${t.id}` }))),
  ];
}
