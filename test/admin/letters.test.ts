/**
 * Connection letters: the issuing service (src/auth/connection-letters.ts) against real SQLite
 * and PostgreSQL stores seeded as an import leaves them (schools, classes, accounts in every
 * state), and the PDF (src/admin/letters/pdf.ts) read back with poppler's pdftotext and pdfinfo.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inflateSync } from 'node:zlib';
import { expect } from 'chai';
import QRCode from 'qrcode';
import { toWinAnsi } from '../../src/admin/letters/fonts.js';
import { frenchDate } from '../../src/admin/letters/french.js';
import { renderLetters, type LetterOptions } from '../../src/admin/letters/pdf.js';
import { QR_ERROR_CORRECTION, qrDrawing } from '../../src/admin/letters/qr.js';
import { authConfigSchema } from '../../src/auth/config.js';
import { issueConnectionLetters, type Letter, type LetterSelection } from '../../src/auth/connection-letters.js';
import { AuthPolicies } from '../../src/auth/policy.js';
import { formatActivationCode, generateActivationCode, hashActivationCode, isActivationCodeShape, verifyActivationCode } from '../../src/identity/activation-code.js';
import type { Actor } from '../../src/identity/actor.js';
import { HubError, NotFound } from '../../src/shared/errors.js';
import { newId } from '../../src/shared/ids.js';
import type { Account, NewAccount, TenantScope } from '../../src/storage/ports/index.js';
import { openSqlStore, type SqlStore } from '../../src/storage/sql/index.js';
import { createTestDatabase, type TestDatabase } from '../../testing/harness/postgres.js';

const run = promisify(execFile);
const ADMIN: Actor = { kind: 'admin', accountId: 'admin-1', clientId: 'hub-admin-console', role: 'platform-admin', tenantId: null };
const SCHOOL = '0590001A';
const OTHER_SCHOOL = '0590002B';

/** What a seeded tenant holds; accounts by a short name. */
interface Seeded {
  tenantId: string;
  scope: TenantScope;
  accounts: Record<string, Account>;
  /** The code each seeded account had before, in clear. */
  oldCodes: Record<string, string>;
}

const rejection = (promise: Promise<unknown>): Promise<unknown> => promise.then(() => expect.fail('expected a refusal'), (e: unknown) => e);

function expectRefused(error: unknown, message: RegExp): void {
  expect(error).to.be.instanceOf(HubError);
  expect(error).to.include({ code: 'invalid_argument', status: 400, expose: true });
  expect((error as HubError).message).to.match(message);
}

