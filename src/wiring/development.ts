/**
 * What the hub adds in development mode only, and the only door to src/dev/: the demo accounts
 * (when `demo.seed` asks for them) and the demo relying party served at /demo with its client.
 */
import type Router from '@koa/router';
import type { HubConfig } from '../config/schema.js';
import { demoClientRecord, demoRouter } from '../dev/demo-rp.js';
import { seedDemo } from '../dev/demo-seed.js';
import type { Logger } from '../shared/logger.js';
import type { PlatformStore } from '../storage/ports/index.js';

/** Seeds and registers the demo; returns the demo's routers. */
export async function wireDevelopment(config: HubConfig, store: PlatformStore, log: Logger): Promise<Router[]> {
  if (config.demo.seed) await seedDemo(store, log);
  await store.clients.upsert(demoClientRecord(config.issuer), 'development');
  return [demoRouter(config.issuer, log)];
}
