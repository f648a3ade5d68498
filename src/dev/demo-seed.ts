/**
 * Demo data for the embedded default (development only): one school per académie, a pupil, a
 * parent and a teacher. Each demo account carries an external id as the importer writes it
 * (`<SOURCE>-<AAF id>`, `LILLE-…` for the source AC-LILLE), so an ÉduConnect login naming that
 * AAF id in its FrEduCtRefId finds it (the local stand-in: scripts/educonnect-local.ts).
 *
 * Idempotent: once the demo accounts exist they are left as they are, except that a demo
 * account without an external id (seeded by an older version) gets its own, so an existing
 * development database works with ÉduConnect without being deleted.
 */
import { hashPassword } from '../auth/passwords.js';
import type { Logger } from '../shared/logger.js';
import type { NewAccount, PlatformStore } from '../storage/ports/index.js';
import { hashActivationCode } from '../identity/activation-code.js';
import { uaiCheckLetter } from '../identity/uai.js';

/** Documented in the README. */
export const DEMO_PASSWORD = 'demo-ent-2026';
/** The activation code of the pending demo pupil (README): try the activation page with it. */
export const DEMO_ACTIVATION_CODE = 'abcd-efgh';
const DEMO_PENDING_LOGIN = 'tom.martin';

type Role = 'pupil' | 'parent' | 'teacher';

/** A demo person: the account, and the AAF id the académie directory (and ÉduConnect) knows them by. */
export interface DemoPerson {
  login: string;
  firstName: string;
  lastName: string;
  profile: NewAccount['profile'];
  role: Role;
  aafId: string;
}

interface DemoSchool {
  tenantId: string;
  /** The external id prefix the importer writes for the tenant's source (AC-LILLE → LILLE; tenants/*.yaml). */
  sourcePrefix: string;
  digits: string;
  name: string;
  className: string;
  people: DemoPerson[];
}

const person = (login: string, firstName: string, lastName: string, profile: NewAccount['profile'], role: Role, aafId: string): DemoPerson => ({ login, firstName, lastName, profile, role, aafId });

const SCHOOLS: DemoSchool[] = [
  {
    tenantId: 'lille', sourcePrefix: 'LILLE', digits: '0590001', name: 'Collège Victor-Hugo (démo)', className: '4e B',
    people: [
      person('lea.martin', 'Léa', 'Martin', 'Student', 'pupil', '5900001'),
      person('sophie.martin', 'Sophie', 'Martin', 'Relative', 'parent', '5900002'),
      person('paul.durand', 'Paul', 'Durand', 'Teacher', 'teacher', '5900003'),
    ],
  },
  {
    tenantId: 'amiens', sourcePrefix: 'AMIENS', digits: '0801234', name: 'Lycée Jules-Verne (démo)', className: '2nde 3',
    people: [
      person('hugo.lefevre', 'Hugo', 'Lefèvre', 'Student', 'pupil', '8000001'),
      person('chloe.dubois', 'Chloé', 'Dubois', 'Teacher', 'teacher', '8000002'),
    ],
  },
];
const PENDING = person(DEMO_PENDING_LOGIN, 'Tom', 'Martin', 'Student', 'pupil', '5900004');

const uaiOf = (school: DemoSchool) => `${school.digits}${uaiCheckLetter(school.digits)}`;
const externalIdOf = (school: DemoSchool, p: DemoPerson) => `${school.sourcePrefix}-${p.aafId}`;

/** The active demo pupils and parents, with what an ÉduConnect stand-in needs to vouch for them. */
export function demoFamilies(): Array<DemoPerson & { tenantId: string; uai: string; externalId: string }> {
  return SCHOOLS.flatMap((school) => school.people
    .filter((p) => p.role !== 'teacher')
    .map((p) => ({ ...p, tenantId: school.tenantId, uai: uaiOf(school), externalId: externalIdOf(school, p) })));
}

const accountOf = (school: DemoSchool, p: DemoPerson) => ({
  login: p.login, firstName: p.firstName, lastName: p.lastName, profile: p.profile, displayName: `${p.firstName} ${p.lastName}`,
  email: p.role === 'pupil' ? null : `${p.login}@demo.ent.example`, externalId: externalIdOf(school, p), source: 'demo',
});

