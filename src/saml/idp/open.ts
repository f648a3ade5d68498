/** The SAML IdP opened: its keys read, its routes, its sign-ins on the hub's pages, and its part in every logout. */
import type Router from '@koa/router';
import type { HubSession } from '../../login/hub-session.js';
import type { LogoutOrchestrator } from '../../login/logout.js';
import type { PrefixedProtocol } from '../../login/protocols.js';
import type { LoginPagesDeps } from '../../login-pages/context.js';
import type { StepRoutes } from '../../login-pages/routes.js';
import type { HubMetrics } from '../../shared/metrics.js';
import type { Logger } from '../../shared/logger.js';
import type { EphemeralStore } from '../../storage/ports/ephemeral.js';
import type { LockService } from '../../storage/ports/locks.js';
import type { PlatformStore } from '../../storage/ports/index.js';
import type { IdpSettings } from './config.js';
import type { TenantGar } from '../../identity/gar.js';
import type { IdpDeps } from './deps.js';
import { KeyRefresh, type SigningKeyRing } from '../../auth/signing-keys.js';
import { configuredEncryptionCerts, idpKeysOf, type IdpKeys } from './keys.js';
import { storedPairwiseSalt } from './pairwise-salt.js';
import { IdpMetadata } from './metadata.js';
import { samlIdpRouter, samlSignInEntry, samlSignInSteps } from './routes.js';
import { SamlSignIns } from './sign-ins.js';
import { spSessionsParticipant } from './slo.js';
import { aggregateSources } from './sp-refresh.js';
import { SpRefreshSchedule } from './sp-refresh-schedule.js';
import { SpSessions } from './sp-sessions.js';

export interface SamlIdpPorts {
  store: PlatformStore;
  ephemeral: EphemeralStore;
  hubSession: HubSession;
  logout: LogoutOrchestrator;
  /** Seconds a hub session lives (the SP sessions are remembered as long) and a sign-in lives. */
  sessionTtl: number;
  signInTtl: number;
  garOf(tenantId: string): TenantGar | null;
  /** Where the aggregates' last good copies go by default. */
  dataDir: string;
  /** One metadata refresh at a time across the hub's nodes. */
  locks: LockService;
  /** The signing keys in the store, read again every `refreshSeconds`; the pairwise salt, read once. */
  keys: { ring: SigningKeyRing; refreshSeconds: number };
  log: Logger;
  metrics: HubMetrics;
}

export interface SamlIdp {
  /** /saml/…, and the entry of its sign-ins (mounted before the sign-in pages). */
  routers: Router[];
  /** Its sign-ins, for the sign-in pages' login port. */
  protocol: PrefixedProtocol;
  /** Its steps on the sign-in pages. */
  steps(pages: LoginPagesDeps): (routes: StepRoutes) => void;
  /** Stops the metadata refresh schedule and the keys' refresh. */
  close(): Promise<void>;
}

export async function openSamlIdp(settings: IdpSettings, ports: SamlIdpPorts): Promise<SamlIdp> {
  const encryptionCerts = configuredEncryptionCerts(settings);
  const salt = await storedPairwiseSalt(ports.keys.ring, settings);
  let current: IdpKeys | undefined;
  const keyRefresh = new KeyRefresh(ports.keys.ring, 'saml', (live) => { current = idpKeysOf(live, encryptionCerts); }, ports.log);
  await keyRefresh.refresh();
  keyRefresh.start(ports.keys.refreshSeconds);
  const keys = { current: () => current! };
  const signIns = new SamlSignIns({ ephemeral: ports.ephemeral, hubSession: ports.hubSession, ttlSeconds: ports.signInTtl });
  const deps: IdpDeps = {
    ...ports, settings, keys, signIns,
    spSessions: new SpSessions(ports.ephemeral, ports.sessionTtl),
    pairwiseSalts: [salt],
  };
  ports.logout.addParticipant(spSessionsParticipant(deps));
  const aggregates = aggregateSources(settings.idp.aggregates, { keysDir: settings.keysDir, dataDir: ports.dataDir });
  const refresh = new SpRefreshSchedule({ store: ports.store, production: settings.mode === 'production', aggregates }, ports.locks, ports.log);
  refresh.start();
  return {
    routers: [samlIdpRouter(new IdpMetadata(settings, keys), deps), samlSignInEntry()],
    protocol: signIns.protocol(),
    steps: (pages) => samlSignInSteps(deps, pages),
    close: async () => {
      await refresh.close();
      await keyRefresh.close();
    },
  };
}
