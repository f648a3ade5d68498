import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { hash } from '@node-rs/argon2';
import { ARGON2_PARAMS, hashPassword, needsRehash, verifyPassword } from '../../src/auth/passwords.js';
import { loginWithPassword } from '../../src/oidc/interactions/password-login.js';
import { openSqlStore } from '../../src/storage/sql/database.js';

describe('passwords (argon2id)', () => {
  it('hashes with argon2id and the OWASP parameters, salted', async () => {
    const a = await hashPassword('un mot de passe');
    const b = await hashPassword('un mot de passe');
    expect(a).to.match(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(a).not.to.equal(b);
    expect(needsRehash(a)).to.equal(false);
  });

  it('verifies the right password only', async () => {
    const stored = await hashPassword('élève-2026');
    expect(await verifyPassword(stored, 'élève-2026')).to.equal(true);
    expect(await verifyPassword(stored, 'eleve-2026')).to.equal(false);
  });

  it('answers false, without throwing, for no hash or a malformed one', async () => {
    expect(await verifyPassword(null, 'anything')).to.equal(false);
    expect(await verifyPassword('not-a-hash', 'anything')).to.equal(false);
  });

  it('flags hashes made with weaker parameters for an upgrade', async () => {
    const weak = await hash('x', { ...ARGON2_PARAMS, memoryCost: 4096, timeCost: 1 });
    expect(needsRehash(weak)).to.equal(true);
  });
});

describe('password login', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'hub-pw-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('upgrades an old hash at the next successful login and records the login', async () => {
    const store = await openSqlStore(`sqlite:${join(dir, 'hub.sqlite')}`, { migrate: true });
    try {
      await store.tenants.upsert({ id: 'lille', name: 'Lille', academyCode: '09' });
      const weak = await hash('secret-words', { ...ARGON2_PARAMS, memoryCost: 4096, timeCost: 1 });
      const account = await store.forTenant('lille').accounts.create({ login: 'ana.test', firstName: 'Ana', lastName: 'Test', profile: 'Teacher', status: 'active', passwordHash: weak, source: 'local' });
      const attempt = { login: ' Ana.Test ', password: 'secret-words', clientId: 'c', ip: '127.0.0.1', userAgent: 'test' };
      expect(await loginWithPassword(store, attempt)).to.deep.equal({ ok: true, accountId: account.id });
      const upgraded = (await store.forTenant('lille').accounts.get(account.id)).passwordHash!;
      expect(needsRehash(upgraded)).to.equal(false);
      expect(await verifyPassword(upgraded, 'secret-words')).to.equal(true);
      const [event] = await store.forTenant('lille').audit.list();
      expect(event).to.include({ type: 'login.success', accountId: account.id, clientId: 'c', ip: '127.0.0.1' });
      expect(await loginWithPassword(store, { ...attempt, password: '' })).to.deep.equal({ ok: false, error: 'missing_fields' });
    } finally {
      await store.close();
    }
  });
});
