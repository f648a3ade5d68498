/**
 * Conformance of `AccountStore.search`, the helpdesk's search: each kind, accents and case, both
 * name orders, keyset pages (no duplicate, no gap, a stable order among equal names), filters,
 * the structure scope, tenant isolation, and input that must find nothing and never fail.
 * Every backend of the accounts port runs it, on a directory of a few dozen accounts.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { HubError } from '../../src/shared/errors.js';
import type {
  Account, AccountFilters, AccountSearch, KeysetResult, NewAccount, Structure, TenantScope,
} from '../../src/storage/ports/index.js';
import { describeTenantIsolation, ids, person, rejection, type StoreSuite } from './kit.js';

export const accountSearchConformance: StoreSuite = ({ newTenant }) => {
  describe('account search', () => {
    let d: Directory;
    before(async () => {
      d = await directory(await newTenant());
    });
    const search = (query: AccountSearch, filters: AccountFilters = {}, limit = 200) => d.scope.accounts.search(query, filters, { limit });
    const names = (result: KeysetResult<Account>) => result.items.map((a) => `${a.lastName} ${a.firstName}`);

    describe('by name', () => {
      it('finds a prefix of "last first" or of "first last", without case or accents', async () => {
        for (const text of ['lefevre h', 'LEFÈVRE', 'Lefèvre Hugo', 'hugo lef', 'HUGO LEFÉVRE', '  lefevre   hugo ']) {
          expect(names(await search({ kind: 'name', text })), text).to.deep.equal(['Lefèvre Hugo']);
        }
        expect(names(await search({ kind: 'name', text: 'LÉA MAR' }))).to.deep.equal(['Marchand Léa', 'Martin Léa']);
        expect(names(await search({ kind: 'name', text: 'hugo' }))).to.deep.equal(['Lefèvre Hugo', 'Mathieu Hugo']);
        expect(names(await search({ kind: 'name', text: 'lefe' }))).to.deep.equal(['Lefebvre Hélène', 'Lefèvre Hugo']);
      });

      it('orders by the folded "last first" key, whichever order matched', async () => {
        expect(names(await search({ kind: 'name', text: 'm' }))).to.deep.equal(['Marchand Léa', 'Martin Léa', 'Martin Marie', 'Mathieu Hugo']);
        // `Marie Martin` matches both orders and comes once.
        expect(names(await search({ kind: 'name', text: 'mar' }))).to.deep.equal(['Marchand Léa', 'Martin Léa', 'Martin Marie']);
      });

      it('folds ligatures, apostrophes and hyphens as the names were folded', async () => {
        expect(names(await search({ kind: 'name', text: "n'diaye" }))).to.deep.equal(["N'Diaye Aïssa"]);
        expect(names(await search({ kind: 'name', text: 'N’DIAYE ai' }))).to.deep.equal(["N'Diaye Aïssa"]);
        expect(names(await search({ kind: 'name', text: 'aissa n diaye' }))).to.deep.equal(["N'Diaye Aïssa"]);
        expect(names(await search({ kind: 'name', text: 'le goff jean pierre' }))).to.deep.equal(['Le Goff Jean-Pierre']);
        expect(names(await search({ kind: 'name', text: 'Jean-Pierre  LE-G' }))).to.deep.equal(['Le Goff Jean-Pierre']);
        expect(names(await search({ kind: 'name', text: 'oeillet' }))).to.deep.equal(['Œillet Zoë']);
        expect(names(await search({ kind: 'name', text: 'zoe oe' }))).to.deep.equal(['Œillet Zoë']);
        expect(names(await search({ kind: 'name', text: 'ŒILLET ZOË' }))).to.deep.equal(['Œillet Zoë']);
      });

      it('takes % and _ as themselves, not as wildcards', async () => {
        expect(names(await search({ kind: 'name', text: 'pourcent%' }))).to.deep.equal(['Pourcent% Sous_Tiret']);
        expect(names(await search({ kind: 'name', text: 'sous_t' }))).to.deep.equal(['Pourcent% Sous_Tiret']);
        expect(names(await search({ kind: 'name', text: 'pourcent_' }))).to.deep.equal([]);
        expect(names(await search({ kind: 'name', text: 'd%' }))).to.deep.equal([]);
        expect(names(await search({ kind: 'name', text: 'dup_nt' }))).to.deep.equal([]);
      });
    });

    it('by login: a prefix of the login, any case, in login order', async () => {
      expect(ids((await search({ kind: 'login', text: `${d.tag.toUpperCase()}-LEA` })).items)).to.deep.equal([d.marchand.id, d.lea.id]);
      expect(ids((await search({ kind: 'login', text: ` ${d.tag}-hugo.l ` })).items)).to.deep.equal([d.hugo.id]);
      expect((await search({ kind: 'login', text: `${d.tag}-lea.martinez` })).items).to.deep.equal([]);
      expect((await search({ kind: 'login', text: 'hugo.lefevre' })).items).to.deep.equal([]);
    });

    it('by external id: exactly', async () => {
      expect(ids((await search({ kind: 'externalId', text: d.hugo.externalId! })).items)).to.deep.equal([d.hugo.id]);
      expect((await search({ kind: 'externalId', text: d.hugo.externalId!.toLowerCase() })).items).to.deep.equal([]);
      expect((await search({ kind: 'externalId', text: d.hugo.externalId!.slice(0, -1) })).items).to.deep.equal([]);
    });

    it('by e-mail: exactly, without case, the contact or the académie address', async () => {
      expect(ids((await search({ kind: 'email', text: 'HUGO.LEFEVRE@example.ORG' })).items)).to.deep.equal([d.hugo.id]);
      expect(ids((await search({ kind: 'email', text: ' H.Lefevre@AC-LILLE.fr ' })).items)).to.deep.equal([d.hugo.id]);
      // One family address on two accounts: both, by name.
      expect(names(await search({ kind: 'email', text: 'famille.martin@example.org' }))).to.deep.equal(['Martin Léa', 'Martin Marie']);
      expect((await search({ kind: 'email', text: 'hugo.lefevre@example' })).items).to.deep.equal([]);
      expect((await search({ kind: 'email', text: 'hugo' })).items).to.deep.equal([]);
    });

    it('by UAI: the accounts attached to the school, by name; none for an unknown UAI', async () => {
      expect(names(await search({ kind: 'uai', uai: d.schoolA.uai }))).to.deep.equal(['Lefèvre Hugo', 'Marchand Léa', 'Martin Léa', 'Œillet Zoë']);
      expect((await search({ kind: 'uai', uai: '0599999Z' })).items).to.deep.equal([]);
      expect((await search({ kind: 'uai', uai: '' })).items).to.deep.equal([]);
    });

    it('by class: the members of that class of that school; none for an unknown one or a group that is not a class', async () => {
      expect(names(await search({ kind: 'class', uai: d.schoolA.uai, classCode: '3A' }))).to.deep.equal(['Martin Léa', 'Œillet Zoë']);
      expect(names(await search({ kind: 'class', uai: d.schoolB.uai, classCode: '3A' }))).to.deep.equal(["N'Diaye Aïssa"]);
      expect((await search({ kind: 'class', uai: d.schoolA.uai, classCode: 'LATIN' })).items).to.deep.equal([]);
      expect((await search({ kind: 'class', uai: d.schoolA.uai, classCode: '6Z' })).items).to.deep.equal([]);
      expect((await search({ kind: 'class', uai: '0599999Z', classCode: '3A' })).items).to.deep.equal([]);
    });

    describe('filters', () => {
      it('narrows by profile and status', async () => {
        expect(names(await search({ kind: 'name', text: 'm' }, { status: 'active' }))).to.deep.equal(['Martin Léa', 'Martin Marie', 'Mathieu Hugo']);
        expect(names(await search({ kind: 'name', text: 'm' }, { profile: 'Student' }))).to.deep.equal(['Marchand Léa', 'Martin Léa', 'Mathieu Hugo']);
        expect(names(await search({ kind: 'name', text: 'm' }, { profile: 'Student', status: 'pending' }))).to.deep.equal(['Marchand Léa']);
        expect(names(await search({ kind: 'uai', uai: d.schoolA.uai }, { profile: 'Teacher' }))).to.deep.equal(['Lefèvre Hugo']);
        expect(names(await search({ kind: 'name', text: 'n diaye' }, { status: 'disabled' }))).to.deep.equal(["N'Diaye Aïssa"]);
        expect((await search({ kind: 'name', text: 'n diaye' }, { status: 'active' })).items).to.deep.equal([]);
      });

      it('keeps to the accounts attached to one of `structureIds`; none for an empty list or structures of nobody here', async () => {
        const inA = { structureIds: [d.schoolA.id] };
        expect(names(await search({ kind: 'name', text: 'm' }, inA))).to.deep.equal(['Marchand Léa', 'Martin Léa']);
        expect(names(await search({ kind: 'name', text: 'm' }, { structureIds: [d.schoolB.id] }))).to.deep.equal(['Martin Marie']);
        expect(names(await search({ kind: 'name', text: 'm' }, { structureIds: [d.schoolA.id, d.schoolB.id] }))).to.deep.equal(['Marchand Léa', 'Martin Léa', 'Martin Marie']);
        expect(names(await search({ kind: 'name', text: 'm' }, { structureIds: [] }))).to.deep.equal([]);
        expect(names(await search({ kind: 'name', text: 'm' }, { structureIds: ['no-such-structure'] }))).to.deep.equal([]);
        expect(names(await search({ kind: 'login', text: `${d.tag}-` }, inA))).to.deep.equal(['Lefèvre Hugo', 'Marchand Léa', 'Martin Léa', 'Œillet Zoë']);
        expect(names(await search({ kind: 'email', text: 'famille.martin@example.org' }, { structureIds: [d.schoolB.id] }))).to.deep.equal(['Martin Marie']);
        expect(names(await search({ kind: 'externalId', text: d.hugo.externalId! }, { structureIds: [d.schoolB.id] }))).to.deep.equal([]);
        expect(names(await search({ kind: 'class', uai: d.schoolA.uai, classCode: '3A' }, { structureIds: [d.schoolB.id] }))).to.deep.equal([]);
        expect(names(await search({ kind: 'uai', uai: d.schoolB.uai }, { structureIds: [d.schoolA.id], profile: 'Relative' }))).to.deep.equal([]);
      });
    });

    describe('keyset pages', () => {
      it('walks equal names page by page: each once, none missing, in id order, the last page without a next', async () => {
        const pages = await allPages(d.scope, { kind: 'name', text: 'dupont' }, {}, 3);
        expect(pages.map((p) => p.items.length)).to.deep.equal([3, 3, 1]);
        expect(pages.map((p) => p.next === null)).to.deep.equal([false, false, true]);
        expect(ids(pages.flatMap((p) => p.items))).to.deep.equal(d.duponts.map((a) => a.id).sort());
      });

      it('gives the same accounts in the same order a page at a time as in one page, for every kind', async () => {
        const cases: [AccountSearch, AccountFilters][] = [
          [{ kind: 'name', text: 'm' }, {}],
          [{ kind: 'name', text: 'j' }, {}],
          [{ kind: 'name', text: 'd' }, { status: 'active', structureIds: [d.schoolB.id] }],
          [{ kind: 'login', text: d.tag }, {}],
          [{ kind: 'login', text: d.tag }, { structureIds: [d.schoolB.id] }],
          [{ kind: 'uai', uai: d.schoolB.uai }, {}],
          [{ kind: 'email', text: 'famille.martin@example.org' }, {}],
        ];
        for (const [query, filters] of cases) {
          const whole = await d.scope.accounts.search(query, filters, { limit: 200 });
          expect(whole.next, JSON.stringify(query)).to.equal(null);
          expect(whole.items.length, JSON.stringify(query)).to.be.above(1);
          for (const limit of [1, 2]) {
            const paged = (await allPages(d.scope, query, filters, limit)).flatMap((p) => p.items);
            expect(ids(paged), `${JSON.stringify(query)} by ${limit}`).to.deep.equal(ids(whole.items));
          }
        }
      });

      it('a page of exactly the rest has no next; a cursor past the end gives an empty page', async () => {
        const first = await search({ kind: 'name', text: 'lefe' }, {}, 1);
        expect(first.next).to.be.a('string');
        const second = await d.scope.accounts.search({ kind: 'name', text: 'lefe' }, {}, { limit: 1, after: first.next! });
        expect(names(second)).to.deep.equal(['Lefèvre Hugo']);
        expect(second.next).to.equal(null);
        const bothThenMore = await search({ kind: 'name', text: 'lefe' }, {}, 2);
        expect(bothThenMore.next).to.equal(null);
        const beyond = await d.scope.accounts.search({ kind: 'name', text: 'dupont' }, {}, { limit: 10, after: first.next! });
        expect(beyond).to.deep.equal({ items: [], next: null });
      });

      it('refuses a limit outside 1..200 and a cursor it did not give', async () => {
        for (const limit of [0, -1, 201, 1.5, Number.NaN]) {
          const error = await rejection(search({ kind: 'name', text: 'm' }, {}, limit), HubError);
          expect(error.status, String(limit)).to.equal(400);
        }
        expect((await search({ kind: 'name', text: 'm' }, {}, 200)).items).to.have.length(4);
        const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
        for (const after of ['not-a-cursor', forged({ a: 1 }), forged([1, 2]), forged(['martin\0', 'x']), forged(['a', 'b', 'c']), '']) {
          const error = await rejection(d.scope.accounts.search({ kind: 'name', text: 'm' }, {}, { limit: 5, after }), HubError);
          expect(error.status, after).to.equal(400);
        }
      });
    });

    it('finds nothing wrong and never fails on odd input, for every kind', async () => {
      const odd = ['%', '_', '%%', 'd%', '\\', '\\%', "'", '"', "' or 1=1 --", '"; drop table accounts; --', '*', '.*', '[a-z]', '\0', 'dupont\0', '\u0000',
        'a'.repeat(500), 'é'.repeat(500), '😀', '\ud800', 'ｄｕｐｏｎｔ', ' ', '', '\t\n'];
      for (const text of odd) {
        const queries: AccountSearch[] = [
          { kind: 'name', text }, { kind: 'login', text }, { kind: 'externalId', text }, { kind: 'email', text },
          { kind: 'uai', uai: text }, { kind: 'class', uai: text, classCode: text }, { kind: 'class', uai: d.schoolA.uai, classCode: text },
        ];
        for (const query of queries) {
          const result = await d.scope.accounts.search(query, {}, { limit: 20 });
          expect(result, JSON.stringify(query)).to.deep.equal({ items: [], next: null });
        }
      }
      expect(await d.scope.accounts.count()).to.equal(d.total);
    });
  });

  describeTenantIsolation(newTenant, (t) => {
    it('search: never finds another tenant’s accounts, by any kind', async () => {
      const found = async (query: AccountSearch, filters: AccountFilters = {}) => ids((await t.a.accounts.search(query, filters, { limit: 200 })).items);
      // Both tenants have a Jean Dupont: A finds its own only.
      expect(await found({ kind: 'name', text: 'dupont' })).to.deep.equal([t.mine.id]);
      expect(await found({ kind: 'name', text: 'jean' })).to.deep.equal([t.mine.id]);
      expect(await found({ kind: 'login', text: t.theirs.child.login })).to.deep.equal([]);
      expect(await found({ kind: 'externalId', text: t.theirs.parent.externalId! })).to.deep.equal([]);
      expect(await found({ kind: 'email', text: t.theirs.parent.academicEmail! })).to.deep.equal([]);
      expect(await found({ kind: 'uai', uai: t.theirs.school.uai })).to.deep.equal([]);
      expect(await found({ kind: 'class', uai: t.theirs.school.uai, classCode: t.theirs.klass.code })).to.deep.equal([]);
      expect(await found({ kind: 'name', text: 'dupont' }, { structureIds: [t.theirs.school.id] })).to.deep.equal([]);
      // B, through its own scope, still finds them.
      expect(ids((await t.b.accounts.search({ kind: 'class', uai: t.theirs.school.uai, classCode: t.theirs.klass.code }, {}, { limit: 5 })).items)).to.deep.equal([t.theirs.child.id]);
      await t.expectTheirsIntact();
    });
  });
};

interface Directory {
  scope: TenantScope;
  /** Logins start with `<tag>-`: unique in the store, which other suites share. */
  tag: string;
  hugo: Account;
  lea: Account;
  marchand: Account;
  duponts: Account[];
  schoolA: Structure;
  schoolB: Structure;
  total: number;
}

