/**
 * Connection letters ("lettres de connexion", DOMAIN.md "What admins do"): the paper a school
 * hands each pupil, parent or staff member, with the login and a new activation code. Issuing a
 * letter issues its code: the code exists only on the letter (the store keeps its hash), and
 * replaces the account's previous one.
 *
 * For a class or a profile of a school, only the pending accounts (never activated, or reset
 * since) get a letter: the others are counted by status, so that printing a class again never
 * locks out the pupils who already chose a password. For one account, a letter is how a lost
 * account is recovered: like `resetActivation`, the account goes back to pending and its password
 * stops working (a disabled or disappeared one is refused).
 *
 * Audited as bulk resets are: `activation.reset` per account (an account's history shows every
 * code issued for it) and `letters.issued` once for the operation.
 */
import type { Actor } from '../identity/actor.js';
import type { Profile } from '../identity/vocabulary.js';
import { HubError } from '../shared/errors.js';
import { AuditWriter, type LetterSelection, type OperationEvents } from '../storage/ports/audit-writer.js';
import type { Account, Structure, TenantScope } from '../storage/ports/index.js';
import { newActivation, type AccountPorts, type IssuedCode } from './account-service.js';

export type { LetterSelection };

/** What one letter prints. `code` is the activation code in clear: shown once, stored nowhere. */
export interface Letter {
  accountId: string;
  login: string;
  code: string;
  firstName: string;
  lastName: string;
  profile: Profile;
  /** The account's class in the school (the selected one for a class; several joined by ", " for a teacher); null when none. */
  className: string | null;
  /** The school the letter names; null only for one account attached to no school. */
  schoolName: string | null;
  uai: string | null;
  expiresAt: Date;
}

/** Members of a school read per query: a school is about 2,000 accounts, never loaded at once. */
const PAGE = 500;

/** A selection naming nothing that exists, or nobody: refused before anything is written. */
const refused = (message: string) => new HubError('invalid_argument', message, { status: 400 });

/** Folded comparison for names and class codes: `Émile` sorts with `emile`, not after `z`. */
const collator = new Intl.Collator('fr', { sensitivity: 'base' });

/** By class (letters without one last), then last name, first name; the login breaks ties so the order is stable. */
export function compareLetters(a: Letter, b: Letter): number {
  if (a.className !== b.className) {
    if (a.className === null) return 1;
    if (b.className === null) return -1;
    const byClass = collator.compare(a.className, b.className);
    if (byClass !== 0) return byClass;
  }
  return collator.compare(a.lastName, b.lastName)
    || collator.compare(a.firstName, b.firstName)
    || (a.login < b.login ? -1 : a.login > b.login ? 1 : 0);
}

/** The school with this UAI in the tenant, as typed or in capitals (UAIs end with a capital letter). */
async function schoolOf(scope: TenantScope, typed: string): Promise<Structure> {
  const uai = typed.trim();
  const school = (await scope.structures.findByUai(uai)) ?? (await scope.structures.findByUai(uai.toUpperCase()));
  if (!school) throw refused(`Aucun établissement n'a l'UAI ${uai}.`);
  return school;
}

/** The account's classes in the school, by code, joined; null when it has none there. */
async function classesIn(scope: TenantScope, accountId: string, school: Structure): Promise<string | null> {
  const codes = (await scope.memberships.groupsOf(accountId))
    .filter((g) => g.kind === 'class' && g.structure.id === school.id)
    .map((g) => g.code)
    .sort(collator.compare);
  return codes.length > 0 ? codes.join(', ') : null;
}

function letterOf(account: Account, issued: IssuedCode, school: Structure | null, className: string | null): Letter {
  return {
    accountId: account.id, login: account.login, code: issued.code,
    firstName: account.firstName, lastName: account.lastName, profile: account.profile,
    className, schoolName: school?.name ?? null, uai: school?.uai ?? null, expiresAt: issued.expiresAt,
  };
}

/** A class or a profile of a school: who is in it, page by page, and how the letters name their class. */
interface Group {
  school: Structure;
  /** What `activation.reset` records for each account of it. */
  describe: { structure: string; class?: string };
  /** A page of the school's accounts, whatever their status; only `member`s are the selection's. */
  page(offset: number): Promise<Account[]>;
  member(account: Account): boolean;
  className(account: Account): Promise<string | null>;
  /** Why the selection is refused when it has no account at all. */
  empty: string;
}

