/**
 * Clients declared in the configuration; the store mirrors them at every start (the tenant
 * files are mirrored by the TenantDirectory, ./tenants.ts). The configuration is a declaration:
 * a client it declared once and no longer declares is disabled (kept for the audit trail, but
 * oidc-provider no longer finds it, so it gets no token at all). Clients registered with the
 * CLI are not the configuration's and are left alone.
 */
import type { HubConfig } from '../config/schema.js';
import { clientRecordFromConfig } from '../oidc/clients.js';
import type { Logger } from '../shared/logger.js';
import type { OidcClientRecord, PlatformStore } from '../storage/ports/index.js';

/**
 * `log`: the hub's logger at start; CLI commands, which mirror too before they run, pass none
 * (their stdout is their output) and rely on the audit events alone.
 */
export async function mirrorDeclaredClients(config: HubConfig, store: PlatformStore, log?: Logger): Promise<void> {
  const before = new Map((await store.clients.list()).map((c) => [c.clientId, c]));
  for (const client of config.clients) {
    await store.clients.upsert(clientRecordFromConfig(client), 'config');
    const previous = before.get(client.clientId);
    if (previous?.disabledAt) await recordEnabled(store, previous, log);
  }
  const declared = config.clients.map((c) => c.clientId);
  await recordDisabled(store, await store.clients.disableUndeclared('config', declared), 'no longer declared in the configuration (clients)', log);
  // The demo client exists for the development hub only (./development.ts registers it there).
  if (config.mode !== 'development') {
    await recordDisabled(store, await store.clients.disableUndeclared('development', []), 'the demo client of development mode', log);
  }
}

async function recordDisabled(store: PlatformStore, disabled: OidcClientRecord[], reason: string, log?: Logger): Promise<void> {
  for (const client of disabled) {
    log?.warn({ clientId: client.clientId, origin: client.origin }, `client ${client.clientId} disabled: ${reason}`);
    await store.audit.record({ type: 'client.disabled', clientId: client.clientId, details: { by: 'config', origin: client.origin, reason } });
  }
}

async function recordEnabled(store: PlatformStore, client: OidcClientRecord, log?: Logger): Promise<void> {
  log?.info({ clientId: client.clientId, origin: 'config' }, `client ${client.clientId} enabled again: declared in the configuration (clients)`);
  await store.audit.record({ type: 'client.enabled', clientId: client.clientId, details: { by: 'config', origin: 'config' } });
}
