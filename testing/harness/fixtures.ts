/** People and clients the OIDC tests log in with, written through the store like the importer will. */
import { hashPassword } from '../../src/auth/passwords.js';
import { sha256Hex } from '../../src/shared/ids.js';
import type { PlatformStore } from '../../src/storage/ports/index.js';

export const PASSWORD = 'correct horse battery staple';
export const PORTAL_SECRET = 'portal-secret-for-tests-only';
export const REDIRECT = 'https://rp.example/cb';
export const API = 'https://api.neo.example/';

export interface Fixture {
  pupilId: string;
  parentId: string;
  disabledId: string;
}

export function testClients(backchannelLogoutUri?: string) {
  return [
    {
      clientId: 'portal', name: 'Portail (first party)', firstParty: true, secretSha256: sha256Hex(PORTAL_SECRET),
      redirectUris: [REDIRECT], postLogoutRedirectUris: ['https://rp.example/bye'],
      grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
      scopes: ['openid', 'profile', 'email', 'ent', 'ent_children', 'offline_access', 'timetable.read'],
      ...(backchannelLogoutUri ? { backchannelLogoutUri } : {}),
    },
    { clientId: 'spa', name: 'Éditeur <partenaire>', redirectUris: [REDIRECT], scopes: ['openid', 'profile', 'ent'] },
  ];
}

export const testResources = [{ indicator: API, scopes: ['timetable.read'], accessTokenTtl: 600 }];

export async function seedPeople(store: PlatformStore): Promise<Fixture> {
  const lille = store.forTenant('lille');
  const passwordHash = await hashPassword(PASSWORD);
  const school = await lille.structures.upsert({ uai: '0590121L', name: 'Collège Test' });
  const klass = await lille.groups.upsert({ structureId: school.id, kind: 'class', code: '4B', name: '4e B' });
  const pupil = await lille.accounts.create({ login: 'zoe.test', firstName: 'Zoé', lastName: 'Test', displayName: 'Zoé Test', profile: 'Student', status: 'active', passwordHash, source: 'local' });
  const parent = await lille.accounts.create({ login: 'marc.test', firstName: 'Marc', lastName: 'Test', displayName: 'Marc Test', profile: 'Relative', status: 'active', passwordHash, source: 'local', email: 'marc@example.org' });
  const disabled = await lille.accounts.create({ login: 'off.test', firstName: 'Off', lastName: 'Test', profile: 'Teacher', status: 'disabled', passwordHash, source: 'local' });
  await lille.memberships.attachToStructure(pupil.id, school.id);
  await lille.memberships.addToGroup(pupil.id, klass.id);
  await lille.relations.link(parent.id, pupil.id);
  return { pupilId: pupil.id, parentId: parent.id, disabledId: disabled.id };
}