for (const engine of ['sqlite', 'postgres'] as const) {
  describe(`connection letters: the service (${engine})`, function () {
    this.timeout(60_000);
    let database: TestDatabase | undefined;
    let store: SqlStore;
    const ports = () => ({ store, policies: new AuthPolicies(authConfigSchema.parse({}), new Map()) });

    before(async () => {
      database = engine === 'postgres' ? await createTestDatabase() : undefined;
      store = await openSqlStore(database?.url ?? 'sqlite::memory:');
    });
    after(async () => {
      await store?.close();
      await database?.drop();
    });

    /**
     * A tenant of its own per test (logins are unique platform-wide, hence the suffix): a school
     * with classes 6A and 5B and a group, a second school, and people in every state.
     */
    async function seed(): Promise<Seeded> {
      const tenantId = `t-${newId()}`;
      const suffix = tenantId.slice(-8);
      await store.tenants.upsert({ id: tenantId, name: 'Lille', academyCode: '09' });
      const scope = store.forTenant(tenantId);
      const school = await scope.structures.upsert({ uai: SCHOOL, name: 'Collège Jean Moulin' });
      const other = await scope.structures.upsert({ uai: OTHER_SCHOOL, name: 'Lycée Condorcet' });
      const sixA = await scope.groups.upsert({ structureId: school.id, kind: 'class', code: '6A', name: '6e A' });
      const fiveB = await scope.groups.upsert({ structureId: school.id, kind: 'class', code: '5B', name: '5e B' });
      const latin = await scope.groups.upsert({ structureId: school.id, kind: 'group', code: 'LATIN', name: 'Latin' });
      const otherClass = await scope.groups.upsert({ structureId: other.id, kind: 'class', code: '2C', name: 'Seconde C' });
      await scope.groups.upsert({ structureId: school.id, kind: 'class', code: '4E', name: 'Classe vide' });

      const accounts: Record<string, Account> = {};
      const oldCodes: Record<string, string> = {};
      const person = async (name: string, fields: Partial<NewAccount> & Pick<NewAccount, 'firstName' | 'lastName'>, places: { schools: string[]; groups?: string[] }) => {
        oldCodes[name] = generateActivationCode();
        const account = await scope.accounts.create({
          login: `${name}.${suffix}`.toLowerCase(), profile: 'Student', source: 'AC-LILLE', status: 'pending',
          activationCodeHash: hashActivationCode(oldCodes[name]!), ...fields,
        });
        for (const id of places.schools) await scope.memberships.attachToStructure(account.id, id);
        for (const id of places.groups ?? []) await scope.memberships.addToGroup(account.id, id);
        accounts[name] = account;
      };
      const inSixA = { schools: [school.id], groups: [sixA.id, latin.id] };
      // Pupils of 6A, named so that a byte order would sort them wrongly (É after Z, lower case after upper).
      await person('zola', { firstName: 'Émile', lastName: 'Zola' }, inSixA);
      await person('echo', { firstName: 'Léa', lastName: 'Écho' }, inSixA);
      await person('durandz', { firstName: 'Zoé', lastName: 'durand' }, inSixA);
      await person('durande', { firstName: 'Élise', lastName: 'Durand' }, inSixA);
      await person('abadie', { firstName: 'Anaïs', lastName: 'Abadie' }, inSixA);
      await person('active', { firstName: 'Hugo', lastName: 'Actif', status: 'active', activationCodeHash: null, passwordHash: 'argon2-hash' }, inSixA);
      await person('disabled', { firstName: 'Inès', lastName: 'Bloquée', status: 'disabled' }, inSixA);
      await person('gone', { firstName: 'Jules', lastName: 'Parti', status: 'disappeared' }, inSixA);
      await person('bernard', { firstName: 'Chloé', lastName: 'Bernard' }, { schools: [school.id], groups: [fiveB.id] });
      // A teacher of both classes (and of the other school), a parent, a pupil of the other school only.
      await person('prof', { firstName: 'Marc', lastName: 'Lefèvre', profile: 'Teacher' }, { schools: [school.id, other.id], groups: [sixA.id, fiveB.id, otherClass.id] });
      await person('parent', { firstName: 'Sophie', lastName: 'Zola', profile: 'Relative' }, { schools: [school.id] });
      await person('elsewhere', { firstName: 'Paul', lastName: 'Ailleurs' }, { schools: [other.id], groups: [otherClass.id] });
      await person('nowhere', { firstName: 'Rémi', lastName: 'Sans-École', profile: 'Teacher', status: 'active', activationCodeHash: null }, { schools: [] });
      return { tenantId, scope, accounts, oldCodes };
    }

    const reload = (seeded: Seeded, name: string) => seeded.scope.accounts.get(seeded.accounts[name]!.id);
    const events = async (seeded: Seeded) => (await seeded.scope.audit.list()).reverse();
    const issue = (seeded: Seeded, selection: LetterSelection) => issueConnectionLetters(ports(), ADMIN, seeded.tenantId, selection);

    /** The new code works, the old one no longer does, and the account waits for its activation. */
    async function expectCodeReplaced(seeded: Seeded, name: string, letter: Letter): Promise<void> {
      const account = await reload(seeded, name);
      expect(account.status).to.equal('pending');
      expect(isActivationCodeShape(letter.code)).to.equal(true);
      expect(verifyActivationCode(letter.code, account.activationCodeHash!)).to.equal(true);
      expect(verifyActivationCode(seeded.oldCodes[name]!, account.activationCodeHash!)).to.equal(false);
      expect(account.activationExpiresAt!.getTime()).to.equal(letter.expiresAt.getTime());
    }

    it('issues the letters of a class: pending members only, sorted by name without regard to accents or case', async () => {
      const seeded = await seed();
      const before = Date.now();
      const letters = await issue(seeded, { kind: 'class', uai: SCHOOL, classCode: '6A' });
      expect(letters.map((l) => `${l.lastName} ${l.firstName}`)).to.deep.equal([
        'Abadie Anaïs', 'Durand Élise', 'durand Zoé', 'Écho Léa', 'Lefèvre Marc', 'Zola Émile',
      ]);
      const zola = letters.find((l) => l.lastName === 'Zola')!;
      expect(zola).to.deep.include({
        accountId: seeded.accounts.zola!.id, login: seeded.accounts.zola!.login, firstName: 'Émile', profile: 'Student',
        className: '6A', schoolName: 'Collège Jean Moulin', uai: SCHOOL,
      });
      // The tenant's lifetime of a code, from now.
      const ttl = ports().policies.for(seeded.tenantId, 'Student').activationCodeTtlDays * 86_400_000;
      expect(zola.expiresAt.getTime()).to.be.within(before + ttl, Date.now() + ttl);
      // The teacher is a member of 6A: the letter names the class it was printed for.
      expect(letters.find((l) => l.profile === 'Teacher')!.className).to.equal('6A');
      for (const name of ['zola', 'echo', 'durandz', 'durande', 'abadie', 'prof']) {
        await expectCodeReplaced(seeded, name, letters.find((l) => l.accountId === seeded.accounts[name]!.id)!);
      }
      // Active, disabled and disappeared accounts, and the other class, are left as they were.
      for (const name of ['active', 'disabled', 'gone', 'bernard', 'parent']) expect(await reload(seeded, name)).to.deep.equal(seeded.accounts[name]);
      expect(new Set(letters.map((l) => l.code)).size).to.equal(letters.length);

      const audit = await events(seeded);
      const resets = audit.filter((e) => e.type === 'activation.reset');
      expect(resets.map((e) => e.accountId).sort()).to.deep.equal(letters.map((l) => l.accountId).sort());
      expect(resets[0]!.details).to.deep.equal({ by: 'admin', admin: 'admin-1', client: 'hub-admin-console', role: 'platform-admin', adminTenant: null, bulk: true, structure: SCHOOL, class: '6A' });
      const summary = audit.filter((e) => e.type === 'letters.issued');
      expect(summary).to.have.length(1);
      expect(summary[0]!.details).to.deep.equal({
        by: 'admin', admin: 'admin-1', client: 'hub-admin-console', role: 'platform-admin', adminTenant: null,
        selection: { kind: 'class', uai: SCHOOL, classCode: '6A' }, issued: 6, skipped: { active: 1, disabled: 1, disappeared: 1 },
      });
    });

    it('issues the letters of a profile of a school, sorted by class then name; the classes are the school\'s', async () => {
      const seeded = await seed();
      // As typed by someone in a hurry: the UAI in lower case.
      const pupils = await issue(seeded, { kind: 'profile', uai: '0590001a', profile: 'Student' });
      expect(pupils.map((l) => [l.className, l.lastName])).to.deep.equal([
        ['5B', 'Bernard'], ['6A', 'Abadie'], ['6A', 'Durand'], ['6A', 'durand'], ['6A', 'Écho'], ['6A', 'Zola'],
      ]);
      // The pupil of the other school only is not in it; the group LATIN is not a class.
      expect(pupils.map((l) => l.accountId)).to.not.include(seeded.accounts.elsewhere!.id);
      expect(await reload(seeded, 'elsewhere')).to.deep.equal(seeded.accounts.elsewhere);
      const [summary] = (await events(seeded)).filter((e) => e.type === 'letters.issued');
      expect(summary!.details).to.deep.include({
        selection: { kind: 'profile', uai: SCHOOL, profile: 'Student' }, issued: 6, skipped: { active: 1, disabled: 1, disappeared: 1 },
      });

      const [teacher] = await issue(seeded, { kind: 'profile', uai: SCHOOL, profile: 'Teacher' });
      // Its classes in this school, not in the other one.
      expect(teacher).to.deep.include({ accountId: seeded.accounts.prof!.id, className: '5B, 6A', schoolName: 'Collège Jean Moulin' });
      const [parent] = await issue(seeded, { kind: 'profile', uai: SCHOOL, profile: 'Relative' });
      expect(parent).to.deep.include({ accountId: seeded.accounts.parent!.id, className: null, uai: SCHOOL });
      await expectCodeReplaced(seeded, 'parent', parent!);
    });

    it('voids the code of the previous letter when a class is printed again', async () => {
      const seeded = await seed();
      const first = await issue(seeded, { kind: 'class', uai: SCHOOL, classCode: '5B' });
      const second = await issue(seeded, { kind: 'class', uai: SCHOOL, classCode: '5B' });
      const { activationCodeHash } = await reload(seeded, 'bernard');
      expect(verifyActivationCode(second[0]!.code, activationCodeHash!)).to.equal(true);
      expect(verifyActivationCode(first[0]!.code, activationCodeHash!)).to.equal(false);
    });

    it('issues one account\'s letter whatever its state, as a reset: pending again, password voided', async () => {
      const seeded = await seed();
      const before = Date.now();
      const [letter, ...more] = await issue(seeded, { kind: 'account', accountId: seeded.accounts.active!.id });
      expect(more).to.deep.equal([]);
      expect(letter).to.deep.include({ login: seeded.accounts.active!.login, className: '6A', schoolName: 'Collège Jean Moulin', uai: SCHOOL });
      const account = await reload(seeded, 'active');
      expect(account).to.include({ status: 'pending', passwordHash: null });
      expect(account.passwordChangedAt!.getTime()).to.be.at.least(before - 1000);
      expect(verifyActivationCode(letter!.code, account.activationCodeHash!)).to.equal(true);
      const audit = await events(seeded);
      expect(audit.map((e) => [e.type, e.accountId])).to.deep.equal([['activation.reset', account.id], ['letters.issued', null]]);
      expect(audit[0]!.details).to.deep.equal({ by: 'admin', admin: 'admin-1', client: 'hub-admin-console', role: 'platform-admin', adminTenant: null });
      expect(audit[1]!.details).to.deep.include({ selection: { kind: 'account', accountId: account.id }, issued: 1, skipped: {} });

      // A pending one gets a new code too; the school may be named when it has several.
      const [teacher] = await issue(seeded, { kind: 'account', accountId: seeded.accounts.prof!.id, uai: OTHER_SCHOOL });
      expect(teacher).to.deep.include({ schoolName: 'Lycée Condorcet', uai: OTHER_SCHOOL, className: '2C' });
      await expectCodeReplaced(seeded, 'prof', teacher!);
      // Without a school: a letter all the same, naming none.
      const [nowhere] = await issue(seeded, { kind: 'account', accountId: seeded.accounts.nowhere!.id });
      expect(nowhere).to.deep.include({ schoolName: null, uai: null, className: null });
    });

    it('refuses unknown schools and classes, empty selections, and disabled or disappeared accounts, writing nothing', async () => {
      const seeded = await seed();
      const refusals: Array<[LetterSelection, RegExp]> = [
        [{ kind: 'class', uai: '0000000X', classCode: '6A' }, /Aucun établissement n'a l'UAI 0000000X/],
        [{ kind: 'profile', uai: '0000000X', profile: 'Student' }, /Aucun établissement n'a l'UAI 0000000X/],
        [{ kind: 'class', uai: SCHOOL, classCode: '9Z' }, /n'a pas de classe « 9Z »/],
        // A group is not a class.
        [{ kind: 'class', uai: SCHOOL, classCode: 'LATIN' }, /n'a pas de classe « LATIN »/],
        [{ kind: 'class', uai: SCHOOL, classCode: '4E' }, /La classe « 4E » de Collège Jean Moulin \(0590001A\) n'a aucun compte/],
        [{ kind: 'profile', uai: SCHOOL, profile: 'Guest' }, /n'a aucun compte de profil Guest/],
        [{ kind: 'account', accountId: seeded.accounts.disabled!.id }, /est désactivé : il doit être réactivé/],
        [{ kind: 'account', accountId: seeded.accounts.gone!.id }, /est absent du dernier import/],
        [{ kind: 'account', accountId: seeded.accounts.zola!.id, uai: OTHER_SCHOOL }, /n'est pas rattaché à Lycée Condorcet/],
      ];
      for (const [selection, message] of refusals) expectRefused(await rejection(issue(seeded, selection)), message);
      expect(await rejection(issue(seeded, { kind: 'account', accountId: 'no-such-account' }))).to.be.instanceOf(NotFound);
      expect(await events(seeded)).to.deep.equal([]);
      for (const name of Object.keys(seeded.accounts)) expect(await reload(seeded, name)).to.deep.equal(seeded.accounts[name]);
    });

    it('sees only the tenant it is given: another tenant\'s school is unknown, its account not found', async () => {
      const mine = await seed();
      const theirs = await seed();
      const theirSchool = await theirs.scope.structures.upsert({ uai: '0620099Z', name: 'Collège d\'Arras' });
      const theirClass = await theirs.scope.groups.upsert({ structureId: theirSchool.id, kind: 'class', code: '3C', name: '3e C' });
      await theirs.scope.memberships.attachToStructure(theirs.accounts.zola!.id, theirSchool.id);
      await theirs.scope.memberships.addToGroup(theirs.accounts.zola!.id, theirClass.id);

      expectRefused(await rejection(issue(mine, { kind: 'class', uai: '0620099Z', classCode: '3C' })), /Aucun établissement n'a l'UAI 0620099Z/);
      expectRefused(await rejection(issue(mine, { kind: 'profile', uai: '0620099Z', profile: 'Student' })), /Aucun établissement/);
      expect(await rejection(issue(mine, { kind: 'account', accountId: theirs.accounts.zola!.id }))).to.be.instanceOf(NotFound);
      // The same UAI in both tenants: each prints its own accounts only.
      const letters = await issue(mine, { kind: 'class', uai: SCHOOL, classCode: '5B' });
      expect(letters.map((l) => l.accountId)).to.deep.equal([mine.accounts.bernard!.id, mine.accounts.prof!.id]);
      expect(await reload(theirs, 'bernard')).to.deep.equal(theirs.accounts.bernard);
      expect(await reload(theirs, 'zola')).to.deep.equal(theirs.accounts.zola);
      expect(await events(theirs)).to.deep.equal([]);
    });

    // On SQLite only: paging is the service's (the store's pages are checked on both engines by
    // the conformance suites), and seeding 620 accounts on PostgreSQL takes half a minute on CI.
    if (engine === 'sqlite') it('reads a large class in pages: every pending member once, the others counted', async function () {
      this.timeout(120_000);
      const seeded = await seed();
      const school = (await seeded.scope.structures.findByUai(SCHOOL))!;
      const big = await seeded.scope.groups.upsert({ structureId: school.id, kind: 'class', code: 'BIG', name: 'Promotion' });
      const suffix = seeded.tenantId.slice(-8);
      // 620 members: a page of 500, then a short one; every tenth one already active.
      for (let i = 0; i < 620; i++) {
        const active = i % 10 === 0;
        const account = await seeded.scope.accounts.create({
          login: `eleve${String(i).padStart(4, '0')}.${suffix}`, firstName: 'Élève', lastName: `N${String(i).padStart(4, '0')}`, profile: 'Student',
          status: active ? 'active' : 'pending', ...(active ? {} : { activationCodeHash: hashActivationCode('abcdefgh') }),
        });
        await seeded.scope.memberships.attachToStructure(account.id, school.id);
        await seeded.scope.memberships.addToGroup(account.id, big.id);
      }
      const letters = await issue(seeded, { kind: 'class', uai: SCHOOL, classCode: 'BIG' });
      expect(letters).to.have.length(558);
      expect(new Set(letters.map((l) => l.accountId)).size).to.equal(558);
      expect(letters[0]!.lastName).to.equal('N0001');
      expect(letters.at(-1)!.lastName).to.equal('N0619');
      const [summary] = (await events(seeded)).filter((e) => e.type === 'letters.issued');
      expect(summary!.details).to.deep.include({ issued: 558, skipped: { active: 62 } });
    });
  });
}

// ---- the PDF -------------------------------------------------------------------------------

const URL_OF_ACTIVATION = 'https://ent.hautsdefrance.fr/activation';
const ISSUED_ON = new Date('2026-12-07T09:00:00Z');

function letter(i: number, fields: Partial<Letter> = {}): Letter {
  const n = String(i).padStart(2, '0');
  // Codes of the activation alphabet, all different.
  const code = `abcd${'efghjkmnprstvwxyz3456789'[i % 24]}${'efghjkmnprstvwxyz3456789'[Math.floor(i / 24) % 24]}zz`;
  return {
    accountId: `id-${n}`, login: `eleve.${n}`, code, firstName: 'Zoé', lastName: `Élève ${n}`, profile: 'Student',
    className: '6A', schoolName: 'Collège Jean Moulin', uai: SCHOOL, expiresAt: new Date('2027-01-01T10:00:00Z'), ...fields,
  };
}

/** 11 letters: pupils, a parent, a teacher, a name outside WinAnsi. */
const LETTERS: Letter[] = [
  ...Array.from({ length: 8 }, (_, i) => letter(i)),
  letter(8, { login: 'sophie.zola', firstName: 'Sophie', lastName: 'Zola', profile: 'Relative', className: null }),
  letter(9, { login: 'marc.lefevre', firstName: 'Marc', lastName: 'Lefèvre', profile: 'Teacher', className: '5B, 6A' }),
  letter(10, { login: 'lukasz.sahin', firstName: 'Łukasz', lastName: 'Şahin', profile: 'Student' }),
];

const CHILD = ['Comment faire ?', 'Demande à un adulte de t’aider.', 'Écris ton identifiant et ton code d’activation.', 'Ton code est secret : ne le donne jamais à un camarade.'];
const ADULT = ['Première connexion', 'Choisissez votre mot de passe, qui remplacera ce code.', 'Ce code est personnel et ne sert qu’une fois : ne le communiquez à personne.'];

async function collect(stream: NodeJS.ReadableStream): Promise<{ pdf: Buffer; chunks: number }> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return { pdf: Buffer.concat(chunks), chunks: chunks.length };
}

describe('connection letters: the PDF', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-letters-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const options = (perPage: LetterOptions['perPage'], more: Partial<LetterOptions> = {}): LetterOptions =>
    ({ perPage, entName: 'ENT Hauts-de-France', activationUrl: URL_OF_ACTIVATION, issuedOn: ISSUED_ON, ...more });

  /** The PDF, its pages as pdftotext lays them out (no-break spaces as spaces), and pdfinfo's fields. */
  async function read(letters: Letter[], opts: LetterOptions) {
    const { pdf, chunks } = await collect(renderLetters(letters, opts));
    const file = join(dir, `letters-${newId()}.pdf`);
    writeFileSync(file, pdf);
    const text = (await run('pdftotext', ['-layout', '-enc', 'UTF-8', file, '-'])).stdout.replace(/\u00a0/g, ' ');
    const info = Object.fromEntries((await run('pdfinfo', [file])).stdout.split('\n')
      .map((line) => /^([^:]+):\s*(.*)$/.exec(line)).filter((m) => m !== null).map((m) => [m[1], m[2]]));
    // pdftotext ends every page with a form feed.
    return { pdf, chunks, text, pages: text.split('\f').slice(0, -1), info };
  }

  for (const fonts of ['system', 'standard'] as const) {
    for (const perPage of [1, 2, 8] as const) {
      it(`prints ${perPage} letter(s) per A4 page, every login and code legible (${fonts} fonts)`, async () => {
        const { text, pages, info, chunks } = await read(LETTERS, options(perPage, { fonts }));
        expect(info.Pages).to.equal(String(Math.ceil(LETTERS.length / perPage)));
        expect(pages).to.have.length(Math.ceil(LETTERS.length / perPage));
        expect(info['Page size']).to.match(/^595\.2\d x 841\.8\d pts \(A4\)/);
        expect(info.Title).to.equal('Lettres de connexion – ENT Hauts-de-France');
        // Drawn and written out a page at a time, not as one buffer.
        expect(chunks).to.be.at.least(pages.length);
        for (const l of LETTERS) {
          expect(text).to.include(`Identifiant : ${l.login}`);
          expect(text).to.include(`Code d’activation : ${formatActivationCode(l.code)}`);
        }
        expect(text).to.include(`Adresse : ${URL_OF_ACTIVATION}`);
        expect(text).to.include('Valable jusqu’au 1er janvier 2027');
        expect(text).to.include('Lettre de connexion du 7 décembre 2026');
        expect(text).to.include('Classe 6A – Collège Jean Moulin');
        expect(text).to.include('Classes 5B, 6A – Collège Jean Moulin');
        expect(text).to.include('Marc Lefèvre');
        // A name outside WinAnsi: as is with DejaVu, without its accents with the standard fonts.
        expect(text).to.include(fonts === 'system' ? 'Łukasz Şahin' : 'Lukasz Sahin');
        for (const sentence of [...CHILD, ...ADULT]) expect(text.replace(/\s+/g, ' ')).to.include(sentence);
      });
    }
  }

  it('gives a pupil the child\'s instructions, a parent and a teacher the adult\'s', async () => {
    const { pages } = await read(LETTERS, options(1));
    const flat = pages.map((p) => p.replace(/\s+/g, ' '));
    LETTERS.forEach((l, i) => {
      expect(flat[i]).to.include(`Identifiant : ${l.login}`);
      const [mine, other] = l.profile === 'Student' ? [CHILD, ADULT] : [ADULT, CHILD];
      for (const sentence of mine) expect(flat[i]).to.include(sentence);
      for (const sentence of other) expect(flat[i]).to.not.include(sentence);
    });
  });

  it('keeps the longest letters whole at 8 per page: the login on one line, the instructions all there', async () => {
    const long = letter(0, {
      login: 'jean-baptiste.de-la-fontaine-beauregard12', firstName: 'Jean-Baptiste Marie-Hippolyte', lastName: 'de La Fontaine-Beauregard d’Aubigné',
      className: '3A, 3B, 4A, 4B, 5C, 6D', schoolName: 'Lycée polyvalent régional Jean-Baptiste de La Salle et des Métiers du Bâtiment',
    });
    const letters = [long, { ...long, profile: 'Relative' as const }];
    for (const fonts of ['system', 'standard'] as const) {
      const { text, pages } = await read(letters, options(8, { fonts, activationUrl: `${URL_OF_ACTIVATION}?depuis=lettre-de-connexion` }));
      expect(pages).to.have.length(1);
      const lines = text.split('\n').map((line) => line.trim());
      expect(lines.filter((line) => line === 'Identifiant : jean-baptiste.de-la-fontaine-beauregard12')).to.have.length(2);
      const flat = text.replace(/\s+/g, ' ');
      expect(flat).to.include('Jean-Baptiste Marie-Hippolyte de La Fontaine-Beauregard d’Aubigné');
      expect(flat).to.include(`Adresse : ${URL_OF_ACTIVATION}?depuis=lettre-de-connexion`);
      for (const sentence of [...CHILD, ...ADULT, 'S’il ne marche plus, demande une nouvelle lettre à ton professeur.', 'Une fois expiré, demandez-en un nouveau à l’établissement.']) {
        expect(flat).to.include(sentence);
      }
    }
  });

  it('draws the QR code of exactly the activation address, module by module', async () => {
    const modules = (url: string) => QRCode.create(url, { errorCorrectionLevel: QR_ERROR_CORRECTION }).modules;
    const drawn = (url: string) => {
      const { size, runs } = qrDrawing(url);
      const dark = new Uint8Array(size * size);
      for (const r of runs) for (let c = r.col; c < r.col + r.length; c++) {
        expect(dark[r.row * size + c], 'runs overlap').to.equal(0);
        dark[r.row * size + c] = 1;
      }
      return { size, dark: [...dark] };
    };
    const expected = modules(URL_OF_ACTIVATION);
    expect(drawn(URL_OF_ACTIVATION)).to.deep.equal({ size: expected.size, dark: [...expected.data].map((d) => (d ? 1 : 0)) });
    expect(drawn(`${URL_OF_ACTIVATION}/`).dark).to.not.deep.equal(drawn(URL_OF_ACTIVATION).dark);

    // And those runs are what the page holds: one rectangle each, on the module grid.
    const { pdf } = await read([LETTERS[0]!], options(1));
    const rectangles = contentStreams(pdf).flatMap((content) => [...content.matchAll(/^(-?[\d.]+) (-?[\d.]+) ([\d.]+) ([\d.]+) re$/gm)]
      .map((m) => m.slice(1, 5).map(Number) as [number, number, number, number]));
    const { runs } = qrDrawing(URL_OF_ACTIVATION);
    expect(rectangles).to.have.length(runs.length);
    const module = rectangles[0]![3];
    const left = Math.min(...rectangles.map((r) => r[0]));
    const top = Math.min(...rectangles.map((r) => r[1]));
    const onGrid = rectangles.map(([x, y, w, h]) => {
      expect(h).to.be.closeTo(module, 1e-3);
      return { row: Math.round((y - top) / module), col: Math.round((x - left) / module), length: Math.round(w / module) };
    });
    const key = (r: { row: number; col: number }) => r.row * 1000 + r.col;
    expect(onGrid.sort((a, b) => key(a) - key(b))).to.deep.equal([...runs].sort((a, b) => key(a) - key(b)));
  });

  it('gives the same bytes for the same letters, and refuses an empty batch', async () => {
    const a = await collect(renderLetters(LETTERS.slice(0, 3), options(2)));
    const b = await collect(renderLetters(LETTERS.slice(0, 3), options(2)));
    expect(a.pdf.equals(b.pdf)).to.equal(true);
    const c = await collect(renderLetters(LETTERS.slice(0, 3), options(2, { issuedOn: new Date('2026-12-08T09:00:00Z') })));
    expect(c.pdf.equals(a.pdf)).to.equal(false);
    expect(() => renderLetters([], options(8))).to.throw(HubError, /at least one letter/);
  });

  it('writes dates as in France, in Paris time, and keeps what WinAnsi has', () => {
    expect(frenchDate(new Date('2027-01-01T10:00:00Z'))).to.equal('1er janvier 2027');
    // 23:30 UTC on New Year's Eve is already the next day in Paris.
    expect(frenchDate(new Date('2026-12-31T23:30:00Z'))).to.equal('1er janvier 2027');
    expect(frenchDate(new Date('2026-08-15T12:00:00Z'))).to.equal('15 août 2026');
    expect(toWinAnsi('Zoé Œuvrard « Ça » – déjà')).to.equal('Zoé Œuvrard « Ça » – déjà');
    expect(toWinAnsi('Łukasz Şahin Nguyễn Đặng')).to.equal('Lukasz Sahin Nguyen Dang');
    expect(toWinAnsi('王 🙂')).to.equal('? ?');
  });
});

/** The PDF's compressed streams, inflated; those that do not inflate (none here) are skipped. */
function contentStreams(pdf: Buffer): string[] {
  const out: string[] = [];
  let at = 0;
  for (;;) {
    const start = pdf.indexOf('stream\n', at);
    if (start < 0) return out;
    const end = pdf.indexOf('\nendstream', start);
    if (end < 0) return out;
    try {
      out.push(inflateSync(pdf.subarray(start + 'stream\n'.length, end)).toString('latin1'));
    } catch {
      // Not a Flate stream.
    }
    // Past `endstream`, whose own `stream` is not a start.
    at = end + '\nendstream'.length;
  }
}
