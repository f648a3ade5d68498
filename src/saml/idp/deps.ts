/** What the IdP's SSO and SLO steps are built from, once, by the wiring. */
import type { TenantGar } from '../../identity/gar.js';
import type { HubSession } from '../../login/hub-session.js';
import type { LogoutOrchestrator } from '../../login/logout.js';
import type { Logger } from '../../shared/logger.js';
import type { HubMetrics } from '../../shared/metrics.js';
import type { EphemeralStore } from '../../storage/ports/ephemeral.js';
import type { PlatformStore } from '../../storage/ports/index.js';
import { idpEntityId, type IdpSettings } from './config.js';
import type { InboundContext } from './inbound.js';
import type { IdpKeySource } from './keys.js';
import { idpEndpoints } from './metadata.js';
import type { SamlSignIns } from './sign-ins.js';
import type { SpSessions } from './sp-sessions.js';

export interface IdpDeps {
  settings: IdpSettings;
  keys: IdpKeySource;
  store: PlatformStore;
  ephemeral: EphemeralStore;
  hubSession: HubSession;
  logout: LogoutOrchestrator;
  signIns: SamlSignIns;
  spSessions: SpSessions;
  /** The pairwise NameID salts, the current one first (nameid.ts). */
  pairwiseSalts: string[];
  garOf(tenantId: string): TenantGar | null;
  log: Logger;
  metrics: HubMetrics;
}

export const entityIdOf = (deps: Pick<IdpDeps, 'settings'>): string => idpEntityId(deps.settings);

/** How inbound messages on `endpoint` are checked. */
export function inboundContext(deps: Pick<IdpDeps, 'settings' | 'store' | 'ephemeral'>, endpoint: 'sso' | 'slo'): InboundContext {
  return {
    endpointUrl: idpEndpoints(deps.settings.issuer)[endpoint],
    findSp: (entityId) => deps.store.serviceProviders.find(entityId),
    replay: deps.ephemeral,
    now: new Date(),
    skewSeconds: deps.settings.idp.clockSkewSeconds,
  };
}
