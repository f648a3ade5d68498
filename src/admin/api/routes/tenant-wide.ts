/**
 * Until a route can declare that it needs a tenant-wide reach, the routes of tenant-wide objects
 * (import runs, service providers, the GAR switches) ask here first: a role limited to some
 * schools is refused, since these objects belong to no school.
 */
import { Forbidden, type Reach } from '../../authorization.js';

export function requireTenantWide(reach: Reach | null, what: string): void {
  if (reach?.kind === 'structures') throw new Forbidden(`${what} concern the whole tenant: a role limited to some schools does not reach them`);
}
