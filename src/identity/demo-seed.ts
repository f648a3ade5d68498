/**
 * Demo data for the embedded default (development only): one school per académie, a pupil, a
 * parent and a teacher. Idempotent: an existing demo account is left as it is.
 */
import { hashPassword } from '../auth/passwords.js';
import type { Logger } from '../shared/logger.js';
import type { NewAccount, PlatformStore } from '../storage/ports/index.js';
import { hashActivationCode } from './activation-code.js';
import { uaiCheckLetter } from './uai.js';

/** Documented in the README. */
export const DEMO_PASSWORD = 'demo-ent-2026';
/** The activation code of the pending demo pupil (README): try the activation page with it. */
export const DEMO_ACTIVATION_CODE = 'abcd-efgh';
const DEMO_PENDING_LOGIN = 'tom.martin';

interface DemoSchool {
  tenantId: string;
  digits: string;
  name: string;
  className: string;
  people: Array<NewAccount & { role: 'pupil' | 'parent' | 'teacher' }>;
}

const person = (login: string, firstName: string, lastName: string, profile: NewAccount['profile'], role: 'pupil' | 'parent' | 'teacher') => ({
  login, firstName, lastName, profile, role, displayName: `${firstName} ${lastName}`, email: role === 'pupil' ? null : `${login}@demo.ent.example`,
});

const SCHOOLS: DemoSchool[] = [
  {
    tenantId: 'lille', digits: '0590001', name: 'Collège Victor-Hugo (démo)', className: '4e B',
    people: [person('lea.martin', 'Léa', 'Martin', 'Student', 'pupil'), person('sophie.martin', 'Sophie', 'Martin', 'Relative', 'parent'), person('paul.durand', 'Paul', 'Durand', 'Teacher', 'teacher')],
  },
  {
    tenantId: 'amiens', digits: '0801234', name: 'Lycée Jules-Verne (démo)', className: '2nde 3',
    people: [person('hugo.lefevre', 'Hugo', 'Lefèvre', 'Student', 'pupil'), person('chloe.dubois', 'Chloé', 'Dubois', 'Teacher', 'teacher')],
  },
];

async function seedSchool(store: PlatformStore, school: DemoSchool, passwordHash: string): Promise<void> {
  const scope = store.forTenant(school.tenantId);
  const structure = await scope.structures.upsert({ uai: `${school.digits}${uaiCheckLetter(school.digits)}`, name: school.name });
  const klass = await scope.groups.upsert({ structureId: structure.id, kind: 'class', code: school.className.replace(/\s+/g, ''), name: school.className });
  const ids: Record<string, string> = {};
  for (const { role, ...account } of school.people) {
    const created = await scope.accounts.create({ ...account, passwordHash, status: 'active', source: 'demo' });
    ids[role] = created.id;
    await scope.memberships.attachToStructure(created.id, structure.id);
    if (role !== 'parent') await scope.memberships.addToGroup(created.id, klass.id);
  }
  if (ids.parent && ids.pupil) await scope.relations.link(ids.parent, ids.pupil);
}

async function seedPendingPupil(store: PlatformStore): Promise<void> {
  const lille = store.forTenant('lille');
  const [school] = await lille.structures.list({ limit: 1 });
  const tom = await lille.accounts.create({
    ...person(DEMO_PENDING_LOGIN, 'Tom', 'Martin', 'Student', 'pupil'), status: 'pending', source: 'demo',
    activationCodeHash: hashActivationCode(DEMO_ACTIVATION_CODE), activationExpiresAt: new Date(Date.now() + 365 * 86_400_000),
  });
  if (school) await lille.memberships.attachToStructure(tom.id, school.id);
}

export async function seedDemo(store: PlatformStore, log: Logger): Promise<void> {
  if (await store.accounts.findByLogin('lea.martin')) return;
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  for (const school of SCHOOLS) await seedSchool(store, school, passwordHash);
  await seedPendingPupil(store);
  log.warn({ logins: SCHOOLS.flatMap((s) => s.people.map((p) => p.login)), pending: DEMO_PENDING_LOGIN }, 'demo accounts created (development only)');
}
