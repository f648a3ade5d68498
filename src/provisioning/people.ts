/**
 * Turns a batch of mapped people into store writes: resolve DNs to ids, match existing accounts
 * (external id, then INE for pupils who moved schools), skip the unchanged (content hash), give
 * new accounts a unique login and an activation code.
 */
import { hash } from 'node:crypto';
import { generateActivationCode, hashActivationCode } from '../identity/activation-code.js';
import { baseLogin } from '../identity/login-generator.js';
import { newId } from '../shared/ids.js';
import type {
  AccountChanges, AccountCreate, AccountMerge, AccountUpdate, AccountWrite, ExistingAccount, GroupWrite, ImportStore, PendingRelation,
} from '../storage/ports/imports.js';
import type { LoginAllocator } from './logins.js';
import type { ImportedPerson, Quarantined } from './model.js';
import type { SeenSet } from './seen-set.js';

export interface DirectoryMaps {
  structureIdsByDn: Map<string, string>;
  groupIdsByKey: Map<string, string>;
}

export interface BatchPlan {
  creates: AccountCreate[];
  updates: AccountUpdate[];
  unchanged: number;
  relations: PendingRelation[];
  replaceParentsOf: string[];
  /** Accounts whose links the batch states anew. */
  restated: string[];
  /** Second entries of a pupil (same INE) folded into the pupil's one account. */
  merges: AccountMerge[];
  quarantined: QuarantinedPerson[];
  /** Activation codes of the accounts created, in clear: handed out once, never stored. */
  codes: Array<{ login: string; code: string; externalId: string }>;
}

/** `missingStructure`: the entry names a structure the run does not have (a quarantined one, say). */
export type QuarantinedPerson = Quarantined & { missingStructure?: string };

/** One-shot `hash`: a Hash object per person cost more than hashing its few hundred bytes. */
export function contentHash(value: unknown): string {
  return hash('sha256', JSON.stringify(value), 'base64url');
}

type Resolved = { person: ImportedPerson; structureIds: string[]; groupIds: string[] };

/** Ids of the person's structures and groups; a reference to nothing quarantines the entry. */
function resolve(person: ImportedPerson, maps: DirectoryMaps): Resolved | QuarantinedPerson {
  const structureIds: string[] = [];
  for (const dn of person.structureDns) {
    const id = maps.structureIdsByDn.get(dn);
    if (!id) return { dn: person.dn, reason: `dangling structure DN ${dn}`, missingStructure: dn };
    structureIds.push(id);
  }
  const groupIds: string[] = [];
  for (const ref of person.groups) {
    const structureId = maps.structureIdsByDn.get(ref.structureDn);
    const groupId = structureId && maps.groupIdsByKey.get(`${structureId}|${ref.kind}|${ref.code}`);
    if (!groupId) return { dn: person.dn, reason: `dangling ${ref.kind} ${ref.code} of ${ref.structureDn}` };
    groupIds.push(groupId);
  }
  return { person, structureIds: [...new Set(structureIds)].sort(), groupIds: [...new Set(groupIds)].sort() };
}

/** The links a person's entry states, as the content hash sees them (independent of row ids). */
function linksOf(p: ImportedPerson): string[][] {
  return [p.guardianExternalIds, p.parentDns, p.childDns];
}

function relationsOf(p: ImportedPerson, accountId: string): PendingRelation[] {
  return [
    ...p.guardianExternalIds.map((externalId): PendingRelation => ({ accountId, side: 'child', other: { externalId } })),
    ...p.parentDns.map((dn): PendingRelation => ({ accountId, side: 'child', other: { dn } })),
    ...p.childDns.map((dn): PendingRelation => ({ accountId, side: 'parent', other: { dn } })),
  ];
}

