/**
 * The account search's SQL side, on both engines: the database's `hub_fold` folds exactly as
 * `foldName` does (the indexes hold the database's results, the queries the JavaScript's), and
 * each kind of search is read from its index, never by scanning the accounts, so that a
 * regression of a plan fails here rather than on a million accounts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import fc from 'fast-check';
import { CompiledQuery, sql } from 'kysely';
import { FOLD_LETTERS, FOLD_MARKS, FOLD_SEPARATORS, foldName } from '../../src/identity/fold.js';
import type { AccountFilters, AccountSearch } from '../../src/storage/ports/index.js';
import { planAccountSearch, prefixEnd, searchAccounts, type SearchTuning } from '../../src/storage/sql/account-search.js';
import { openSqlStore, type SqlDialect, type SqlStore } from '../../src/storage/sql/index.js';
import { createTestDatabase, type TestDatabase } from '../../testing/harness/postgres.js';
import { accountId, namesOf, seedSearchTenant, structureId, uaiOf } from '../../testing/search-tenant.js';
import { FIRST_NAMES, LAST_NAMES } from '../../testing/french-names.js';

const TENANT = 'plans';
/** Schools of 60, as a million accounts' schools of 600 are a small share of their tenant. */
const SIZE = { accounts: 6000, structureSize: 60 };
const LOGIN_INDEX: Record<SqlDialect, string> = { sqlite: 'sqlite_autoindex_accounts_2', postgres: 'accounts_search_login_idx' };
const LAST_FIRST = 'accounts_search_last_first_idx';
const FIRST_LAST = 'accounts_search_first_last_idx';

