/** Tenants and config clients are declared in files; the store mirrors them at every start. */
import type { HubConfig } from './config/schema.js';
import { loadTenants } from './config/tenants.js';
import { clientRecordFromConfig } from './oidc/clients.js';
import type { PlatformStore } from './storage/ports/index.js';

export async function mirrorDeclarations(config: HubConfig, store: PlatformStore): Promise<void> {
  for (const tenant of loadTenants(config.tenants.dir)) {
    await store.tenants.upsert({ id: tenant.id, name: tenant.name, academyCode: tenant.academyCode });
  }
  for (const client of config.clients) await store.clients.upsert(clientRecordFromConfig(client));
}