/**
 * An account's content hash: one hash per part an update may rewrite on its own (the indexed
 * keys, the other fields, memberships, links), dot-joined. Equal hashes: nothing to write;
 * otherwise the parts that differ say what to rewrite. 72 bits a part: a change goes unseen
 * only if its part's new hash equals the old one by chance (2^-72), and the column stays short
 * (51 characters; every account row carries it).
 */
function accountHash(r: Resolved): string {
  const p = r.person;
  return [
    [p.dn, p.externalId, p.ine, p.academicEmail],
    [p.profile, p.firstName, p.lastName, p.birthDate, p.email, p.garId],
    [r.structureIds, r.groupIds],
    linksOf(p),
  ].map((part) => contentHash(part).slice(0, 12)).join('.');
}

/** What differs between two account hashes; a hash of another shape (an older format) differs in every part. */
function changedParts(before: string | null, after: string): AccountChanges & { links: boolean } {
  const old = before?.split('.') ?? [];
  const now = after.split('.');
  const changed = (i: number) => old.length !== now.length || old[i] !== now[i];
  return { keys: changed(0), fields: changed(1), memberships: changed(2), links: changed(3) };
}

function write(r: Resolved, id: string, source: string): AccountWrite {
  const p = r.person;
  return {
    id, dn: p.dn, externalId: p.externalId, source, profile: p.profile, firstName: p.firstName, lastName: p.lastName,
    birthDate: p.birthDate, email: p.email, academicEmail: p.academicEmail, ine: p.ine, garId: p.garId,
    contentHash: accountHash(r), structureIds: r.structureIds, groupIds: r.groupIds,
  };
}

/** The batch's existing accounts by external id and by INE (the first of each, as a scan in order would find). */
function indexExisting(existing: ExistingAccount[]): { byExternalId: Map<string, ExistingAccount>; byIne: Map<string, ExistingAccount> } {
  const byExternalId = new Map<string, ExistingAccount>();
  const byIne = new Map<string, ExistingAccount>();
  for (const a of existing) {
    if (a.externalId !== null && !byExternalId.has(a.externalId)) byExternalId.set(a.externalId, a);
    if (a.ine !== null && !byIne.has(a.ine)) byIne.set(a.ine, a);
  }
  return { byExternalId, byIne };
}

/** A pupil's account found by INE: moving school gives a pupil a new jointure, not a new account. */
const byIne = (p: ImportedPerson, existing: ReturnType<typeof indexExisting>): ExistingAccount | undefined =>
  (p.profile === 'Student' && p.ine ? existing.byIne.get(p.ine) : undefined);

/**
 * Two entries name the same pupil when they share an INE, unless their birth dates differ: then
 * one INE was typed on two children, and merging would show one minor another's classes.
 */
function samePupil(a: { birthDate: string | null }, b: { birthDate: string | null }): boolean {
  return a.birthDate === null || b.birthDate === null || a.birthDate === b.birthDate;
}

/** The classes named by people that have no entry of their own, to create from the reference (as entcore does). */
export function referencedClasses(people: ImportedPerson[], maps: DirectoryMaps): GroupWrite[] {
  const missing = new Map<string, GroupWrite>();
  for (const ref of people.flatMap((p) => p.groups)) {
    const structureId = maps.structureIdsByDn.get(ref.structureDn);
    const key = `${structureId}|${ref.kind}|${ref.code}`;
    if (ref.kind !== 'class' || !structureId || maps.groupIdsByKey.has(key) || missing.has(key)) continue;
    const group = { structureId, kind: ref.kind, code: ref.code, name: ref.code };
    missing.set(key, { ...group, dn: null, contentHash: contentHash(group) });
  }
  return [...missing.values()];
}