function sqliteDatabase(): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'hub-search-'));
  return Promise.resolve({ url: `sqlite:${join(dir, 'hub.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) });
}

const databases: Record<SqlDialect, () => Promise<TestDatabase>> = { sqlite: sqliteDatabase, postgres: createTestDatabase };

/** Names where folds go wrong: accents of every kind, ligatures, apostrophes, dashes, odd spaces, other scripts. */
const TRICKY = [
  'Lefèvre Hugo', 'LEFÈVRE  HUGO', "N'Diaye Aïssa", 'N’Diaye', 'Jean-Pierre', 'Jean–Pierre — Le Goff', 'Œillet Zoë', 'Ærø Æbelø', 'Straße ẞ',
  'Ÿvon', 'Ça Ç', 'Hélène-Françoise', 'e\u0301le\u0300ve', 'Ǿsterby', 'ǼRIN', 'Łukasz Ødegaard', 'Đorđe', 'Þórr', 'Ĳsselmeer', 'İstanbul ılık',
  'Nguyễn Thị', 'Yılmaz Öztürk Çağla', 'Ştefan Ţepeş', 'Ирина Йовович', 'Αλέξης', '山田 太郎', '😀 Zoé', '\u00a0 Dupont\u202fDurand\u3000',
  " - ' ", '', ' ', "d'Artagnan d’Ocre", 'Le  Floc\'h', 'O\'Brien-Smith', 'A.B., C', 'tab\there\nnewline\r\fform\vvertical', 'x'.repeat(250), `${'x'.repeat(199)} y`, ` ${'y'.repeat(200)}`, '😀'.repeat(210),
  'É'.repeat(300), 'ǅemal ǈubica ǋenad', 'ﬁne ﬂow', 'Ｆｕｌｌ', 'Mc\u0327Donald', 'Zoe\u0308\u0301',
];

/** Every character the fold's tables name, and every Latin letter NFD splits, one string each. */
function everyNamedCharacter(): string[] {
  const chars = [...FOLD_LETTERS.keys(), ...FOLD_SEPARATORS];
  for (let code = FOLD_MARKS.first; code <= FOLD_MARKS.last; code++) chars.push(`a${String.fromCharCode(code)}`);
  for (const [first, last] of [[0xc0, 0x24f], [0x1e00, 0x1eff]] as const) {
    for (let code = first; code <= last; code++) chars.push(String.fromCharCode(code));
  }
  return chars.map((c) => `X${c}y ${c}`);
}

const SAMPLE = fc.sample(fc.string({
  unit: fc.constantFrom(...'aAéÉèœŒæß-\'’ .,ÿŸçÇøØłŁ\u0301\u0308\u00a0\t'.split(''), ...'Lefèvre Hugo'.split('')),
  maxLength: 30,
}), { numRuns: 400, seed: 15 });

for (const [dialect, createDatabase] of Object.entries(databases) as [SqlDialect, () => Promise<TestDatabase>][]) {
  describe(`account search on ${dialect}: folds and plans`, function () {
    this.timeout(60_000);
    let database: TestDatabase;
    let store: SqlStore;

    before(async () => {
      database = await createDatabase();
      store = await openSqlStore(database.url);
      await store.tenants.upsert({ id: TENANT, name: 'Plans', academyCode: '00' });
      await seedSearchTenant(store, TENANT, SIZE.accounts, { structureSize: SIZE.structureSize });
      // As autovacuum would have: PostgreSQL reads an index alone only where its visibility map says it may.
      if (dialect === 'postgres') await sql`vacuum accounts`.execute(store.db);
    });
    after(async () => {
      await store?.close();
      await database?.drop();
    });

    /** hub_fold of each text, computed by the database, in one statement. */
    async function databaseFolds(texts: string[]): Promise<string[]> {
      const { rows } = dialect === 'postgres'
        ? await sql<{ folded: string }>`select hub_fold(t) as folded from unnest(${texts}::text[]) with ordinality as u(t, n) order by n`.execute(store.db)
        : await sql<{ folded: string }>`select hub_fold(value) as folded from json_each(${JSON.stringify(texts)}) order by key`.execute(store.db);
      return rows.map((row) => row.folded);
    }

    it('hub_fold gives what foldName gives: tricky names, every character of the tables, random mixes', async () => {
      const texts = [...TRICKY, ...everyNamedCharacter(), ...SAMPLE];
      const expected = texts.map(foldName);
      expect(await databaseFolds(texts)).to.deep.equal(expected);
      // The corpus does exercise the fold.
      expect(foldName('LEFÈVRE  HUGO')).to.equal('lefevre hugo');
      expect(foldName('É'.repeat(300))).to.equal('e'.repeat(200));
    });

    it('the indexes hold the same keys the queries compute: each seeded name is found by its own folded form', async () => {
      for (const i of [0, 1, 17, 599, 4242, SIZE.accounts - 1]) {
        const { lastName, firstName } = namesOf(i);
        const found = await store.forTenant(TENANT).accounts.search({ kind: 'name', text: `${lastName} ${firstName}` }, {}, { limit: 200 });
        expect(found.items.map((a) => a.id), `${lastName} ${firstName}`).to.include(accountId(i));
        for (const account of found.items) expect(foldName(`${account.lastName} ${account.firstName}`).startsWith(foldName(`${lastName} ${firstName}`))).to.equal(true);
      }
    });

    /** What the plan of the statement a search runs reads, one line per step; fails on a full read of the accounts. */
    async function planOf(query: AccountSearch, filters: AccountFilters = {}, tuning: SearchTuning = {}): Promise<string> {
      const plan = await planAccountSearch(store.db, TENANT, query, filters, { limit: 50 }, tuning);
      expect(plan, JSON.stringify(query)).to.not.equal(null);
      const { sql: text, parameters } = plan!.query;
      if (dialect === 'postgres') {
        const { rows } = await store.db.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`explain ${text}`, [...parameters]));
        const lines = rows.map((row) => row['QUERY PLAN']);
        expect(lines.filter((line) => /Seq Scan on accounts/.test(line)), `${JSON.stringify(query)}:\n${lines.join('\n')}`).to.deep.equal([]);
        return lines.join('\n');
      }
      const { rows } = await store.db.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${text}`, [...parameters]));
      const lines = rows.map((row) => row.detail);
      // The accounts table is `accounts` or, from a candidates' list, `a`: always a SEARCH.
      expect(lines.filter((line) => /^SCAN (accounts|a)\b/.test(line)), `${JSON.stringify(query)}:\n${lines.join('\n')}`).to.deep.equal([]);
      return lines.join('\n');
    }

    it('reads names from the name indexes: first names matching few accounts sorted, many along the last-first index', async () => {
      const inOrder = { sortedFirstNamesMax: -1 };
      for (const [query, filters] of [[{ kind: 'name', text: 'm' }, {}], [{ kind: 'name', text: 'lefevre hu' }, { status: 'pending' }]] as const) {
        // Sorted: the first-last matches' ids were read before (below), their accounts by primary key.
        const sorted = await planOf(query, filters);
        expect(sorted, 'sorted').to.contain(LAST_FIRST).and.not.contain(FIRST_LAST);
        const along = await planOf(query, filters, inOrder);
        expect(along, 'in order').to.contain(LAST_FIRST).and.not.contain(FIRST_LAST);
        // Both reads of the last-first index are in its order: nothing sorts them but the final merge.
        expect(along.split(LAST_FIRST).length - 1, 'in order').to.equal(2);
        if (dialect === 'postgres') expect(along).to.match(/Index Only Scan using accounts_search_last_first_idx/);
      }
      // The first-last matches are read from the first-last index alone, filters included.
      const fl = `hub_fold(first_name || ' ' || last_name)${dialect === 'postgres' ? ' collate "C"' : ''}`;
      const count = await store.db.executeQuery<Record<string, string>>(CompiledQuery.raw(`explain ${dialect === 'sqlite' ? 'query plan ' : ''}
        select id from accounts where tenant_id = 'plans' and ${fl} >= 'm' and ${fl} < 'n' and status = 'active' limit 1001`));
      const counted = count.rows.map((row) => Object.values(row).join(' ')).join('\n');
      expect(counted).to.contain(FIRST_LAST).and.match(dialect === 'postgres' ? /Index Only Scan/ : /COVERING INDEX/);
    });

    it('reads logins, external ids and e-mails from their indexes', async () => {
      // SQLite's own index on `login` (unique, byte-wise) serves a prefix; PostgreSQL's has the default collation.
      expect(await planOf({ kind: 'login', text: 'hugo.le' })).to.contain(LOGIN_INDEX[dialect]);
      expect(await planOf({ kind: 'externalId', text: 'BENCH-42' })).to.match(/accounts_tenant_external_id_key|sqlite_autoindex_accounts_3/);
      const email = await planOf({ kind: 'email', text: 'hugo.lefevre@example.org' });
      expect(email).to.contain('accounts_search_email_idx').and.contain('accounts_search_academic_email_idx');
    });

    it('reads a school’s or a class’s members from the membership indexes', async () => {
      expect(await planOf({ kind: 'uai', uai: uaiOf(3) })).to.contain('account_structures_structure_idx');
      expect(await planOf({ kind: 'class', uai: uaiOf(3), classCode: 'C2' })).to.contain('group_members_group_idx');
    });

    it('scopes to structures from their members when they are few, from the name index when they are many', async () => {
      const scope = { structureIds: [structureId(TENANT, 2), structureId(TENANT, 5)] };
      expect(await planOf({ kind: 'name', text: 'm' }, scope)).to.contain('account_structures_structure_idx');
      expect(await planOf({ kind: 'name', text: 'm' }, scope, { membersFirstMax: 0 })).to.contain(LAST_FIRST);
      expect(await planOf({ kind: 'login', text: 'm' }, scope, { membersFirstMax: 0 })).to.contain(LOGIN_INDEX[dialect]);
    });

    it('finds the same accounts, in the same order, whichever way it starts from', async () => {
      const accounts = store.forTenant(TENANT).accounts;
      const cases: [AccountSearch, AccountFilters][] = [
        [{ kind: 'name', text: 'm' }, { structureIds: [structureId(TENANT, 1), structureId(TENANT, 4)] }],
        [{ kind: 'name', text: 'l' }, { structureIds: [0, 3, 6, 9].map((s) => structureId(TENANT, s)), status: 'active' }],
        [{ kind: 'login', text: 'l' }, { structureIds: [7, 8, 9, 10, 11].map((s) => structureId(TENANT, s)) }],
      ];
      for (const [query, filters] of cases) {
        const walk = async (tuning: SearchTuning) => {
          const found: string[] = [];
          let after: string | undefined;
          do {
            const page = await searchAccounts(store.db, TENANT, query, filters, { limit: 7, after }, tuning);
            found.push(...page.items.map((a) => a.id));
            after = page.next ?? undefined;
          } while (after !== undefined);
          return found;
        };
        const fromMembers = await walk({});
        expect(fromMembers.length, JSON.stringify(query)).to.be.above(14);
        expect(await walk({ membersFirstMax: 0 }), JSON.stringify(query)).to.deep.equal(fromMembers);
        expect(await walk({ membersFirstMax: 0, sortedFirstNamesMax: -1 }), JSON.stringify(query)).to.deep.equal(fromMembers);
        expect(ids(await accounts.search(query, filters, { limit: 200 }))).to.deep.equal(fromMembers.slice(0, 200));
      }
    });
  });
}

