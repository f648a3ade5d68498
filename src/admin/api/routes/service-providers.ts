/**
 * SAML service providers of a tenant, or of the platform (the GAR): list, one, add from a
 * metadata URL, change their settings, remove; and the tenant's GAR switch per school.
 */
import { z } from 'zod';
import { garOverview, garSchool, switchGarSchool, type GarSchoolPorts, type GarSchoolView } from '../../../gar/school-switch.js';
import { RELEASE_POLICY_NAMES } from '../../../saml/idp/policies.js';
import {
  addServiceProvider, listServiceProviders, ownedServiceProvider, removeServiceProvider, updateServiceProviderSettings, type SpServicePorts,
} from '../../../saml/idp/sp-service.js';
import { SP_SIGNATURES, type ServiceProvider } from '../../../storage/ports/index.js';
import { ownerLevels, pageOf, route, tenantParams, type AdminRoute } from '../kit.js';

export interface SpRouteDeps extends SpServicePorts {
  /** The tenants' GAR sections and the hub's copy of their switches. */
  gar: Omit<GarSchoolPorts, 'store'>;
}

export const spView = z.object({
  entityId: z.string(),
  tenant: z.string().nullable().describe('null: a platform SP (the GAR).'),
  displayName: z.string(),
  enabled: z.boolean(),
  releasePolicy: z.string().describe(`The attributes it receives: ${RELEASE_POLICY_NAMES.join(', ')}.`),
  signatures: z.enum(SP_SIGNATURES).describe('What its Responses carry signed.'),
  encryptAssertions: z.boolean().describe('Encrypt its assertions when its metadata has an encryption key.'),
  encryptionKey: z.boolean().describe('Whether its metadata has an encryption key.'),
  source: z.object({ kind: z.enum(['file', 'url', 'aggregate']), location: z.string() }),
  assertionConsumerServices: z.array(z.string()),
  validUntil: z.string().nullable(),
  fetchedAt: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const toSpView = (sp: ServiceProvider): z.output<typeof spView> => ({
  entityId: sp.entityId, tenant: sp.tenantId, displayName: sp.displayName, enabled: sp.enabled, releasePolicy: sp.releasePolicy,
  signatures: sp.signatures, encryptAssertions: sp.encryptAssertions, encryptionKey: sp.metadata.encryptionCertificates.length > 0,
  source: { ...sp.source }, assertionConsumerServices: sp.metadata.assertionConsumerServices.map((a) => a.location),
  validUntil: sp.validUntil?.toISOString() ?? null, fetchedAt: sp.fetchedAt.toISOString(), createdAt: sp.createdAt.toISOString(), updatedAt: sp.updatedAt.toISOString(),
});

const policy = z.string().min(1).max(64).describe(`A release policy: ${RELEASE_POLICY_NAMES.join(', ')}.`);
const settings = z.object({
  displayName: z.string().min(1).max(200),
  enabled: z.boolean(),
  releasePolicy: policy,
  signatures: z.enum(SP_SIGNATURES),
  encryptAssertions: z.boolean(),
});
const newSp = settings.omit({ enabled: true }).partial().extend({
  metadataUrl: z.string().min(1).max(2048).describe('Where the SP publishes its metadata (https in production); read and checked before anything is written.'),
});


function spRoutesOfOwners(ports: SpServicePorts): AdminRoute[] {
  return ownerLevels('service-providers').flatMap(({ level, base, params, suffix }) => {
    const idParams = params.extend({ entityId: z.string().min(1).max(1024).describe('The SP\'s entityID, URL-encoded.') });
    return [
      route({
        operationId: `listServiceProviders${suffix}`, method: 'get', path: base, summary: 'List the SAML service providers', tag: 'service providers', level, permission: 'sps.read',
        params, reply: { status: 200, description: 'Every SP of the tenantId, disabled ones included, by entityID (a single page).', schema: pageOf(spView) },
        handle: async ({ tenantId, actor }) => {
          return { json: { items: (await listServiceProviders(ports.store, actor, tenantId)).map(toSpView), next: null } };
        },
      }),
      route({
        operationId: `getServiceProvider${suffix}`, method: 'get', path: `${base}/:entityId`, summary: 'An SP', tag: 'service providers', level, permission: 'sps.read',
        params: idParams, reply: { status: 200, description: 'The SP (never its metadata document).', schema: spView },
        handle: async ({ tenantId, params: p, actor }) => {
          return { json: toSpView(await ownedServiceProvider(ports.store, actor, tenantId, p.entityId)) };
        },
      }),
      route({
        operationId: `addServiceProvider${suffix}`, method: 'post', path: base, summary: 'Register an SP from its metadata URL', tag: 'service providers', level, permission: 'sps.manage',
        params, body: newSp,
        reply: { status: 201, description: 'The SP, enabled. 400 for a URL the hub will not read, 502 when it does not answer, 409 for an entityID already registered.', schema: spView },
        handle: async ({ tenantId, body, actor }) => {
          const { metadataUrl, ...chosen } = body;
          return { status: 201, json: toSpView(await addServiceProvider(ports, actor, { owner: tenantId, from: { url: metadataUrl }, ...chosen })) };
        },
      }),
      route({
        operationId: `updateServiceProvider${suffix}`, method: 'patch', path: `${base}/:entityId`, summary: 'Change some settings of an SP: name, state, release policy, signatures, encryption', tag: 'service providers', level, permission: 'sps.manage',
        params: idParams, body: settings.partial(),
        reply: { status: 200, description: 'The SP and the fields that changed.', schema: z.object({ serviceProvider: spView, changed: z.array(z.string()) }) },
        handle: async ({ tenantId, params: p, body, actor }) => {
          const { sp, changed } = await updateServiceProviderSettings(ports, actor, tenantId, p.entityId, body);
          return { json: { serviceProvider: toSpView(sp), changed } };
        },
      }),
      route({
        operationId: `removeServiceProvider${suffix}`, method: 'delete', path: `${base}/:entityId`, summary: 'Remove an SP (its users can no longer sign in there)', tag: 'service providers', level, permission: 'sps.manage',
        params: idParams, reply: { status: 204, description: 'Removed.' },
        handle: async ({ tenantId, params: p, actor }) => {
          await ownedServiceProvider(ports.store, actor, tenantId, p.entityId);
          await removeServiceProvider(ports, actor, p.entityId);
          return { status: 204 };
        },
      }),
    ];
  });
}

const garSchoolView = z.object({
  uai: z.string(),
  name: z.string().nullable().describe('null: a school the tenant file lists that no import brought yet.'),
  enabled: z.boolean().describe('Whether the school uses the GAR: its users reach the GAR\'s resources and are in the annuaire export.'),
  origin: z.enum(['file', 'switch', 'all']).describe('`file`: the tenant file\'s list decides; `switch`: an admin switched it; `all`: the file turns the GAR on for every school.'),
  switchedAt: z.string().nullable(),
});
const toGarSchoolView = (s: GarSchoolView): z.output<typeof garSchoolView> => ({ ...s, switchedAt: s.switchedAt?.toISOString() ?? null });
const schoolParams = tenantParams.extend({ uai: z.string().min(1).max(16) });

function garSchoolRoutes(ports: GarSchoolPorts): AdminRoute[] {
  const base = '/tenants/:tenant/gar/schools';
  return [
    route({
      operationId: 'listGarSchools', method: 'get', path: base, summary: 'The tenant\'s GAR: its project id and the schools that use it', tag: 'gar', level: 'tenant', permission: 'sps.read',
      params: tenantParams,
      reply: {
        status: 200, description: 'With `declared: list`, the schools the tenant file lists and those an admin switched, by UAI.',
        schema: z.object({ projectId: z.string().nullable(), declared: z.enum(['none', 'all', 'list']), schools: z.array(garSchoolView) }),
      },
      handle: async ({ params }) => {
        const overview = await garOverview(ports, params.tenant);
        return { json: { ...overview, schools: overview.schools.map(toGarSchoolView) } };
      },
    }),
    route({
      operationId: 'getGarSchool', method: 'get', path: `${base}/:uai`, summary: 'Whether a school uses the GAR', tag: 'gar', level: 'tenant', permission: 'sps.read',
      params: schoolParams, reply: { status: 200, description: 'The school\'s GAR state.', schema: garSchoolView },
      handle: async ({ params }) => {
        return { json: toGarSchoolView(await garSchool(ports, params.tenant, params.uai)) };
      },
    }),
    route({
      operationId: 'switchGarSchool', method: 'put', path: `${base}/:uai`, summary: 'Turn the GAR on or off for a school', tag: 'gar', level: 'tenant', permission: 'sps.manage',
      params: schoolParams, body: z.object({ enabled: z.boolean() }),
      reply: { status: 200, description: 'The school\'s GAR state. 409 when the tenant file declares no GAR, or turns it on for all schools.', schema: garSchoolView },
      handle: async ({ params, body, actor }) => {
        return { json: toGarSchoolView(await switchGarSchool(ports, actor, params.tenant, params.uai, body.enabled)) };
      },
    }),
  ];
}

export function spRoutes(deps: SpRouteDeps): AdminRoute[] {
  return [...spRoutesOfOwners(deps), ...garSchoolRoutes({ store: deps.store, ...deps.gar })];
}