export async function planBatch(people: ImportedPerson[], maps: DirectoryMaps, store: ImportStore, seen: SeenSet, source: string, logins: LoginAllocator): Promise<BatchPlan> {
  const plan: BatchPlan = { creates: [], updates: [], unchanged: 0, relations: [], replaceParentsOf: [], restated: [], merges: [], quarantined: [], codes: [] };
  const resolved: Resolved[] = [];
  for (const person of people) {
    // The first entry with a jointure wins; later ones (this batch or an earlier one) are quarantined.
    if (!seen.add(person.externalId)) {
      plan.quarantined.push({ dn: person.dn, reason: `duplicate jointure ${person.externalId}` });
      continue;
    }
    const r = resolve(person, maps);
    if ('reason' in r) plan.quarantined.push(r);
    else resolved.push(r);
  }
  const existing = indexExisting(await store.findAccounts({ externalIds: resolved.map((r) => r.person.externalId), ines: resolved.flatMap((r) => (r.person.ine ? [r.person.ine] : [])) }));
  const fresh: Array<Resolved & { id: string }> = [];
  const freshByIne = new Map<string, Resolved & { id: string }>();
  for (const r of resolved) {
    const own = existing.byExternalId.get(r.person.externalId);
    const pupil = own ? undefined : byIne(r.person, existing);
    // The pupil's account already stands for another entry of this run: this one is folded in.
    if (pupil && pupil.externalId !== null && seen.has(pupil.externalId)) {
      mergeInto(plan, r, pupil);
      continue;
    }
    const match = own ?? pupil;
    if (!match) {
      const twin = r.person.profile === 'Student' && r.person.ine ? freshByIne.get(r.person.ine) : undefined;
      if (twin) mergeInto(plan, r, { id: twin.id, birthDate: twin.person.birthDate, ine: twin.person.ine });
      else {
        const entry = { ...r, id: newId() };
        fresh.push(entry);
        if (r.person.profile === 'Student' && r.person.ine) freshByIne.set(r.person.ine, entry);
      }
      continue;
    }
    const update = write(r, match.id, source);
    if (match.contentHash === update.contentHash && match.status !== 'disappeared') {
      plan.unchanged += 1;
      continue;
    }
    const { links, ...changes } = changedParts(match.contentHash, update.contentHash);
    plan.updates.push({ ...update, changes });
    // Links stated as before are linked already: restating them would rewrite them all.
    if (links) addRelations(plan, r.person, match.id);
  }
  await planCreates(plan, fresh, logins, source);
  return plan;
}

function addRelations(plan: BatchPlan, person: ImportedPerson, accountId: string): void {
  plan.relations.push(...relationsOf(person, accountId));
  plan.restated.push(accountId);
  // The pupil's side is authoritative (DOMAIN.md: the legal-guardian field): its parents are replaced.
  if (person.profile === 'Student') plan.replaceParentsOf.push(accountId);
}

/**
 * A second entry of a pupil (same INE, a move between schools the directory shows twice): its
 * structures, classes and links are added to the pupil's account; the account keeps the first
 * entry's identity and fields. Entries with different birth dates are not one pupil.
 */
function mergeInto(plan: BatchPlan, r: Resolved, pupil: { id: string; birthDate: string | null; ine: string | null }): void {
  if (!samePupil(r.person, pupil)) {
    plan.quarantined.push({ dn: r.person.dn, reason: `INE ${r.person.ine} is another pupil's (different birth date)` });
    return;
  }
  plan.merges.push({ accountId: pupil.id, structureIds: r.structureIds, groupIds: r.groupIds });
  plan.relations.push(...relationsOf(r.person, pupil.id));
}

async function planCreates(plan: BatchPlan, fresh: Array<Resolved & { id: string }>, allocator: LoginAllocator, source: string): Promise<void> {
  if (fresh.length === 0) return;
  const logins = await allocator.pick(fresh.map((r) => baseLogin(r.person.firstName, r.person.lastName)));
  fresh.forEach((r, i) => {
    const code = generateActivationCode();
    const account = { ...write(r, r.id, source), login: logins[i]!, activationCodeHash: hashActivationCode(code) };
    plan.creates.push(account);
    plan.codes.push({ login: account.login, code, externalId: account.externalId });
    addRelations(plan, r.person, account.id);
  });
}
