/**
 * Configuration of upstream identity connectors: the platform's (ÉduConnect, in the hub's
 * config under `federation`) and each tenant's (its académie staff IdP, in `tenants/*.yaml`
 * under `connectors`). Each connector type owns the schema of its section
 * (connectors/<type>/settings.ts); this module keeps what every connector has.
 *
 * A connector may be declared disabled with only its id, type and label (the samples do): the
 * protocol settings are required only once it is enabled, so a tenant can be prepared before
 * its IdP is.
 */
import { z } from 'zod';
import { authnLevelSchema } from './core/authn-level.js';
import { ROUTE_WORDS } from './http/paths.js';

/** How the upstream's answer becomes an identity, and how it is matched to an imported account. */
export const CONNECTOR_PROFILES = ['educonnect', 'academie'] as const;
export type ConnectorProfile = (typeof CONNECTOR_PROFILES)[number];

/** Where `npm run educonnect:local` (scripts/educonnect-local.ts) writes its files: development only. */
export const LOCAL_STANDIN_DIR = 'data/educonnect-local';

/** Functions (the 4th field of FrEduRne, or FrEduFonctAdm) of teaching staff (DOMAIN.md). */
export const DEFAULT_TEACHING_FUNCTIONS = ['ENS', 'DOC'];

const accountCreationSchema = z.strictObject({
  /**
   * The profile of a staff account: `byFunction` makes Teacher whoever has a teaching function in
   * one of their FrEduRne values (`teachingFunctions`), else Personnel; or always one of them
   * (an IdP serving only teachers, or only administration).
   */
  staffProfile: z.enum(['byFunction', 'Teacher', 'Personnel']).default('byFunction'),
  teachingFunctions: z.array(z.string().regex(/^[A-Z0-9]{2,10}$/, 'an upper-case function code (ENS, DOC…)')).min(1).default(DEFAULT_TEACHING_FUNCTIONS),
});
export type AccountCreationConfig = z.infer<typeof accountCreationSchema>;

/** The fields every connector has, whatever its type; the rest is its type's section. */
function sharedFields(defaultProfile: ConnectorProfile) {
  return {
    id: z.string().regex(/^[a-z0-9-]{2,40}$/, 'lower-case letters, digits and -')
      .refine((id) => !ROUTE_WORDS.includes(id), { message: `reserved (the federation routes use ${ROUTE_WORDS.join(', ')})` }),
    /** The connector type (a name of the connector registry, ../federation/index.ts); its settings are under the key of that name. */
    type: z.string().regex(/^[a-z][a-z0-9]{1,30}$/, 'a connector type: lower-case letters and digits'),
    /** The label on the login page. */
    displayName: z.string().min(1),
    enabled: z.boolean().default(false),
    profile: z.enum(CONNECTOR_PROFILES).default(defaultProfile),
    /**
     * Link only, never create (the default): a login that matches no imported account gets the
     * "no account" page. `false`: such a login creates an active, password-less account in the
     * connector's tenant from what the upstream vouches for (../linking/provision.ts).
     */
    linkOnly: z.boolean().default(true),
    /** How `linkOnly: false` makes the account; ignored while linkOnly is true. */
    accountCreation: accountCreationSchema.prefault({}),
    /**
     * Domains of the académie e-mail addresses this IdP serves (login_hint routing, and the only
     * domains matched); empty: the tenant's directory sources' `academicDomains`.
     */
    emailDomains: z.array(z.string().min(3)).default([]),
    /** The `acr` of sign-ins through this connector (src/federation/core/authn-level.ts). */
    acr: authnLevelSchema.prefault({}),
  };
}

/**
 * The connector registry's check of a connector document: its type is registered and its section
 * is valid for that type. Issue paths start at the connector (`saml.signing.keyFile`).
 */
export type ConnectorSettingsCheck = (document: Record<string, unknown>) => z.core.$ZodIssue[];

/** `null`: the platform's; else a tenant id. */
export type ConnectorOwner = string | null;

