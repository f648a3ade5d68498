/**
 * The federation module's door: what the hub wires (routers for the connectors' endpoints) and
 * what the login page shows (the home-realm choices). Built once by the wiring (src/wiring/hub.ts), from the YAML
 * connectors and those kept in the store (./stored.ts), which are read again every
 * `federation.reloadSeconds` (./connector-set.ts). A connector whose files are not there yet (or
 * whose metadata URL does not answer) does not stop the start: it is unavailable (the login page
 * says so) and opened again every `federation.retrySeconds`.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { SafeHtml } from '../ui/html.js';
import { t } from '../ui/i18n.js';
import type { LoginProtocol } from '../login/completion.js';
import type { LogoutOrchestrator } from '../login/logout.js';
import type { LoginTransaction } from '../login/transaction.js';
import type { HubMetrics } from '../shared/metrics.js';
import type { Logger } from '../shared/logger.js';
import type { EphemeralStore } from '../storage/ports/ephemeral.js';
import type { PlatformStore } from '../storage/ports/index.js';
import type { ConnectorContext } from './core/connector.js';
import type { PlatformFederationConfig, TenantConnectorConfig } from './config.js';
import { ConnectorRegistry } from './core/registry.js';
import { ConnectorSet } from './connector-set.js';
import { oidcConnectorType } from './connectors/oidc/connector.js';
import { samlConnectorType } from './connectors/saml/connector.js';
import { choicesHtml } from './http/pages.js';
import { federationRouters, federationStepPath, REMEMBERED_CHOICE_COOKIE, upstreamLogout } from './http/routes.js';
import { sameAcademyCode } from './profiles/educonnect.js';
import type { DeclaredConnector } from './stored.js';

/** What federation reads of the hub's config. */
export interface FederationSettings {
  issuer: string;
  mode: 'development' | 'production';
  federation: PlatformFederationConfig;
  /** The hub session's lifetime: the upstream session record (for single logout) lives as long. */
  sessionTtlSeconds: number;
}

/** What federation reads of a tenant's declaration. */
export interface FederationTenant {
  id: string;
  name: string;
  academyCode: string;
  connectors: TenantConnectorConfig[];
  directorySources: ReadonlyArray<{ id: string; externalIdPrefix?: string | undefined; academicDomains: string[] }>;
}

export interface FederationDeps {
  config: FederationSettings;
  tenants: FederationTenant[];
  store: PlatformStore;
  ephemeral: EphemeralStore;
  /** The protocol whose sign-ins the connectors finish. */
  login: LoginProtocol;
  /** Federation registers its upstream logout there. */
  logout: LogoutOrchestrator;
  log: Logger;
  metrics: HubMetrics;
}

export interface Federation {
  /** The sign-in steps (under /interaction/:id/federation/) and the upstreams' endpoints (/federation/). */
  routers: Router[];
  /**
   * The connector buttons of the login page, or false when none is enabled. `remembered`: the
   * connector the user chose last time (rememberedChoice(ctx)), marked.
   */
  loginChoices(transaction: LoginTransaction, remembered: string | undefined): SafeHtml | false;
  /**
   * Where to send the browser instead of showing the login page, or null: a client's IdP hint
   * naming an enabled connector, a login hint in an académie's e-mail domain, or the remembered
   * choice (unless the client asked to select an account).
   */
  hintedRedirect(transaction: LoginTransaction, remembered: string | undefined): string | null;
  /** The remembered connector id from the signed cookie, if any. */
  rememberedChoice(ctx: Context): string | undefined;
  /** Reads the stored connectors again now (a change made through this process); the others do every `federation.reloadSeconds`. */
  reloadConnectors(): Promise<void>;
  close(): Promise<void>;
}

/** The default registry: the connector kinds this hub ships. */
export function defaultRegistry(): ConnectorRegistry {
  return new ConnectorRegistry().register(samlConnectorType).register(oidcConnectorType);
}

/** External id prefixes of a tenant (`LILLE` for source `AC-LILLE`), as the importer writes them. */
function prefixesOf(tenant: FederationTenant): string[] {
  const prefixes = tenant.directorySources.map((s) => s.externalIdPrefix ?? s.id.replace(/^AC-/, ''));
  return prefixes.length > 0 ? [...new Set(prefixes)] : [tenant.id.toUpperCase()];
}