async function groupOf(scope: TenantScope, selection: Exclude<LetterSelection, { kind: 'account' }>): Promise<Group> {
  const school = await schoolOf(scope, selection.uai);
  const { accounts } = scope;
  if (selection.kind === 'class') {
    const known = (await scope.groups.listByStructure(school.id)).some((g) => g.kind === 'class' && g.code === selection.classCode);
    if (!known) throw refused(`L'établissement ${school.name} (${school.uai}) n'a pas de classe « ${selection.classCode} ».`);
    return {
      school, describe: { structure: school.uai, class: selection.classCode },
      page: (offset) => accounts.listInStructure(school.uai, selection.classCode, { offset, limit: PAGE }),
      member: () => true,
      className: async () => selection.classCode,
      empty: `La classe « ${selection.classCode} » de ${school.name} (${school.uai}) n'a aucun compte.`,
    };
  }
  const { profile } = selection;
  return {
    school, describe: { structure: school.uai },
    // The store's listing has no profile filter: a school's members are read in pages and sorted out here.
    page: (offset) => accounts.listInStructure(school.uai, undefined, { offset, limit: PAGE }),
    member: (account) => account.profile === profile,
    className: (account) => classesIn(scope, account.id, school),
    empty: `L'établissement ${school.name} (${school.uai}) n'a aucun compte de profil ${profile}.`,
  };
}

type Summary = OperationEvents['letters.issued']['details'];

/** New codes for the pending accounts of a class or a profile; the operation's event is recorded even when a failure stops it halfway. */
async function issueForGroup(ports: AccountPorts, actor: Actor, tenantId: string, selection: Exclude<LetterSelection, { kind: 'account' }>): Promise<Letter[]> {
  const scope = ports.store.forTenant(tenantId);
  const group = await groupOf(scope, selection);
  const audit = new AuditWriter(ports.store, actor, tenantId);
  const letters: Letter[] = [];
  const summary: Summary = { selection: { ...selection, uai: group.school.uai }, issued: 0, skipped: {} };
  let members = 0;
  try {
    for (let offset = 0; ; offset += PAGE) {
      const page = await group.page(offset);
      for (const account of page.filter(group.member)) {
        members += 1;
        if (account.status !== 'pending') {
          summary.skipped[account.status] = (summary.skipped[account.status] ?? 0) + 1;
          continue;
        }
        const activation = newActivation(ports.policies, tenantId, account.profile);
        const updated = await scope.accounts.updatePending(account.id, activation.patch);
        if (!updated) {
          summary.skipped.activated = (summary.skipped.activated ?? 0) + 1; // activated between the read and the write
          continue;
        }
        summary.issued += 1;
        await audit.write('activation.reset', { accountId: updated.id, details: { bulk: true, ...group.describe } });
        letters.push(letterOf(updated, activation.issued, group.school, await group.className(updated)));
      }
      if (page.length < PAGE) break;
    }
  } finally {
    // Nobody in the selection: refused below, nothing was written.
    if (members > 0) await audit.write('letters.issued', { details: summary }).catch(() => undefined);
  }
  if (members === 0) throw refused(group.empty);
  return letters.sort(compareLetters);
}

/** The school one account's letter names: the one asked for (it must be one of the account's), else its first by UAI. */
async function schoolOfAccount(scope: TenantScope, account: Account, uai: string | undefined): Promise<Structure | null> {
  const schools = await scope.memberships.structuresOf(account.id);
  if (uai === undefined) return schools[0] ?? null;
  const asked = await schoolOf(scope, uai);
  if (!schools.some((s) => s.id === asked.id)) throw refused(`Le compte ${account.login} n'est pas rattaché à ${asked.name} (${asked.uai}).`);
  return asked;
}

/** A new code for one account whatever its state, as `resetActivation` does: its letter is how it is recovered. */
async function issueForAccount(ports: AccountPorts, actor: Actor, tenantId: string, selection: Extract<LetterSelection, { kind: 'account' }>): Promise<Letter[]> {
  const scope = ports.store.forTenant(tenantId);
  // NotFound (404) for an account of another tenant as for none.
  const account = await scope.accounts.get(selection.accountId);
  if (account.status === 'disabled' || account.status === 'disappeared') {
    const state = account.status === 'disabled' ? 'désactivé' : 'absent du dernier import';
    throw refused(`Le compte ${account.login} est ${state} : il doit être réactivé avant qu'une lettre de connexion soit imprimée.`);
  }
  const school = await schoolOfAccount(scope, account, selection.uai);
  const activation = newActivation(ports.policies, tenantId, account.profile);
  const updated = await scope.accounts.update(account.id, {
    status: 'pending', passwordHash: null, passwordChangedAt: new Date(), ...activation.patch,
  });
  const audit = new AuditWriter(ports.store, actor, tenantId);
  await audit.write('activation.reset', { accountId: updated.id, details: {} });
  await audit.write('letters.issued', { details: { selection, issued: 1, skipped: {} } });
  return [letterOf(updated, activation.issued, school, school ? await classesIn(scope, updated.id, school) : null)];
}

/**
 * Issues the letters of a selection in one tenant (the caller has checked the actor may act
 * there), sorted by class then name. Refused (`invalid_argument`, 400) for an unknown UAI or
 * class, or a selection without any account; NotFound for an account not in the tenant.
 */
export async function issueConnectionLetters(ports: AccountPorts, actor: Actor, tenantId: string, selection: LetterSelection): Promise<Letter[]> {
  return selection.kind === 'account'
    ? issueForAccount(ports, actor, tenantId, selection)
    : issueForGroup(ports, actor, tenantId, selection);
}
