/** OIDC clients of a tenant, or of the platform: list, create (the secret shown once), edit, rotate the secret. */
import { z } from 'zod';
import { addClient, clientsOf, ownedClient, rotateClientSecret, updateClient, type ClientPorts } from '../../../oidc/client-service.js';
import type { OidcClientRecord } from '../../../storage/ports/index.js';
import { ownerLevels, pageOf, route, type AdminRoute } from '../kit.js';

const clientSummary = z.object({
  clientId: z.string(),
  name: z.string(),
  public: z.boolean(),
  firstParty: z.boolean(),
  origin: z.string().describe('`config` (declared in the hub\'s configuration, edited there), `cli` (registered at run time), `development`.'),
  redirectUris: z.array(z.string()),
  scopes: z.array(z.string()),
  grantTypes: z.array(z.string()),
  disabledAt: z.string().nullable(),
  createdAt: z.string(),
});

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);
const toClientSummary = (c: OidcClientRecord): z.output<typeof clientSummary> => ({
  clientId: c.clientId, name: c.name, public: c.secretHash === null, firstParty: c.firstParty, origin: c.origin,
  redirectUris: strings(c.metadata.redirect_uris), scopes: String(c.metadata.scope ?? '').split(' ').filter(Boolean),
  grantTypes: strings(c.metadata.grant_types), disabledAt: c.disabledAt?.toISOString() ?? null, createdAt: c.createdAt.toISOString(),
});

const uri = z.string().url().max(2048);
const settings = z.object({
  name: z.string().min(1).max(200),
  redirectUris: z.array(uri).max(20),
  postLogoutRedirectUris: z.array(uri).max(20).optional(),
  backchannelLogoutUri: uri.optional(),
  scopes: z.array(z.string().min(1).max(64)).min(1).max(30),
  grantTypes: z.array(z.enum(['authorization_code', 'refresh_token', 'client_credentials'])).optional(),
  webOrigins: z.array(uri).max(20).optional(),
});
const newClient = settings.extend({
  clientId: z.string().regex(/^[a-z0-9][a-z0-9._-]{1,63}$/, 'lowercase letters, digits, dots, dashes and underscores, 2 to 64'),
  public: z.boolean().describe('A public client (a mobile or single-page app, PKCE) has no secret.'),
});


export function clientRoutes(ports: ClientPorts): AdminRoute[] {
  return ownerLevels('clients').flatMap(({ level, base, params, suffix }) => {
    const idParams = params.extend({ clientId: z.string().min(1).max(64) });
    return [
      route({
        operationId: `listClients${suffix}`, method: 'get', path: base, summary: 'List the OIDC clients', tag: 'clients', level, permission: 'clients.read',
        params, reply: { status: 200, description: 'Every client, disabled ones included (a single page).', schema: pageOf(clientSummary) },
        handle: async ({ tenantId }) => ({ json: { items: (await clientsOf(ports.store, tenantId)).map(toClientSummary), next: null } }),
      }),
      route({
        operationId: `getClient${suffix}`, method: 'get', path: `${base}/:clientId`, summary: 'A client', tag: 'clients', level, permission: 'clients.read',
        params: idParams, reply: { status: 200, description: 'The client.', schema: clientSummary },
        handle: async ({ tenantId, params: p }) => ({ json: toClientSummary(await ownedClient(ports.store, tenantId, p.clientId)) }),
      }),
      route({
        operationId: `createClient${suffix}`, method: 'post', path: base, summary: 'Register a client; a confidential one\'s secret is shown once', tag: 'clients', level, permission: 'clients.manage',
        params, body: newClient,
        reply: { status: 201, description: 'The client, with its secret (null for a public client), never shown again.', schema: z.object({ client: clientSummary, secret: z.string().nullable() }) },
        handle: async ({ tenantId, body, actor }) => {
          const { clientId, public: isPublic, ...rest } = body;
          const { secret } = await addClient(ports, actor, { clientId, tenantId: tenantId, public: isPublic, settings: rest });
          return { status: 201, json: { client: toClientSummary(await ownedClient(ports.store, tenantId, clientId)), secret } };
        },
      }),
      route({
        operationId: `updateClient${suffix}`, method: 'patch', path: `${base}/:clientId`, summary: 'Change some settings of a client', tag: 'clients', level, permission: 'clients.manage',
        params: idParams, body: settings.partial(), reply: { status: 200, description: 'The fields that changed.', schema: z.object({ changed: z.array(z.string()) }) },
        handle: async ({ tenantId, params: p, body, actor }) => {
          await ownedClient(ports.store, tenantId, p.clientId);
          return { json: await updateClient(ports, actor, p.clientId, { settings: body, removeBackchannelLogoutUri: false, removeServedTenants: false }) };
        },
      }),
      route({
        operationId: `rotateClientSecret${suffix}`, method: 'post', path: `${base}/:clientId/secret`, summary: 'Draw a new secret (the old one stops working); shown once', tag: 'clients', level, permission: 'clients.manage',
        params: idParams, reply: { status: 201, description: 'The new secret, never shown again.', schema: z.object({ secret: z.string() }) },
        handle: async ({ tenantId, params: p, actor }) => ({ status: 201, json: await rotateClientSecret(ports, actor, tenantId, p.clientId) }),
      }),
    ];
  });
}
