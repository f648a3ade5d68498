/**
 * An admin route, declared once: its path, the permission it needs, the zod schemas of its
 * parameters, query, body and answer, and its handler. The HTTP router, the OpenAPI document and
 * the console all read the same declaration, so the document cannot drift from the code.
 */
import type { Readable } from 'node:stream';
import { z } from 'zod';
import type { AdminPermission, AdminRole } from '../../identity/admin-roles.js';
import type { Actor } from '../../identity/actor.js';
import { HubError, NotFound } from '../../shared/errors.js';
import { setRequestTenant } from '../../shared/request-scope.js';
import type { Lang } from '../../ui/i18n.js';
import { actorOf, Forbidden, requirePlatform, requireReach, type AdminPrincipal, type Reach } from '../authorization.js';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * `tenant`: the path starts with `/tenants/:tenant` and the principal needs the permission there;
 * `platform`: a platform grant; `signed-in`: any admin principal (its own profile, its tenants).
 */
export type RouteLevel = 'tenant' | 'platform' | 'signed-in';

/** What a handler receives, parsed and checked. */
export interface AdminRequest<P, Q, B> {
  principal: AdminPrincipal;
  params: P;
  query: Q;
  body: B;
  /** The tenant of a `tenant` route; null otherwise. */
  tenantId: string | null;
  /** How far the permission reaches in that tenant; null on other levels. */
  reach: Reach | null;
  /** Who the audit log names for what this request does. */
  actor: Actor;
  lang: Lang;
}

/** A JSON answer, or a file streamed as it is made (a PDF, a CSV). */
export type Reply =
  | { status?: number; json: unknown }
  | { status?: number; stream: Readable | AsyncIterable<string | Buffer>; contentType: string; filename: string }
  | { status: 204 };

export interface ReplySpec {
  status: number;
  description: string;
  /** A JSON answer's schema. */
  schema?: z.ZodType;
  /** A file's media type (`application/pdf`, `text/csv`). */
  contentType?: string;
}

type Schema = z.ZodType;
type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface AdminRoute<P extends Schema | undefined = Schema | undefined, Q extends Schema | undefined = Schema | undefined, B extends Schema | undefined = Schema | undefined> {
  operationId: string;
  method: Method;
  /** Below `/admin/api`, with `:name` parameters. */
  path: string;
  summary: string;
  tag: string;
  level: RouteLevel;
  permission: AdminPermission;
  /**
   * A `tenant` route a role over some structures may use (the handler narrows to them);
   * otherwise it needs a role over the whole tenant (clients, imports, roles, the audit log).
   */
  structureScoped?: boolean;
  params?: P;
  query?: Q;
  body?: B;
  reply: ReplySpec;
  handle(request: AdminRequest<Out<P>, Out<Q>, Out<B>>): Promise<Reply>;
}

/** Declares a route with its types inferred from its schemas. */
export function route<P extends Schema | undefined, Q extends Schema | undefined, B extends Schema | undefined>(r: AdminRoute<P, Q, B>): AdminRoute {
  return r as unknown as AdminRoute;
}

/** A request the schemas refuse: 400 with each problem and where it is. */
export class InvalidInput extends HubError {
  constructor(readonly where: 'path' | 'query' | 'body', readonly problems: Array<{ path: string; message: string }>) {
    super('invalid_input', `invalid ${where}: ${problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('; ')}`, { status: 400 });
  }
}

function parse<S extends Schema | undefined>(schema: S, value: unknown, where: 'path' | 'query' | 'body'): Out<S> {
  if (!schema) return undefined as Out<S>;
  const result = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
  if (!result.success) throw new InvalidInput(where, result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
  return result.data as Out<S>;
}

export interface RawInput {
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
  lang: Lang;
}

/** Checks a tenant exists once the principal may ask about it: an unknown one is 404 to whoever could see it. */
export type TenantExists = (tenantId: string) => Promise<boolean>;

/** Parses, authorizes and runs a route: what both the HTTP API and the console do. */
export async function runRoute(route: AdminRoute, principal: AdminPrincipal, input: RawInput, tenantExists: TenantExists): Promise<Reply> {
  const params = parse(route.params, input.params, 'path') as Record<string, unknown> | undefined;
  let reach: Reach | null = null;
  let role: AdminRole;
  let tenantId: string | null = null;
  if (route.level === 'tenant') {
    tenantId = String(params?.tenant ?? '');
    reach = requireReach(principal, route.permission, tenantId);
    if (reach.kind === 'structures' && !route.structureScoped) throw new Forbidden(`your roles over some schools of ${tenantId} do not allow this: it needs a role over the whole tenant`);
    role = reach.role;
    if (!(await tenantExists(tenantId))) throw new NotFound(`tenant "${tenantId}"`);
    setRequestTenant(tenantId);
  } else if (route.level === 'platform') {
    role = requirePlatform(principal, route.permission);
  } else {
    role = principal.grants[0]?.role ?? 'auditor';
  }
  const query = parse(route.query, input.query, 'query');
  const body = parse(route.body, input.body, 'body');
  return route.handle({
    principal, params, query, body, tenantId, reach, lang: input.lang,
    actor: actorOf(principal, role, tenantId ?? principal.grants.find((g) => g.role === role)?.tenantId ?? null),
  });
}

/** A keyset page's query: `limit` (1–200, 50 by default) and the previous page's `next`. */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50).describe('Items per page.'),
  after: z.string().max(512).optional().describe('The `next` cursor of the previous page.'),
});

/** A list answer: its items and the cursor of the next page (null on the last). */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), next: z.string().nullable() });
}

export const tenantParams = z.object({ tenant: z.string().min(1).max(64) });

/**
 * A resource both a tenant and the platform own (clients, SPs, connectors, the audit log): its
 * routes under `/tenants/:tenant/<name>` and `/platform/<name>`, operation ids suffixed
 * `OfPlatform` for the second. A handler reads the owner from the request's `tenantId`.
 */
export function ownerLevels(name: string) {
  return [
    { level: 'tenant' as const, base: `/tenants/:tenant/${name}`, params: tenantParams, suffix: '' },
    { level: 'platform' as const, base: `/platform/${name}`, params: z.object({}), suffix: 'OfPlatform' },
  ];
}
