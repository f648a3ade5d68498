/**
 * Puts the tenant a route names into `ctx.state.tenant`, as the tenant directory knows it (its
 * settings and its store scope), so a handler never looks a tenant up by hand. An unknown tenant
 * is a 404, rendered by the error handler as the hub's error page.
 */
import type { Context, Middleware } from 'koa';
import { NotFound } from '../shared/errors.js';
import { setRequestTenant } from '../shared/request-scope.js';

export interface TenantLookup<T> {
  get(id: string): T | undefined;
}

/** Which tenant a request is about; a route's `:tenant` parameter unless its router says otherwise. */
export type TenantIdOf = (ctx: Context) => string | undefined;

const tenantParam: TenantIdOf = (ctx) => (ctx as Context & { params?: Record<string, string> }).params?.tenant;

export function tenantContext<T>(tenants: TenantLookup<T>, tenantIdOf: TenantIdOf = tenantParam): Middleware {
  return async (ctx, next) => {
    const id = tenantIdOf(ctx);
    const tenant = id === undefined ? undefined : tenants.get(id);
    if (tenant === undefined) throw new NotFound(`tenant "${id ?? ''}"`);
    ctx.state.tenant = tenant;
    setRequestTenant(id!);
    await next();
  };
}