async function seedSchool(store: PlatformStore, school: DemoSchool, passwordHash: string): Promise<void> {
  const scope = store.forTenant(school.tenantId);
  const structure = await scope.structures.upsert({ uai: uaiOf(school), name: school.name });
  const klass = await scope.groups.upsert({ structureId: structure.id, kind: 'class', code: school.className.replace(/\s+/g, ''), name: school.className });
  const ids: Partial<Record<Role, string>> = {};
  for (const p of school.people) {
    const created = await scope.accounts.create({ ...accountOf(school, p), passwordHash, status: 'active' });
    ids[p.role] = created.id;
    await scope.memberships.attachToStructure(created.id, structure.id);
    if (p.role !== 'parent') await scope.memberships.addToGroup(created.id, klass.id);
  }
  if (ids.parent && ids.pupil) await scope.relations.link(ids.parent, ids.pupil);
}

async function seedPendingPupil(store: PlatformStore): Promise<void> {
  const lille = store.forTenant('lille');
  const [school] = await lille.structures.list({ limit: 1 });
  const tom = await lille.accounts.create({
    ...accountOf(SCHOOLS[0]!, PENDING), status: 'pending',
    activationCodeHash: hashActivationCode(DEMO_ACTIVATION_CODE), activationExpiresAt: new Date(Date.now() + 365 * 86_400_000),
  });
  if (school) await lille.memberships.attachToStructure(tom.id, school.id);
}

/** Demo accounts seeded before they had external ids get theirs; nothing else is touched. Returns the logins updated. */
async function addMissingExternalIds(store: PlatformStore): Promise<string[]> {
  const updated: string[] = [];
  const all = [...SCHOOLS.flatMap((school) => school.people.map((p) => ({ school, p }))), { school: SCHOOLS[0]!, p: PENDING }];
  for (const { school, p } of all) {
    const account = await store.accounts.findByLogin(p.login);
    if (!account || account.source !== 'demo' || account.externalId !== null || account.tenantId !== school.tenantId) continue;
    const scope = store.forTenant(school.tenantId);
    const externalId = externalIdOf(school, p);
    if (await scope.accounts.findByExternalId(externalId)) continue; // taken by another account: left alone
    await scope.accounts.update(account.id, { externalId });
    updated.push(p.login);
  }
  return updated;
}

/** The demo console admin of lille: its second factor is enrolled at its first sign-in to /admin. */
export const DEMO_ADMIN_LOGIN = 'admin.lille';

async function seedDemoAdmin(store: PlatformStore, passwordHash: string): Promise<boolean> {
  if (await store.accounts.findByLogin(DEMO_ADMIN_LOGIN)) return false;
  const admin = await store.forTenant('lille').accounts.create({
    login: DEMO_ADMIN_LOGIN, firstName: 'Agnès', lastName: 'Admin (démo)', profile: 'Personnel', source: 'demo', passwordHash, status: 'active',
  });
  await store.roleGrants.grant({ subjectKind: 'account', subjectId: admin.id, role: 'tenant-admin', tenantId: 'lille', structureIds: [], grantedBy: 'development' });
  return true;
}

export async function seedDemo(store: PlatformStore, log: Logger): Promise<void> {
  if (await seedDemoAdmin(store, await hashPassword(DEMO_PASSWORD))) log.warn({ login: DEMO_ADMIN_LOGIN }, 'demo console admin created: tenant-admin of lille (development only)');
  if (await store.accounts.findByLogin('lea.martin')) {
    const updated = await addMissingExternalIds(store);
    if (updated.length > 0) log.warn({ logins: updated }, 'demo accounts given their external ids (development only)');
    return;
  }
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  for (const school of SCHOOLS) await seedSchool(store, school, passwordHash);
  await seedPendingPupil(store);
  log.warn({ logins: SCHOOLS.flatMap((s) => s.people.map((p) => p.login)), pending: DEMO_PENDING_LOGIN }, 'demo accounts created (development only)');
}
