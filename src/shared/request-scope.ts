/**
 * What a request is, for every log line written while it is handled: its id and, once known,
 * its tenant. The HTTP layer opens the scope; a module that learns the tenant (the signed-in
 * account's, a route's) names it; the logger's mixin adds both to each line, even for modules
 * logging through the root logger.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface RequestScope {
  readonly requestId: string;
  tenant: string | null;
}

const scopes = new AsyncLocalStorage<RequestScope>();

/** Runs `fn(...args)` (the rest of the request) inside its scope. */
export function runInRequestScope<T, A extends unknown[]>(scope: RequestScope, fn: (...args: A) => T, ...args: A): T {
  return scopes.run(scope, fn, ...args);
}

export function currentRequestScope(): RequestScope | undefined {
  return scopes.getStore();
}

/** The request being handled is about this tenant (no-op outside a request). */
export function setRequestTenant(tenantId: string): void {
  const scope = scopes.getStore();
  if (scope) scope.tenant = tenantId;
}