/**
 * A connector document: the shared fields, and one section named after its type (`saml:` for a
 * SAML connector), required once it is enabled. The section is kept as written and validated by
 * `settingsCheck` when there is one; without, by its type when the connector opens: the
 * configuration loaders need no connector type, they are handed the check.
 */
function connectorSchema(defaultProfile: ConnectorProfile, settingsCheck: ConnectorSettingsCheck | null) {
  const fields = sharedFields(defaultProfile);
  return z.looseObject(fields)
    // Run even when a shared field is wrong: every problem of the document is reported at once.
    .superRefine((c: Record<string, unknown>, ctx) => {
      if (typeof c !== 'object' || c === null) return;
      for (const key of Object.keys(c)) if (!(key in fields) && key !== c.type) ctx.addIssue({ code: 'custom', path: [key], message: 'unknown key' });
      for (const issue of settingsCheck?.(c) ?? []) ctx.addIssue(issue as z.core.$ZodSuperRefineIssue);
    }, { when: () => true })
    .superRefine((c, ctx) => {
      if (c.enabled && c[c.type] === undefined) ctx.addIssue({ code: 'custom', path: [c.type], message: 'required when the connector is enabled' });
    })
    .transform(({ id, type, displayName, enabled, profile, linkOnly, accountCreation, emailDomains, acr, ...sections }) => (
      { id, type, displayName, enabled, profile, linkOnly, accountCreation, emailDomains, acr, settings: sections[type] }
    ));
}

/** Whether a connector's settings name a file of the local ÉduConnect stand-in (development only). */
export function usesLocalStandIn(connector: ConnectorConfig): boolean {
  const strings = (value: unknown): string[] => {
    if (typeof value === 'string') return [value];
    if (Array.isArray(value)) return value.flatMap(strings);
    return typeof value === 'object' && value !== null ? Object.values(value).flatMap(strings) : [];
  };
  return strings(connector.settings).some((value) => value.replace(/^\.\//, '').startsWith(LOCAL_STANDIN_DIR));
}

/** A tenant's connector: its académie staff IdP. */
export const tenantConnectorSchema = connectorSchema('academie', null);

/** A platform connector (ÉduConnect): the profile defaults to educonnect. */
export const platformConnectorSchema = connectorSchema('educonnect', null);

/** The whole schema of a connector of this owner, its type's section included. */
export function checkedConnectorSchema(owner: ConnectorOwner, settingsCheck: ConnectorSettingsCheck) {
  return connectorSchema(owner === null ? 'educonnect' : 'academie', settingsCheck);
}

export const platformFederationSchema = z.strictObject({
  /** Platform-wide connectors (ÉduConnect). */
  connectors: z.array(platformConnectorSchema).default([]),
  /** Remember the user's last choice on the login page for this many days (0: never). */
  rememberChoiceDays: z.number().int().min(0).max(400).default(180),
  /**
   * How often an unavailable connector is opened again, in seconds. A connector is unavailable
   * (the login page says so; the hub runs) while a file it needs does not exist yet (the IdP's
   * metadata before the metadata exchange, a key or certificate file) or its metadata URL does
   * not answer; it opens at the first retry after the file appears, without a restart. Any
   * other configuration error stops the start.
   */
  retrySeconds: z.number().int().min(1).max(3600).default(15),
  /**
   * How often each hub process reads the stored connectors again (those an admin adds, changes or
   * removes at run time, `hub connectors` or the admin API), in seconds: a new one is opened, a
   * removed one closed, a changed one opened anew and then swapped in, without a restart. The
   * process that made the change applies it at once; the others within this delay. Default 30.
   */
  reloadSeconds: z.number().int().min(1).max(3600).default(30),
});

export type TenantConnectorConfig = z.infer<typeof tenantConnectorSchema>;
export type ConnectorConfig = TenantConnectorConfig;
export type PlatformFederationConfig = z.infer<typeof platformFederationSchema>;
