/**
 * The federation routes' paths, in one table: the routers are built from it, and the connector
 * ids the routes would confuse with their own words are derived from it.
 */

/** The steps of one sign-in, under the login transaction's path. */
export const SIGN_IN_STEPS = {
  start: '/start/:connector',
  staff: '/staff',
  back: '/back',
  continue: '/continue/:ticket',
  choose: '/choose/:ticket',
} as const;

/** The upstream IdPs' endpoints, under /federation. */
export const UPSTREAM_ENDPOINTS = {
  metadata: '/:connector/metadata',
  acs: '/:connector/acs',
  callback: '/:connector/callback',
  logout: '/logout',
  slo: '/:connector/slo',
} as const;

/** Every fixed word of those paths: a connector named like one would be shadowed or ambiguous. */
export const ROUTE_WORDS: readonly string[] = [...new Set(
  [...Object.values(SIGN_IN_STEPS), ...Object.values(UPSTREAM_ENDPOINTS)]
    .flatMap((path) => path.split('/'))
    .filter((segment) => segment !== '' && !segment.startsWith(':')),
)];
