/**
 * The federation module's door: what the hub wires (routers for the connectors' endpoints) and
 * what the login page shows (the home-realm choices). Built once by src/app.ts, from the YAML
 * connectors and those kept in the store (./stored.ts), read at start.
 */
import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type Provider from 'oidc-provider';
import type { HubConfig } from '../config/schema.js';
import type { TenantConfig } from '../config/tenant-schema.js';
import type { SafeHtml } from '../oidc/views/html.js';
import { t, type Lang } from '../oidc/views/i18n.js';
import type { Logger } from '../shared/logger.js';
import type { EphemeralStore } from '../storage/ports/ephemeral.js';
import type { PlatformStore } from '../storage/ports/index.js';
import type { ConnectorContext, OpenConnector } from './core/connector.js';
import { ConnectorRegistry } from './core/registry.js';
import { oidcConnectorType } from './connectors/oidc.js';
import { samlConnectorType } from './connectors/saml.js';
import { choicesHtml, type Choice } from './http/pages.js';
import { federationRouters, interactionFederationPath, REMEMBERED_CHOICE_COOKIE, upstreamLogoutAfterEndSession } from './http/routes.js';
import { sameAcademyCode } from './profiles/educonnect.js';
import { loadStoredConnectors, mergeDeclared, type DeclaredConnector } from './stored.js';

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
  /** The connector the user chose last time (rememberedChoice(ctx)); marks or skips to it. */
  remembered?: string | undefined;
}

export interface Federation {
  /** The sign-in steps (under /interaction/:uid/federation/) and the upstreams' endpoints (/federation/). */
  routers: Router[];
  /** Runs around oidc-provider: the upstream SAML logout after its end-session confirmation. */
  aroundProvider: Middleware;
  /** The connector buttons of the login page, or false when none is enabled. */
  loginChoices(context: LoginPageContext): SafeHtml | false;
  /**
   * Where to send the browser instead of showing the login page, or null: an RP's `idp_hint`
   * naming an enabled connector, a `login_hint` in an académie's e-mail domain, or the
   * remembered choice (unless the RP asked `prompt=select_account`).
   */
  hintedRedirect(context: LoginPageContext): string | null;
  /** The remembered connector id from the signed cookie, if any. */
  rememberedChoice(ctx: Context): string | undefined;
  close(): Promise<void>;
}

/** The default registry: the connector kinds this hub ships. */
export function defaultRegistry(): ConnectorRegistry {
  return new ConnectorRegistry().register(samlConnectorType).register(oidcConnectorType);
}

/** External id prefixes of a tenant (`LILLE` for source `AC-LILLE`), as the importer writes them. */
function prefixesOf(tenant: TenantConfig): string[] {
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
  const fromStore = await loadStoredConnectors(deps.store, deps.tenants.map((tenant) => tenant.id), deps.log);
  const declared = mergeDeclared(fromFiles, fromStore, deps.log);
  const connectors = new Map<string, OpenConnector>();
  try {
    for (const { config, tenantId, origin } of declared) {
      if (!config.enabled) continue;
      if (origin === 'config') {
        connectors.set(config.id, await registry.open(config, tenantId, context));
        continue;
      }
      // A file is reviewed before a start and stops it when wrong; a connector added at run
      // time must not keep the whole hub down (missing key file, unknown type): it is skipped.
      try {
        connectors.set(config.id, await registry.open(config, tenantId, context));
      } catch (err) {
        deps.log.error({ connector: config.id, tenant: tenantId, err: (err as Error).message }, `stored connector ${config.id} cannot be opened and was skipped: ${(err as Error).message}`);
      }
    }
  } catch (err) {
    await Promise.all([...connectors.values()].map((c) => c.close()));
    throw err;
  }
  const enabled = [...connectors.values()];
  for (const c of enabled) {
    if (c.config.profile === 'academie' && c.tenantId && context.routing.academicDomains(c.tenantId, c.config.emailDomains).length === 0) {
      deps.log.warn({ connector: c.id }, 'no académie e-mail domain for this staff connector (emailDomains or the tenant\'s academicDomains): no login will match an account');
    }
  }
  const families = enabled.filter((c) => c.config.profile === 'educonnect');
  const staff = enabled.filter((c) => c.config.profile === 'academie');

  const startUrl = (connectorId: string, ctx: LoginPageContext) => `${interactionFederationPath(ctx.uid, `start/${connectorId}`)}?${new URLSearchParams({ lang: ctx.lang })}`;

  const loginChoices = (ctx: LoginPageContext): SafeHtml | false => {
    if (enabled.length === 0) return false;
    const choices: Choice[] = families.map((c) => ({ href: startUrl(c.id, ctx), label: t(ctx.lang, 'federation.choice.educonnect'), lastUsed: ctx.remembered === c.id }));
    if (staff.length > 0) {
      choices.push({ href: `${interactionFederationPath(ctx.uid, 'staff')}?${new URLSearchParams({ lang: ctx.lang })}`, label: t(ctx.lang, 'federation.choice.staff'), lastUsed: staff.some((c) => c.id === ctx.remembered) });
    }
    return choicesHtml(ctx.lang, choices);
  };

  const hintedRedirect = (ctx: LoginPageContext): string | null => {
    const hint = typeof ctx.params.idp_hint === 'string' ? ctx.params.idp_hint : undefined;
    if (hint && connectors.has(hint)) return startUrl(hint, ctx);
    const loginHint = typeof ctx.params.login_hint === 'string' ? ctx.params.login_hint.trim().toLowerCase() : '';
    const domain = loginHint.includes('@') ? loginHint.slice(loginHint.lastIndexOf('@') + 1) : '';
    if (domain) {
      const byDomain = staff.find((c) => c.config.emailDomains.some((d) => d.toLowerCase() === domain)
        || (c.tenantId !== null && tenantsById.get(c.tenantId)?.directorySources.some((s) => s.academicDomains.some((d) => d.toLowerCase() === domain))));
      if (byDomain) return startUrl(byDomain.id, ctx);
    }
    const prompt = typeof ctx.params.prompt === 'string' ? ctx.params.prompt.split(' ') : [];
    if (ctx.remembered && connectors.has(ctx.remembered) && !prompt.includes('select_account')) return startUrl(ctx.remembered, ctx);
    return null;
  };

  const rememberedChoice = (ctx: Context): string | undefined => {
    const value = ctx.cookies.get(REMEMBERED_CHOICE_COOKIE, { signed: true });
    return value && connectors.has(value) ? value : undefined;
  };

  const routeDeps = {
    provider: deps.provider,
    store: deps.store,
    ephemeral: deps.ephemeral,
    log: deps.log,
    connectors,
    tenantNames: new Map(deps.tenants.map((tenant) => [tenant.id, tenant.name])),
    rememberChoiceDays: deps.config.federation.rememberChoiceDays,
    sessionTtlSeconds: deps.config.oidc.ttl.session,
  };

  return {
    routers: federationRouters(routeDeps),
    aroundProvider: upstreamLogoutAfterEndSession(routeDeps),
    loginChoices,
    hintedRedirect,
    rememberedChoice,
    close: async () => void (await Promise.all(enabled.map((c) => c.close()))),
  };
}
