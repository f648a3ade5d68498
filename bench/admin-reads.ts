/**
 * `npx tsx bench/admin-reads.ts sqlite|postgres`: the admin console's reads at scale. Seeds, in
 * raw SQL (a minute, not an import), a tenant of BENCH_ADMIN_ACCOUNTS accounts (1,000,000) in
 * 1,000 schools, each account attached to one school and teachers to two, and a log of as many
 * sign-ins over 30 days, a fifth as many failures and 10,000 admin operations; beside it, a
 * tenant a tenth its size. Then times each read (best of 3, after a first run that warms the
 * cache, reported too) and prints the query plans of the audit searches.
 *
 *   DATABASE_URL      the PostgreSQL server (a database is created and dropped)
 *   BENCH_ADMIN_ACCOUNTS
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { AuditFilter } from '../src/storage/ports/index.js';
import { openSqlStore, type SqlStore } from '../src/storage/sql/index.js';
import { createTestDatabase } from '../testing/harness/postgres.js';

const ACCOUNTS = Number(process.env.BENCH_ADMIN_ACCOUNTS ?? 1_000_000);
const SCHOOLS = 1000;
const NOW = new Date('2031-03-10T12:00:00.000Z');
const DAYS = 30;

/** Rows 0…count-1 of `select` (which reads `i`), inserted with one statement per engine. */
async function insertSeries(store: SqlStore, count: number, insert: string, select: { sqlite: string; postgres: string }): Promise<void> {
  if (store.dialect === 'postgres') {
    await sql.raw(`${insert} select ${select.postgres} from generate_series(0::bigint, ${count - 1}) as s(i)`).execute(store.db);
  } else {
    await sql.raw(`with recursive s(i) as (select 0 union all select i + 1 from s where i < ${count - 1}) ${insert} select ${select.sqlite} from s`).execute(store.db);
  }
}

/** `at` of the i-th of `count` events spread over the DAYS days before NOW, oldest first. */
function eventTime(count: number): { sqlite: string; postgres: string } {
  const stepMs = (DAYS * 86_400_000) / count;
  const start = NOW.getTime() - DAYS * 86_400_000;
  return {
    sqlite: `strftime('%Y-%m-%dT%H:%M:%fZ', (${start} + i * ${stepMs}) / 1000.0, 'unixepoch')`,
    postgres: `to_timestamp((${start} + i * ${stepMs}) / 1000.0)`,
  };
}

async function seedTenant(store: SqlStore, tenant: string, accounts: number): Promise<void> {
  const pg = store.dialect === 'postgres';
  const pad = (expr: string, width: number) => (pg ? `lpad((${expr})::text, ${width}, '0')` : `printf('%0${width}d', ${expr})`);
  const both = (text: string) => ({ sqlite: text, postgres: text });
  await store.tenants.upsert({ id: tenant, name: tenant, academyCode: '59' });
  await insertSeries(store, SCHOOLS, 'insert into structures (id, tenant_id, uai, name)', both(
    `'${tenant}-st-' || ${pad('i', 4)}, '${tenant}', '059' || ${pad('i', 4)} || 'A', 'École ' || i`,
  ));
  const created = pg ? `'2031-01-01T00:00:00.000Z'::timestamptz` : `'2031-01-01T00:00:00.000Z'`;
  const profile = `case when i % 100 < 60 then 'Student' when i % 100 < 90 then 'Relative' when i % 100 < 97 then 'Teacher' when i % 100 < 99 then 'Personnel' else 'Guest' end`;
  const status = `case when (i * 7) % 100 < 70 then 'active' when (i * 7) % 100 < 95 then 'pending' when (i * 7) % 100 < 99 then 'disabled' else 'disappeared' end`;
  await insertSeries(store, accounts, 'insert into accounts (id, tenant_id, login, profile, first_name, last_name, display_name, status, source, created_at, updated_at)', both(
    `'${tenant}-acc-' || ${pad('i', 7)}, '${tenant}', '${tenant}.u' || i, ${profile}, 'Jean', 'Dupont', 'Jean Dupont', ${status}, 'bench', ${created}, ${created}`,
  ));
  await insertSeries(store, accounts, 'insert into account_structures (tenant_id, account_id, structure_id)', both(
    `'${tenant}', '${tenant}-acc-' || ${pad('i', 7)}, '${tenant}-st-' || ${pad(`i % ${SCHOOLS}`, 4)}`,
  ));
  // Teachers teach in a second school.
  await sql.raw(`insert into account_structures (tenant_id, account_id, structure_id)
    select tenant_id, id, '${tenant}-st-' || ${pad(`(cast(substr(id, length(id) - 6) as integer) + 1) % ${SCHOOLS}`, 4)}
    from accounts where tenant_id = '${tenant}' and profile = 'Teacher'`).execute(store.db);

  const events = async (count: number, type: string, account: string, details: string) => {
    const at = eventTime(count);
    await insertSeries(store, count, `insert into audit_events (id, tenant_id, at, type, account_id, client_id, ip, details)`, {
      sqlite: `'${tenant}-${type}-' || i, '${tenant}', ${at.sqlite}, '${type}', ${account}, 'neo', '192.0.2.1', ${details}`,
      postgres: `'${tenant}-${type}-' || i, '${tenant}', ${at.postgres}, '${type}', ${account}, 'neo', '192.0.2.1', (${details})::jsonb`,
    });
  };
  await events(accounts, 'login.success', `'${tenant}-acc-' || ${pad(`(i * 7919) % ${accounts}`, 7)}`, `'{"method":"password","acr":"eleve1"}'`);
  await events(accounts / 5, 'login.failure', `'${tenant}-acc-' || ${pad(`(i * 104729) % ${accounts}`, 7)}`, `'{"method":"password","reason":"wrong_password"}'`);
  await events(10_000, 'account.created', `'${tenant}-acc-' || ${pad('i', 7)}`, `'{"by":"admin","admin":"${tenant}-adm-' || (i % 10) || '","adminTenant":"${tenant}"}'`);
}

