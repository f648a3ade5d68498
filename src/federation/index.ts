/**
 * The federation module's door: what the hub wires (routers for the connectors' endpoints) and
 * what the login page shows (the home-realm choices). Built once by src/app.ts.
 */
import type Router from '@koa/router';
import type Provider from 'oidc-provider';
import type { HubConfig } from '../config/schema.js';
import type { TenantConfig } from '../config/tenant-schema.js';
import type { SafeHtml } from '../oidc/views/html.js';
import type { Lang } from '../oidc/views/i18n.js';
import type { Logger } from '../shared/logger.js';
import type { EphemeralStore } from '../storage/ports/ephemeral.js';
import type { PlatformStore } from '../storage/ports/index.js';

export interface FederationDeps {
  config: HubConfig;
  tenants: TenantConfig[];
  store: PlatformStore;
  ephemeral: EphemeralStore;
  provider: Provider;
  log: Logger;
}

export interface LoginPageContext {
  lang: Lang;
  /** The oidc-provider interaction uid. */
  uid: string;
  /** The authorization request's parameters (login_hint, idp_hint…). */
  params: Record<string, unknown>;
}

export interface Federation {
  /** Mounted under /federation/. */
  routers: Router[];
  /** The connector buttons of the login page, or false when none is enabled. */
  loginChoices(context: LoginPageContext): SafeHtml | false;
  close(): Promise<void>;
}

export async function createFederation(_deps: FederationDeps): Promise<Federation> {
  return { routers: [], loginChoices: () => false, close: async () => undefined };
}
