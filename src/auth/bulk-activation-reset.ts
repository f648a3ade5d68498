/**
 * New activation codes for the pending (never activated) accounts of a structure, a class or an
 * import run. Active, disabled and disappeared accounts are left as they are and counted.
 * Audited per account (`activation.reset`, as for one account: an account's history shows every
 * code issued for it) and once for the operation (`activation.reset_bulk`, with the selection
 * and the counts: what the actor did, in one event).
 */
import type { Actor } from '../identity/actor.js';
import { HubError } from '../shared/errors.js';
import { AuditWriter, type ResetSelection } from '../storage/ports/audit-writer.js';
import type { Account, PlatformStore } from '../storage/ports/index.js';
import { newActivation, type AccountPorts } from './account-service.js';

/** Which accounts: a structure's (by UAI, as typed or in capitals), a class of it, or an import run's. */
export type SelectionQuery = { tenant?: string } & ({ run: string } | { structure: string; class?: string });

/** What a bulk reset covers, in one tenant. */
export interface PendingSelection {
  tenantId: string;
  describe: ResetSelection;
  /** A page of the selected accounts, whatever their status, in a stable order. */
  page(offset: number, limit: number): Promise<Account[]>;
  /** Something the actor should know about the selection. */
  note?: string;
}

/** Where the codes go: they exist nowhere else (the store keeps their hashes). */
export interface CodeSink {
  write(rows: Array<{ login: string; code: string; externalId: string | null }>): void;
}

/** The selection's accounts counted by status, when they got no code. */
export type Skipped = Record<string, number>;

const PAGE = 500;

/** A query naming nothing that exists: refused before anything is written. */
const refused = (message: string) => new HubError('invalid_argument', message, { status: 400 });

async function tenantsToSearch(store: PlatformStore, tenant: string | undefined): Promise<string[]> {
  if (tenant === undefined) return (await store.tenants.list()).map((t) => t.id);
  if (!(await store.tenants.get(tenant))) throw refused(`unknown tenant "${tenant}" (see hub tenants list)`);
  return [tenant];
}

async function selectRun(store: PlatformStore, runId: string, tenants: string[], tenant: string | undefined): Promise<PendingSelection> {
  for (const tenantId of tenants) {
    const run = await store.forTenant(tenantId).imports.getRun(runId);
    if (!run) continue;
    if (run.dryRun) throw refused(`import run ${run.id} was a dry run: it created no account`);
    // A run still recorded as running is in progress, or was killed and not yet taken over.
    const to = run.finishedAt ?? new Date();
    const accounts = store.forTenant(tenantId).accounts;
    return {
      tenantId, describe: { run: run.id, source: run.sourceId },
      page: (offset, limit) => accounts.listCreatedBySource(run.sourceId, run.startedAt, to, { offset, limit }),
      ...(run.finishedAt === null ? { note: `run ${run.id} is still recorded as running (in progress, or stopped before it could record its end): the accounts it created until now` } : {}),
    };
  }
  throw refused(`no import run ${runId}${tenant !== undefined ? ` for tenant ${tenant}` : ''} (see hub import runs --tenant T)`);
}

async function selectStructure(store: PlatformStore, typed: string, classCode: string | undefined, tenants: string[], tenant: string | undefined): Promise<PendingSelection> {
  let uai = typed;
  const found: string[] = [];
  for (const tenantId of tenants) {
    const structures = store.forTenant(tenantId).structures;
    const structure = (await structures.findByUai(typed)) ?? (await structures.findByUai(typed.toUpperCase()));
    if (structure) {
      found.push(tenantId);
      uai = structure.uai;
    }
  }
  if (found.length === 0) throw refused(`no structure with UAI ${typed}${tenant !== undefined ? ` in tenant ${tenant}` : ''}`);
  if (found.length > 1) throw refused(`structure ${uai} is in several tenants (${found.join(', ')}): name one with --tenant`);
  const tenantId = found[0]!;
  const accounts = store.forTenant(tenantId).accounts;
  if (classCode !== undefined && (await accounts.listInStructure(uai, classCode, { limit: 1 })).length === 0) {
    throw refused(`structure ${uai} has no class "${classCode}" with members`);
  }
  return {
    tenantId, describe: { structure: uai, ...(classCode !== undefined ? { class: classCode } : {}) },
    page: (offset, limit) => accounts.listInStructure(uai, classCode, { offset, limit }),
  };
}

/** The accounts a query names; refused (`invalid_argument`) when it names nothing that exists. */
export async function selectForReset(store: PlatformStore, query: SelectionQuery): Promise<PendingSelection> {
  const tenants = await tenantsToSearch(store, query.tenant);
  if ('run' in query) return selectRun(store, query.run, tenants, query.tenant);
  return selectStructure(store, query.structure.trim(), query.class, tenants, query.tenant);
}

/**
 * Issues the codes, each written to `codes` as soon as it is stored; the operation's event is
 * recorded even when a failure stops it halfway, with what was issued until then.
 */
export async function resetPendingActivations(ports: AccountPorts, actor: Actor, selection: PendingSelection, codes: CodeSink): Promise<{ issued: number; skipped: Skipped }> {
  const { store, policies } = ports;
  const accounts = store.forTenant(selection.tenantId).accounts;
  const audit = new AuditWriter(store, actor, selection.tenantId);
  const skipped: Skipped = {};
  let issued = 0;
  try {
    for (let offset = 0; ; offset += PAGE) {
      const page = await selection.page(offset, PAGE);
      for (const account of page) {
        if (account.status !== 'pending') {
          skipped[account.status] = (skipped[account.status] ?? 0) + 1;
          continue;
        }
        const activation = newActivation(policies, selection.tenantId, account.profile);
        const updated = await accounts.updatePending(account.id, activation.patch);
        if (!updated) {
          skipped.activated = (skipped.activated ?? 0) + 1; // activated between the read and the write
          continue;
        }
        codes.write([{ login: updated.login, code: activation.issued.code, externalId: updated.externalId }]);
        issued += 1;
        await audit.write('activation.reset', { accountId: updated.id, details: { bulk: true, ...selection.describe } });
      }
      if (page.length < PAGE) break;
    }
  } finally {
    await audit.write('activation.reset_bulk', { details: { ...selection.describe, issued, skipped } }).catch(() => undefined);
  }
  return { issued, skipped };
}
