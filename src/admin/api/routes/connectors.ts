/**
 * Upstream IdP connectors of a tenant (its académie IdP) or of the platform: those of the files
 * (read only) and those registered at run time, which an admin adds and removes. A change is
 * applied at once by the node that made it, and by the others within `federation.reloadSeconds`.
 */
import { z } from 'zod';
import { addConnector, connectorsOf, removeConnector, type ConnectorPorts } from '../../../federation/connector-service.js';
import { ownerLevels, pageOf, route, type AdminRoute } from '../kit.js';

const connectorView = z.object({
  id: z.string(), type: z.string(), profile: z.string(), displayName: z.string(), enabled: z.boolean(),
  origin: z.enum(['file', 'store']).describe('`file`: declared in the configuration files, changed there; `store`: registered at run time.'),
});


export function connectorRoutes(ports: ConnectorPorts): AdminRoute[] {
  return ownerLevels('connectors').flatMap(({ level, base, params, suffix }) => {
    return [
      route({
        operationId: `listConnectors${suffix}`, method: 'get', path: base, summary: 'The upstream IdP connectors', tag: 'connectors', level, permission: 'connectors.read',
        params, reply: { status: 200, description: 'Every connector (a single page).', schema: pageOf(connectorView) },
        handle: async ({ tenantId }) => {
          const inFiles = ports.inFiles.filter((c) => c.tenantId === tenantId).map(({ config: c }) => ({ id: c.id, type: c.type, profile: c.profile, displayName: c.displayName, enabled: c.enabled, origin: 'file' as const }));
          const stored = (await (await connectorsOf(ports.store, tenantId)).list()).map((c) => ({ id: c.id, type: c.type, profile: c.profile, displayName: c.displayName, enabled: c.enabled, origin: 'store' as const }));
          return { json: { items: [...inFiles, ...stored], next: null } };
        },
      }),
      route({
        operationId: `addConnector${suffix}`, method: 'post', path: base, summary: 'Register a connector (as a YAML connector entry, secrets as { env } or { file } references); opened by the node that answers at once, by the others within federation.reloadSeconds', tag: 'connectors', level, permission: 'connectors.manage',
        params, body: z.object({ connector: z.record(z.string(), z.unknown()).describe('The connector, as in a tenant file\'s `connectors` list.') }),
        reply: { status: 201, description: 'The stored connector.', schema: connectorView },
        handle: async ({ tenantId, body, actor }) => {
          const row = await addConnector(ports, actor, { owner: tenantId, document: body.connector, source: 'the connector' });
          return { status: 201, json: { id: row.id, type: row.type, profile: row.profile, displayName: row.displayName, enabled: row.enabled, origin: 'store' } };
        },
      }),
      route({
        operationId: `removeConnector${suffix}`, method: 'delete', path: `${base}/:connector`, summary: 'Remove a stored connector', tag: 'connectors', level, permission: 'connectors.manage',
        params: params.extend({ connector: z.string().min(1).max(64) }), reply: { status: 204, description: 'Removed.' },
        handle: async ({ tenantId, params: p, actor }) => {
          await removeConnector(ports, actor, tenantId, p.connector);
          return { status: 204 };
        },
      }),
    ];
  });
}
