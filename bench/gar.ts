/**
 * `npm run bench:gar`: the GAR annuaire export (src/gar/export-run.ts) of a generated tenant
 * (testing/gar-tenant.ts: 85 % pupils, 10 % teachers, 5 % staff, 50 schools of 30 groups) in a
 * SQLite store, next to a raw read of the same rows from the same store in the same run.
 *
 * Each scenario runs in a child process of its own (this file, `--child <spec>`), so that its
 * peak RSS (process.resourceUsage().maxRSS) is its own:
 *   raw     the store's GAR source read to the end: every person of the GAR schools with their
 *           memberships and groups (`garExport.people`), every group (`garExport.groups`),
 *           counted, nothing mapped or written;
 *   export  runGarExport as `hub gar export --dry-run` runs it: records mapped, the XML files
 *           written (10,000 nodes per file) and every file validated against the XSD; no
 *           package, no delivery (`--package` adds the tar.gz + .md5).
 * Rates are records per second (people + groups), wall clock; the ratio is export / raw.
 *
 *   BENCH_GAR_SIZES   people per tenant, comma-separated (100000,1000000)
 *   --package         the export scenario also packs (tar.gz + .md5)
 *   --json            machine-readable results on stdout
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { garExportConfigSchema } from '../src/gar/config.js';
import { runGarExport } from '../src/gar/export-run.js';
import { CLI_OPERATOR } from '../src/identity/actor.js';
import type { TenantGar } from '../src/identity/gar.js';
import { FileLockService } from '../src/storage/file/lock.js';
import { openSqlStore } from '../src/storage/sql/index.js';
import { seedGarTenant } from '../testing/gar-tenant.js';

const TENANT = 'bench';
const SCHOOLS = 50;
const GAR: TenantGar = { settings: { projectId: 'ENT-BENCH', structures: 'all', identifierKey: { env: 'UNUSED' } }, identifierKey: 'a bench GAR identifier key, thirty-two characters or more' };

interface ChildSpec { kind: 'raw' | 'export'; database: string; outDir: string; pack: boolean }
interface ChildResult { kind: ChildSpec['kind']; records: number; seconds: number; peakRssMiB: number; bytes?: number; files?: number }

async function child(spec: ChildSpec): Promise<ChildResult> {
  const store = await openSqlStore(`sqlite:${spec.database}`);
  const started = performance.now();
  let records = 0;
  let extra: Partial<ChildResult> = {};
  try {
    if (spec.kind === 'raw') {
      const source = store.forTenant(TENANT).garExport;
      const ids = (await source.structures('all')).map((s) => s.id);
      for await (const _ of source.people(ids)) records += 1;
      for await (const _ of source.groups(ids)) records += 1;
    } else {
      const report = await runGarExport({
        store, locks: new FileLockService(join(spec.outDir, 'locks')), config: garExportConfigSchema.parse({ outDir: spec.outDir }), keysDir: spec.outDir, garOf: () => GAR,
      }, CLI_OPERATOR, { tenantId: TENANT, dryRun: !spec.pack });
      if (!report.validation.ok) throw new Error(`the export did not validate: ${JSON.stringify(report.validation.problems[0])}`);
      records = report.counts.Eleve + report.counts.Enseignant + (await countGroups(store));
      extra = { bytes: report.bytes, files: report.files.length };
    }
  } finally {
    await store.close();
  }
  return { kind: spec.kind, records, seconds: (performance.now() - started) / 1000, peakRssMiB: process.resourceUsage().maxRSS / 1024, ...extra };
}

/** Groups are records of the export too (the raw read counts them). */
async function countGroups(store: Awaited<ReturnType<typeof openSqlStore>>): Promise<number> {
  const row = await store.db.selectFrom('groups').select((eb) => eb.fn.countAll<number>().as('n')).where('tenant_id', '=', TENANT).executeTakeFirstOrThrow();
  return Number(row.n);
}

function runChild(spec: ChildSpec): ChildResult {
  const out = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', JSON.stringify(spec)], { encoding: 'utf8', maxBuffer: 1 << 20, stdio: ['ignore', 'pipe', 'inherit'] });
  if (out.status !== 0) throw new Error(`the ${spec.kind} scenario failed (exit ${out.status})`);
  return JSON.parse(out.stdout.trim().split('\n').pop()!) as ChildResult;
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const pack = process.argv.includes('--package');
  const sizes = (process.env.BENCH_GAR_SIZES ?? '100000,1000000').split(',').map(Number);
  const rows: Array<{ people: number; seedSeconds: number; raw: ChildResult; export: ChildResult }> = [];
  for (const people of sizes) {
    const dir = mkdtempSync(join(tmpdir(), 'bench-gar-'));
    try {
      const database = join(dir, 'hub.db');
      const seedStart = performance.now();
      const store = await openSqlStore(`sqlite:${database}`);
      await store.tenants.upsert({ id: TENANT, name: 'Bench', academyCode: '00' });
      await seedGarTenant(store, TENANT, { people, schools: SCHOOLS });
      await store.close();
      const seedSeconds = (performance.now() - seedStart) / 1000;
      process.stderr.write(`${people.toLocaleString('en-US')} people seeded in ${seedSeconds.toFixed(1)} s\n`);
      const raw = runChild({ kind: 'raw', database, outDir: join(dir, 'out'), pack });
      const exported = runChild({ kind: 'export', database, outDir: join(dir, 'out'), pack });
      rows.push({ people, seedSeconds, raw, export: exported });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  const n = (v: number) => Math.round(v).toLocaleString('en-US');
  process.stdout.write(`GAR export (SQLite, ${SCHOOLS} schools, ${pack ? 'files validated and packed' : 'files validated, not packed'})\n\n`);
  process.stdout.write('| people | raw read records/s | export records/s | export / raw | export peak RSS | raw peak RSS | files | MiB written |\n|---|---|---|---|---|---|---|---|\n');
  for (const r of rows) {
    const rate = (c: ChildResult) => c.records / c.seconds;
    process.stdout.write(`| ${n(r.people)} | ${n(rate(r.raw))} | ${n(rate(r.export))} | **${(rate(r.export) / rate(r.raw)).toFixed(2)} ×** | ${n(r.export.peakRssMiB)} MiB | ${n(r.raw.peakRssMiB)} MiB | ${r.export.files} | ${n((r.export.bytes ?? 0) / 1048576)} |\n`);
  }
  if (rows.length > 1) {
    const [first, last] = [rows[0]!, rows[rows.length - 1]!];
    process.stdout.write(`\nexport peak RSS, ${n(last.people)} vs ${n(first.people)} people: ${(last.export.peakRssMiB / first.export.peakRssMiB).toFixed(2)} × (goal ≤ 1.2)\n`);
  }
}

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) {
  child(JSON.parse(process.argv[childAt + 1]!) as ChildSpec).then((result) => process.stdout.write(`${JSON.stringify(result)}\n`), (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
} else {
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(2);
  });
}
