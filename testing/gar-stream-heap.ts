/**
 * Streams a GAR tenant's records twice in a process of its own (the first pass warms up code
 * and SQLite's page cache) and prints, as one JSON line, what the second pass read and how much
 * the live heap grew meanwhile: a measurement a test process, with everything else it has
 * loaded and freed, cannot make. The heap is measured after a full collection every few thousand
 * records, not as RSS: how much garbage V8 lets pile up before collecting depends on the
 * runtime and the machine's memory (Node 24 on a large machine grew RSS by 37 MB while streaming).
 *
 *   node --expose-gc --import tsx testing/gar-stream-heap.ts <sqlite file> <tenant id>
 */
import { garGroups, garPupils, garStaff } from '../src/gar/records.js';
import type { TenantGar } from '../src/identity/gar.js';
import { openSqlStore } from '../src/storage/sql/index.js';

const [file, tenantId] = process.argv.slice(2) as [string, string];
const gar: TenantGar = { settings: { projectId: 'ENT-HDF', structures: 'all', identifierKey: { env: 'UNUSED' } }, identifierKey: 'a GAR identifier key of at least thirty-two characters' };
const store = await openSqlStore(`sqlite:${file}`);
const source = store.forTenant(tenantId).garExport;

const collect = globalThis.gc!;
const SAMPLE_EVERY = 5_000;
let peak = 0;

function liveHeap(): number {
  collect();
  return process.memoryUsage().heapUsed;
}

async function exportAll(): Promise<{ people: number; groups: number; bytes: number }> {
  let people = 0;
  let groups = 0;
  let bytes = 0;
  for (const stream of [garPupils(source, gar), garStaff(source, gar)]) {
    for await (const record of stream) {
      people += 1;
      bytes += JSON.stringify(record).length;
      if (people % SAMPLE_EVERY === 0) peak = Math.max(peak, liveHeap());
    }
  }
  for await (const record of garGroups(source, gar)) {
    groups += 1;
    bytes += JSON.stringify(record).length;
  }
  return { people, groups, bytes };
}

await exportAll();
const baseline = liveHeap();
peak = baseline;
const counts = await exportAll();
peak = Math.max(peak, liveHeap());
await store.close();
process.stdout.write(`${JSON.stringify({ ...counts, grownMb: (peak - baseline) / 1e6 })}\n`);