/**
 * The directory the search tests read. School A: Hugo Lefèvre (teacher), Léa Marchand and
 * Léa Martin, Zoë Œillet (class 3A: Léa Martin and Zoë; 3B: Léa Marchand; a group LATIN).
 * School B: Marie Martin, Aïssa N'Diaye (class 3A), Hélène Lefebvre, seven Jean Duponts.
 * Nowhere: Jean-Pierre Le Goff, Hugo Mathieu, `Pourcent% Sous_Tiret`.
 */
async function directory(scope: TenantScope): Promise<Directory> {
  const tag = `t${randomBytes(4).toString('hex')}`;
  let n = 0;
  const add = (firstName: string, lastName: string, login: string, more: Partial<NewAccount> = {}) =>
    scope.accounts.create(person({ firstName, lastName, login: `${tag}-${login}`, externalId: `AC-TEST-${tag}-${++n}`, ...more }));
  const hugo = await add('Hugo', 'Lefèvre', 'hugo.lefevre', { profile: 'Teacher', email: 'Hugo.Lefevre@Example.org', academicEmail: 'h.lefevre@ac-lille.fr' });
  const lea = await add('Léa', 'Martin', 'lea.martin', { email: 'famille.martin@example.org' });
  const marchand = await add('Léa', 'Marchand', 'lea.marchand', { status: 'pending' });
  const marie = await add('Marie', 'Martin', 'marie.martin', { profile: 'Relative', email: 'Famille.Martin@example.org' });
  const aissa = await add('Aïssa', "N'Diaye", 'aissa.ndiaye', { status: 'disabled' });
  await add('Jean-Pierre', 'Le Goff', 'jeanpierre.legoff', { profile: 'Personnel' });
  const zoe = await add('Zoë', 'Œillet', 'zoe.oeillet');
  const helene = await add('Hélène', 'Lefebvre', 'helene.lefebvre', { profile: 'Teacher' });
  await add('Hugo', 'Mathieu', 'hugo.mathieu');
  await add('Sous_Tiret', 'Pourcent%', 'pourcent');
  const duponts: Account[] = [];
  for (let i = 1; i <= 7; i++) duponts.push(await add('Jean', 'Dupont', `jean.dupont${i}`));

  const schoolA = await scope.structures.upsert({ uai: '0590001A', name: 'Collège A' });
  const schoolB = await scope.structures.upsert({ uai: '0590002B', name: 'Collège B' });
  const group = (school: Structure, kind: 'class' | 'group', code: string) => scope.groups.upsert({ structureId: school.id, kind, code, name: code });
  const [a3A, a3B, latin, b3A] = [await group(schoolA, 'class', '3A'), await group(schoolA, 'class', '3B'), await group(schoolA, 'group', 'LATIN'), await group(schoolB, 'class', '3A')];
  for (const account of [hugo, lea, marchand, zoe]) await scope.memberships.attachToStructure(account.id, schoolA.id);
  for (const account of [marie, aissa, helene, ...duponts]) await scope.memberships.attachToStructure(account.id, schoolB.id);
  for (const [account, klass] of [[lea, a3A], [zoe, a3A], [marchand, a3B], [lea, latin], [zoe, latin], [aissa, b3A]] as const) {
    await scope.memberships.addToGroup(account.id, klass.id);
  }
  return { scope, tag, hugo, lea, marchand, duponts, schoolA, schoolB, total: n };
}

/** Every page of a search, following `next` to the end; fails on an account seen twice. */
async function allPages(scope: TenantScope, query: AccountSearch, filters: AccountFilters, limit: number): Promise<KeysetResult<Account>[]> {
  const pages: KeysetResult<Account>[] = [];
  const seen = new Set<string>();
  let after: string | undefined;
  do {
    const page = await scope.accounts.search(query, filters, { limit, after });
    for (const account of page.items) {
      expect(seen.has(account.id), `${account.lastName} ${account.firstName} on two pages`).to.equal(false);
      seen.add(account.id);
    }
    expect(page.items.length).to.be.at.most(limit);
    pages.push(page);
    after = page.next ?? undefined;
    expect(pages.length, 'too many pages').to.be.below(100);
  } while (after !== undefined);
  return pages;
}
