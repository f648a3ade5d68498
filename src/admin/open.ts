/** The admin side of the hub assembled: its routes, the API router, the console and its client. */
import type Router from '@koa/router';
import type { AccountAdminPorts } from '../auth/account-admin.js';
import type { AdminTokenReader } from '../oidc/admin-tokens.js';
import type { ConnectorPorts } from '../federation/connector-service.js';
import type { ClientPorts } from '../oidc/client-service.js';
import type { Logger } from '../shared/logger.js';
import type { EphemeralStore } from '../storage/ports/ephemeral.js';
import type { PlatformStore } from '../storage/ports/index.js';
import type { AdminAuthDeps } from './authentication.js';
import type { AdminRoute, TenantExists } from './api/kit.js';
import { adminApiRouter } from './api/router.js';
import { accountRoutes } from './api/routes/accounts.js';
import { auditRoutes } from './api/routes/audit.js';
import { connectorRoutes } from './api/routes/connectors.js';
import { dashboardRoutes } from './api/routes/dashboard.js';
import { duplicateRoutes } from './api/routes/duplicates.js';
import { duplicateService } from '../provisioning/duplicates.js';
import { letterRoutes, type LetterSettings } from './api/routes/letters.js';
import { clientRoutes } from './api/routes/clients.js';
import { grantRoutes } from './api/routes/grants.js';
import { importRoutes, type ImportRouteDeps } from './api/routes/imports.js';
import { meRoutes } from './api/routes/me.js';
import { spRoutes, type SpRouteDeps } from './api/routes/service-providers.js';
import { CONSOLE_CLIENT_ID, consoleClientRecord } from './console/client.js';
import { accountPages } from './console/pages/accounts.js';
import { auditPages } from './console/pages/audit.js';
import { dashboardPages } from './console/pages/dashboard.js';
import { duplicatePages } from './console/pages/duplicates.js';
import { letterPages } from './console/pages/letters.js';
import { clientPages } from './console/pages/clients.js';
import { homePages } from './console/pages/home.js';
import { importPages } from './console/pages/imports.js';
import { spPages } from './console/pages/service-providers.js';
import { consoleRouter } from './console/router.js';
import { ConsoleSessions } from './console/session.js';

export interface AdminDeps {
  issuer: string;
  store: PlatformStore;
  ephemeral: EphemeralStore;
  readToken: AdminTokenReader;
  accounts: Omit<AccountAdminPorts, 'store'>;
  clients: ClientPorts['config'];
  letters: LetterSettings;
  connectors: Omit<ConnectorPorts, 'store'>;
  /** A client changed here: the provider of this node reads it again. */
  clientChanged(clientId: string): void;
  /** Import runs: started in the background, the tenants' directory sources. */
  imports: Omit<ImportRouteDeps, 'store'>;
  /** SAML SPs (metadata fetched over https only in production) and the GAR switches. */
  sps: Omit<SpRouteDeps, 'store'>;
  log: Logger;
}

export function adminRoutes(deps: AdminDeps): AdminRoute[] {
  const { store } = deps;
  return [
    ...meRoutes(store),
    ...accountRoutes({ store, ...deps.accounts }),
    ...clientRoutes({ store, config: deps.clients, changed: deps.clientChanged }),
    ...grantRoutes(store),
    ...auditRoutes(store),
    ...dashboardRoutes({ store, throttle: deps.accounts.throttle }),
    ...letterRoutes({ store, ...deps.accounts }, deps.letters),
    ...connectorRoutes({ store, ...deps.connectors }),
    ...duplicateRoutes({ store, ...deps.accounts }, duplicateService(store)),
    ...importRoutes({ store, ...deps.imports }),
    ...spRoutes({ store, ...deps.sps }),
  ];
}

/** Registers the console's client (rewritten at every start) and returns the admin routers. */
export async function openAdmin(deps: AdminDeps): Promise<{ routers: Router[]; routes: AdminRoute[] }> {
  await deps.store.clients.upsert(consoleClientRecord(deps.issuer), 'hub');
  const routes = adminRoutes(deps);
  const auth: AdminAuthDeps = { readToken: deps.readToken, store: deps.store, consoleClientId: CONSOLE_CLIENT_ID };
  const tenantExists: TenantExists = async (id) => (await deps.store.tenants.get(id)) !== null;
  const api = adminApiRouter({ routes, auth, tenantExists, issuer: deps.issuer, log: deps.log });
  const console = consoleRouter({ sessions: new ConsoleSessions(deps.issuer, deps.ephemeral), auth, routes, tenantExists, store: deps.store, log: deps.log }, (router, page) => {
    homePages(router, page);
    dashboardPages(router, page);
    accountPages(router, page);
    letterPages(router, page);
    clientPages(router, page);
    auditPages(router, page);
    importPages(router, page);
    spPages(router, page);
    duplicatePages(router, page);
  });
  return { routers: [api, console], routes };
}
