/** The OpenAPI 3.1 document of the admin API, generated from the routes' own declarations. */
import { z } from 'zod';
import { ADMIN_SCOPE } from '../../oidc/admin-tokens.js';
import type { AdminRoute } from './kit.js';

const PROBLEM = z.object({
  type: z.string().describe('`about:blank`, or a URI naming the kind of problem.'),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().describe('What went wrong, in a sentence a person understands.'),
  code: z.string().describe('A stable machine-readable code (`not_found`, `forbidden`, `invalid_input`…).'),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional().describe('Each invalid field, for `invalid_input`.'),
  requestId: z.string().optional(),
});

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
};

const openApiPath = (path: string) => path.replace(/:([A-Za-z_]+)/g, '{$1}');

function parametersOf(route: AdminRoute) {
  const of = (schema: z.ZodType | undefined, where: 'path' | 'query') => {
    if (!schema) return [];
    const json = jsonSchema(schema, 'input') as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
    return Object.entries(json.properties ?? {}).map(([name, property]) => {
      const { description, ...rest } = property;
      return {
        name, in: where, required: where === 'path' || (json.required ?? []).includes(name),
        ...(typeof description === 'string' ? { description } : {}), schema: rest,
      };
    });
  };
  return [...of(route.params, 'path'), ...of(route.query, 'query')];
}

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });

function operationOf(route: AdminRoute) {
  const { reply } = route;
  const content = reply.schema
    ? { 'application/json': { schema: jsonSchema(reply.schema, 'output') } }
    : reply.contentType ? { [reply.contentType]: { schema: { type: 'string', format: 'binary' } } } : undefined;
  return {
    operationId: route.operationId,
    summary: route.summary,
    tags: [route.tag],
    description: `Requires the \`${route.permission}\` permission${route.level === 'tenant' ? ' in the tenant' : route.level === 'platform' ? ' on the platform' : ''}.`,
    parameters: parametersOf(route),
    ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body, 'input') } } } } : {}),
    responses: {
      [String(reply.status)]: { description: reply.description, ...(content ? { content } : {}) },
      400: problem('The request is invalid (each field named).'),
      401: problem('No valid admin access token.'),
      403: problem('The token\'s subject has no role allowing this here.'),
      404: problem('Not found, or outside your reach.'),
      409: problem('Conflicts with the current state.'),
    },
  };
}

export function openApiDocument(routes: readonly AdminRoute[], issuer: string): Record<string, unknown> {
  const base = issuer.replace(/\/$/, '');
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) (paths[openApiPath(route.path)] ??= {})[route.method] = operationOf(route);
  return {
    openapi: '3.1.0',
    info: {
      title: 'ent-sso-hub admin API',
      version: '1',
      description: 'Run the tenants of the hub: accounts, connection letters, duplicates, imports, clients, SAML SPs, roles, audit. Every list is keyset-paginated (`limit`, `after` → `next`); every error is `application/problem+json`.',
    },
    servers: [{ url: `${base}/admin/api` }],
    security: [{ hubOAuth: [ADMIN_SCOPE] }],
    paths,
    components: {
      schemas: { Problem: jsonSchema(PROBLEM, 'output') },
      securitySchemes: {
        hubOAuth: {
          type: 'oauth2',
          description: 'Access tokens of the hub itself, with the `admin` scope: the admin console\'s (a person signed in with two factors), or a script\'s own (client credentials). What they allow comes from the role grants of their subject.',
          flows: {
            authorizationCode: { authorizationUrl: `${base}/auth`, tokenUrl: `${base}/token`, scopes: { [ADMIN_SCOPE]: 'The admin API' } },
            clientCredentials: { tokenUrl: `${base}/token`, scopes: { [ADMIN_SCOPE]: 'The admin API' } },
          },
        },
      },
    },
  };
}