const ids = (result: { items: { id: string }[] }) => result.items.map((a) => a.id);

describe('account search: the end of a prefix’s range', () => {
  it('is the prefix with its last character’s successor', () => {
    expect(prefixEnd('m')).to.equal('n');
    expect(prefixEnd('lefevre h')).to.equal('lefevre i');
    expect(prefixEnd('a\uffff')).to.equal('a\u{10000}');
    expect(prefixEnd('a\ud7ff')).to.equal('a\ue000');
    expect(prefixEnd('a😀')).to.equal('a😁');
  });

  it('drops last characters that have no successor; none at all when nothing is left', () => {
    expect(prefixEnd('a\u{10ffff}')).to.equal('b');
    expect(prefixEnd('\u{10ffff}\u{10ffff}')).to.equal(null);
    expect(prefixEnd('')).to.equal(null);
  });

  it('bounds exactly the texts that start with the prefix (code point order)', () => {
    const byCodePoint = (a: string, b: string) => {
      const [x, y] = [[...a].map((c) => c.codePointAt(0)!), [...b].map((c) => c.codePointAt(0)!)];
      for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
      return x.length - y.length;
    };
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 4 }), fc.string({ unit: 'grapheme', maxLength: 4 }), (prefix, text) => {
      const end = prefixEnd(prefix);
      const inRange = byCodePoint(text, prefix) >= 0 && (end === null || byCodePoint(text, end) < 0);
      expect(inRange).to.equal(text.startsWith(prefix));
    }), { numRuns: 2000, seed: 15 });
  });
});

// The seeded names are the lists': a list change that broke the plans' data would show here.
describe('account search: the generated tenant', () => {
  it('draws names from the French lists, accents and apostrophes included', () => {
    expect(LAST_NAMES.length).to.be.above(250);
    expect(FIRST_NAMES.length).to.be.above(180);
    expect(LAST_NAMES).to.include('Lefèvre').and.include("N'Diaye");
    expect(new Set(Array.from({ length: 1000 }, (_, i) => namesOf(i).lastName)).size).to.be.above(200);
  });
});