async function timed<T>(label: string, read: () => Promise<T>, describe: (value: T) => string): Promise<void> {
  const runs: number[] = [];
  let value!: T;
  for (let i = 0; i < 4; i += 1) {
    const start = process.hrtime.bigint();
    value = await read();
    runs.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  const [first, ...warm] = runs;
  console.log(`${label.padEnd(58)} ${Math.min(...warm).toFixed(1).padStart(8)} ms   (first ${first!.toFixed(1)} ms)   ${describe(value)}`);
}

/** The engine's plan of the statement `search` runs for `filter` (written here the way audit-search.ts builds it). */
async function explain(store: SqlStore, label: string, tenantId: string, filter: AuditFilter): Promise<void> {
  const where = [`tenant_id = '${tenantId}'`];
  if (filter.accountId) where.push(`account_id = '${filter.accountId}'`);
  if (filter.types) where.push(`(${filter.types.map((t) => (t.endsWith('.') ? `substr(type, 1, ${t.length}) = '${t}'` : `type = '${t}'`)).join(' or ')})`);
  if (filter.actor) where.push(`coalesce(details->>'admin', details->>'by') = '${filter.actor}'`);
  const prefix = store.dialect === 'postgres' ? 'explain' : 'explain query plan';
  const rows = (await sql.raw(`${prefix} select * from audit_events where ${where.join(' and ')} order by at desc, seq desc limit 51`).execute(store.db)).rows as Record<string, unknown>[];
  console.log(`  plan, ${label}: ${rows.map((r) => String(r['QUERY PLAN'] ?? r['detail']).trim()).join(' | ')}`);
}

/**
 * `--keep`: the database stays (its URL is printed); `--reuse <url>`: reads an existing one,
 * without seeding, for trying an index or a query again without waiting for the seed.
 */
async function run(dialect: 'sqlite' | 'postgres', options: { keep: boolean; reuse?: string }): Promise<void> {
  let url: string;
  let drop: () => Promise<void>;
  if (options.reuse) {
    url = options.reuse;
    drop = async () => undefined;
  } else if (dialect === 'postgres') {
    ({ url, drop } = await createTestDatabase());
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'bench-admin-'));
    url = `sqlite:${join(dir, 'hub.db')}`;
    drop = async () => rmSync(dir, { recursive: true, force: true });
  }
  const store = await openSqlStore(url);
  try {
    if (!options.reuse) {
      const seedStart = Date.now();
      await seedTenant(store, 'big', ACCOUNTS);
      await seedTenant(store, 'small', ACCOUNTS / 10);
      // As autovacuum would have by then: statistics, and PostgreSQL's visibility map (index-only scans).
      await sql.raw(dialect === 'postgres' ? 'vacuum analyze' : 'analyze').execute(store.db);
      console.log(`${dialect}: seeded ${ACCOUNTS} + ${ACCOUNTS / 10} accounts, ${ACCOUNTS * 1.2 + 10_000} + ${ACCOUNTS * 0.12 + 10_000} events in ${((Date.now() - seedStart) / 1000).toFixed(0)} s`);
    }
    if (options.keep) console.log(`kept: ${url}`);

    const big = store.forTenant('big');
    const schools = Array.from({ length: 50 }, (_, i) => `big-st-${String(i * 20).padStart(4, '0')}`);
    const total = (rows: { count: number }[]) => `${rows.length} rows, ${rows.reduce((n, r) => n + r.count, 0)} counted`;
    await timed('stats.accountsByProfileAndStatus (whole tenant)', () => big.stats.accountsByProfileAndStatus({}), total);
    await timed('stats.accountsByProfileAndStatus (1 school)', () => big.stats.accountsByProfileAndStatus({ structureIds: [schools[0]!] }), total);
    await timed('stats.accountsByProfileAndStatus (50 schools)', () => big.stats.accountsByProfileAndStatus({ structureIds: schools }), total);
    await timed('stats.activationByStructure (whole tenant, 1,000 schools)', () => big.stats.activationByStructure({}), (rows) => `${rows.length} schools, ${rows.reduce((n, r) => n + r.accounts, 0)} links`);
    await timed('stats.activationByStructure (50 schools)', () => big.stats.activationByStructure({ structureIds: schools }), (rows) => `${rows.length} schools`);
    await timed('stats.signInsPerDay(30)', () => big.stats.signInsPerDay(30, NOW), (rows) => total(rows));
    await timed('stats.signInsPerDay(7)', () => big.stats.signInsPerDay(7, NOW), (rows) => total(rows));

    const page = (filter: AuditFilter) => () => big.audit.search(filter, { limit: 50 });
    const items = (p: { items: unknown[] }) => `${p.items.length} events`;
    await timed('audit.search first page, no filter', page({}), items);
    await timed('audit.search account', page({ accountId: 'big-acc-0004242' }), items);
    await timed('audit.search type login.failure', page({ types: ['login.failure'] }), items);
    await timed('audit.search prefix login.', page({ types: ['login.'] }), items);
    await timed('audit.search prefix account. (1 % of the log)', page({ types: ['account.'] }), items);
    await timed('audit.search actor (an admin: 1,000 operations)', page({ actor: 'big-adm-3' }), items);
    await timed('audit.search actor cli (none)', page({ actor: 'cli' }), items);
    await timed('audit.search one day, 15 days ago', page({ from: new Date(NOW.getTime() - 15 * 86_400_000), to: new Date(NOW.getTime() - 14 * 86_400_000) }), items);
    let cursor: string | null = null;
    for (let i = 0; i < 200; i += 1) cursor = (await big.audit.search({}, cursor ? { limit: 50, after: cursor } : { limit: 50 })).next;
    await timed('audit.search page 201 (after a cursor)', () => big.audit.search({}, { limit: 50, after: cursor! }), items);
    await timed('audit.stream one day (batches of 1,000)', async () => {
      let n = 0;
      for await (const _ of big.audit.stream({ from: new Date(NOW.getTime() - 86_400_000), to: NOW })) n += 1;
      return n;
    }, (n) => `${n} events`);

    await explain(store, 'no filter', 'big', {});
    await explain(store, 'account', 'big', { accountId: 'big-acc-0004242' });
    await explain(store, 'type', 'big', { types: ['login.failure'] });
    await explain(store, 'actor', 'big', { actor: 'big-adm-3' });
  } finally {
    await store.close();
    if (!options.keep) await drop();
  }
}

const [dialect, ...flags] = process.argv.slice(2);
if (dialect !== 'sqlite' && dialect !== 'postgres') throw new Error('usage: tsx bench/admin-reads.ts sqlite|postgres [--keep] [--reuse <url>]');
const reuse = flags.includes('--reuse') ? flags[flags.indexOf('--reuse') + 1] : undefined;
await run(dialect, { keep: flags.includes('--keep'), ...(reuse ? { reuse } : {}) });
