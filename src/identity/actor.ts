import type { AdminRole } from './admin-roles.js';

/** Who performs an operation on accounts, clients or connectors, as the audit log names them. */
export type Actor =
  /** Someone at the hub's command line. */
  | { kind: 'operator'; name: string }
  /**
   * An administrator at the admin console (`accountId`), or a script with its own client
   * credentials (`accountId` null), acting with `role` on a tenant (`tenantId`) or the platform (null).
   */
  | { kind: 'admin'; accountId: string | null; clientId: string; role: AdminRole; tenantId: string | null }
  /** The hub itself, running a scheduled or start-up job. */
  | { kind: 'system'; job: string };

/**
 * The `hub` command. It runs under a shared system account on the hub's hosts, so it cannot
 * tell operators apart: the audit log has always said `by: 'cli'`.
 */
export const CLI_OPERATOR: Actor = { kind: 'operator', name: 'cli' };

/** How a store records who decided something (a merge, a role grant): a name, an account or client id, or the job. */
export function actorLabel(actor: Actor): string {
  switch (actor.kind) {
    case 'operator':
      return actor.name;
    case 'admin':
      return actor.accountId ?? actor.clientId;
    case 'system':
      return `system:${actor.job}`;
  }
}
