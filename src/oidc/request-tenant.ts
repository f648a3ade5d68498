/**
 * A request of a tenant's client (its token, introspection, authorization requests) is about that
 * tenant: once oidc-provider answered, the request's last lines (the `request` line above all)
 * name it (request-scope.ts). Runs around oidc-provider, whose `assign.client` event is its
 * per-request context's, not the provider's.
 */
import type { Middleware } from 'koa';
import { setRequestTenant } from '../shared/request-scope.js';
import { CLIENT_TENANT } from './account-access.js';

interface WithClient {
  oidc?: { client?: Record<string, unknown> };
}

export const tenantOfClient: Middleware = async (ctx, next) => {
  await next();
  const tenant = (ctx as unknown as WithClient).oidc?.client?.[CLIENT_TENANT];
  if (typeof tenant === 'string') setRequestTenant(tenant);
};