export async function createFederation(deps: FederationDeps, registry: ConnectorRegistry = defaultRegistry()): Promise<Federation> {
  const tenantsById = new Map(deps.tenants.map((tenant) => [tenant.id, tenant]));
  const context: ConnectorContext = {
    issuer: deps.config.issuer.replace(/\/$/, ''),
    ephemeral: deps.ephemeral,
    log: deps.log,
    production: deps.config.mode === 'production',
    routing: {
      tenantOfAcademyCode: (code) => deps.tenants.find((tenant) => sameAcademyCode(tenant.academyCode, code))?.id ?? null,
      externalIdPrefixes: (tenantId) => {
        const tenant = tenantsById.get(tenantId);
        return tenant ? prefixesOf(tenant) : [];
      },
      allTenants: () => deps.tenants.map((tenant) => tenant.id),
      academicDomains: (tenantId, connectorDomains) => {
        if (connectorDomains.length > 0) return connectorDomains;
        return [...new Set(tenantsById.get(tenantId)?.directorySources.flatMap((s) => s.academicDomains) ?? [])];
      },
    },
  };
  const fromFiles: DeclaredConnector[] = [
    ...deps.config.federation.connectors.map((config) => ({ config, tenantId: null, origin: 'config' as const })),
    ...deps.tenants.flatMap((tenant) => tenant.connectors.map((config) => ({ config, tenantId: tenant.id, origin: 'config' as const }))),
  ];
  const set = await ConnectorSet.open({
    registry, context, store: deps.store, tenantIds: deps.tenants.map((tenant) => tenant.id), fromFiles,
    retrySeconds: deps.config.federation.retrySeconds, reloadSeconds: deps.config.federation.reloadSeconds, log: deps.log,
  });
  for (const slot of set.slots()) {
    if (slot.config.profile === 'academie' && slot.tenantId && context.routing.academicDomains(slot.tenantId, slot.config.emailDomains).length === 0) {
      deps.log.warn({ connector: slot.id }, 'no académie e-mail domain for this staff connector (emailDomains or the tenant\'s academicDomains): no login will match an account');
    }
  }

  const openedId = (id: string | undefined): id is string => id !== undefined && Boolean(set.get(id)?.opened);
  // Read at each use: the stored connectors change while the hub runs.
  const families = () => set.slots().filter((slot) => slot.config.profile === 'educonnect');
  const staff = () => set.slots().filter((slot) => slot.config.profile === 'academie');

  const stepUrl = (tx: LoginTransaction, rest: string) => `${federationStepPath(tx.id, rest)}?${new URLSearchParams({ lang: tx.lang })}`;
  const startUrl = (connectorId: string, tx: LoginTransaction) => stepUrl(tx, `start/${connectorId}`);

  const loginChoices = (tx: LoginTransaction, remembered: string | undefined): SafeHtml | false => {
    if (set.slots().length === 0) return false;
    const staffSlots = staff();
    const choices: Parameters<typeof choicesHtml>[1] = families().map((slot) => {
      const common = { label: t(tx.lang, 'federation.choice.educonnect'), lastUsed: remembered === slot.id };
      return slot.opened ? { ...common, href: startUrl(slot.id, tx) } : { ...common, unavailable: t(tx.lang, 'federation.choice.educonnectUnavailable') };
    });
    if (staffSlots.length > 0) {
      const common = { label: t(tx.lang, 'federation.choice.staff'), lastUsed: staffSlots.some((slot) => slot.id === remembered) };
      choices.push(staffSlots.some((slot) => slot.opened)
        ? { ...common, href: stepUrl(tx, 'staff') }
        : { ...common, unavailable: t(tx.lang, 'federation.choice.staffUnavailable') });
    }
    return choicesHtml(tx.lang, choices);
  };

  const hintedRedirect = (tx: LoginTransaction, remembered: string | undefined): string | null => {
    const hint = tx.hints.idp ?? undefined;
    // An unavailable connector is never a redirect: the login page says it is unavailable.
    if (openedId(hint)) return startUrl(hint, tx);
    const loginHint = tx.hints.login?.trim().toLowerCase() ?? '';
    const domain = loginHint.includes('@') ? loginHint.slice(loginHint.lastIndexOf('@') + 1) : '';
    if (domain) {
      const byDomain = staff().find((slot) => slot.opened && (slot.config.emailDomains.some((d) => d.toLowerCase() === domain)
        || (slot.tenantId !== null && tenantsById.get(slot.tenantId)?.directorySources.some((s) => s.academicDomains.some((d) => d.toLowerCase() === domain)))));
      if (byDomain) return startUrl(byDomain.id, tx);
    }
    if (openedId(remembered) && !tx.hints.selectAccount) return startUrl(remembered, tx);
    return null;
  };

  const rememberedChoice = (ctx: Context): string | undefined => {
    const value = ctx.cookies.get(REMEMBERED_CHOICE_COOKIE, { signed: true });
    return value && set.get(value) ? value : undefined;
  };

  const routeDeps = {
    login: deps.login,
    logout: deps.logout,
    store: deps.store,
    ephemeral: deps.ephemeral,
    log: deps.log,
    metrics: deps.metrics,
    connectors: set.routed,
    tenantNames: new Map(deps.tenants.map((tenant) => [tenant.id, tenant.name])),
    rememberChoiceDays: deps.config.federation.rememberChoiceDays,
    isAvailable: openedId,
    sessionTtlSeconds: deps.config.sessionTtlSeconds,
  };

  deps.logout.setUpstream(upstreamLogout(routeDeps));
  return {
    routers: federationRouters(routeDeps),
    loginChoices,
    hintedRedirect,
    rememberedChoice,
    reloadConnectors: () => set.reload(),
    close: () => set.close(),
  };
}
