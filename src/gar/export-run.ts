/**
 * One GAR export run for one tenant (`hub gar export`): under the tenant's lock, the records are
 * streamed from the store into the XML files (format/), each file is validated against the XSD,
 * then the files are packed (tar.gz + .md5) and, when asked, delivered to the GAR's SFTP server.
 * A file that does not validate stops the run before packing: the report says which element of
 * which node failed. A failed delivery leaves the package in the run's folder. Every run writes
 * its report (`report.json`) beside its files and is audited (`gar.export`).
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Actor } from '../identity/actor.js';
import type { TenantGar } from '../identity/gar.js';
import { HubError } from '../shared/errors.js';
import { AuditWriter } from '../storage/ports/audit-writer.js';
import type { PlatformStore } from '../storage/ports/index.js';
import type { LockService } from '../storage/ports/locks.js';
import type { GarExportConfig } from './config.js';
import { GarDeliveryFailed } from './delivery/errors.js';
import { packageExport, type ExportPackage } from './delivery/package.js';
import { deliver } from './delivery/sftp.js';
import { garTimestamp } from './format/file-names.js';
import type { GarFileWritten } from './format/kind-files.js';
import { GAR_XSD, validateGarFile, type GarFileProblem } from './format/validate.js';
import { writeGarFiles } from './format/write.js';
import { GAR_FILE_KINDS, type GarFileKind } from './model.js';
import { garAssigners, garGroups, garPupils, garStaff, garStructures } from './records.js';

/** A run holds its tenant's lock at most this long without renewing it (the lease renews while it runs). */
const LOCK_TTL_MS = 5 * 60 * 1000;

export interface GarExportPorts {
  store: PlatformStore;
  locks: LockService;
  config: GarExportConfig;
  /** Where `garExport.sftp`'s key files are read from (`keys.dir`). */
  keysDir: string;
  /** The tenant's GAR section, its key read; null when it has none. */
  garOf(tenantId: string): TenantGar | null;
}

export interface GarExportRequest {
  tenantId: string;
  /** Write and validate only: no package, no delivery. */
  dryRun?: boolean;
  /** Deliver the package to the GAR's SFTP server. */
  deliver?: boolean;
  /** Instead of `garExport.outDir`. */
  outDir?: string;
  /** Called as records are written (people and groups so far). */
  onProgress?: (written: number) => void;
  now?: Date;
}

export type GarDeliveryOutcome =
  | { status: 'delivered'; attempts: number; remoteFiles: string[] }
  | { status: 'failed'; code: string; message: string; attempts: number }
  | { status: 'not_asked' };

export interface GarExportReport {
  tenant: string;
  run: string;
  startedAt: string;
  finishedAt: string;
  /** The run's folder: its files, package and report. */
  dir: string;
  files: GarFileWritten[];
  /** Top-level nodes per kind. */
  counts: Record<GarFileKind, number>;
  bytes: number;
  validation: { ok: true } | { ok: false; file: string; problems: GarFileProblem[] };
  package: ExportPackage | null;
  delivery: GarDeliveryOutcome;
}

/** The run did not end well: the report says why (validation or delivery). */
export const failed = (report: GarExportReport): boolean => !report.validation.ok || report.delivery.status === 'failed';

function refuse(code: string, message: string, status = 400): HubError {
  return new HubError(code, message, { status, expose: true });
}

/** Counts what passes through, for the progress line. */
async function* counted<T>(items: AsyncIterable<T>, tick: () => void): AsyncGenerator<T> {
  for await (const item of items) {
    tick();
    yield item;
  }
}

export async function runGarExport(ports: GarExportPorts, actor: Actor, request: GarExportRequest): Promise<GarExportReport> {
  const gar = ports.garOf(request.tenantId);
  if (!gar) throw refuse('gar_not_enabled', `tenant ${request.tenantId} has no gar section: none of its schools uses the GAR`);
  if (request.deliver && !request.dryRun) deliveryTarget(ports, gar); // refuses a missing configuration before any work
  const lease = await ports.locks.acquire(`gar-export:${request.tenantId}`, LOCK_TTL_MS);
  if (!lease) throw refuse('gar_export_running', `a GAR export of tenant ${request.tenantId} is already running`, 409);
  try {
    const report = await exportUnderLock(ports, gar, request);
    await new AuditWriter(ports.store, actor, request.tenantId).write('gar.export', { details: auditDetails(report, request) });
    await writeFile(join(report.dir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    return report;
  } finally {
    await lease.release();
  }
}

async function exportUnderLock(ports: GarExportPorts, gar: TenantGar, request: GarExportRequest): Promise<GarExportReport> {
  const startedAt = request.now ?? new Date();
  const run = `${garTimestamp(startedAt)}-${randomBytes(3).toString('hex')}`;
  const dir = resolve(request.outDir ?? ports.config.outDir, request.tenantId, run);
  const source = ports.store.forTenant(request.tenantId).garExport;
  let written = 0;
  const tick = () => request.onProgress?.(++written);
  const { files } = await writeGarFiles({
    outDir: join(dir, 'files'), entId: gar.settings.projectId, at: startedAt, maxNodesPerFile: ports.config.maxNodesPerFile,
    structures: garStructures(source, gar),
    pupils: counted(garPupils(source, gar), tick),
    staff: counted(garStaff(source, gar), tick),
    groups: counted(garGroups(source, gar), tick),
    assigners: garAssigners(source, gar),
  });
  const paths = files.map((f) => join(dir, 'files', f.name));
  const validation = await validateAll(paths, ports.config.xsdFile ?? GAR_XSD);
  const counts = Object.fromEntries(GAR_FILE_KINDS.map((kind) => [kind, files.filter((f) => f.kind === kind).reduce((n, f) => n + f.nodes, 0)])) as Record<GarFileKind, number>;
  const base = {
    tenant: request.tenantId, run, startedAt: startedAt.toISOString(), dir, files, counts,
    bytes: files.reduce((n, f) => n + f.bytes, 0), validation,
  };
  if (!validation.ok || request.dryRun) return { ...base, finishedAt: new Date().toISOString(), package: null, delivery: { status: 'not_asked' } };
  const pack = await packageExport({ files: paths, outDir: dir, name: `${gar.settings.projectId}_GAR-ENT_Complet_${garTimestamp(startedAt)}` });
  const delivery = request.deliver ? await deliverPackage(ports, gar, pack) : { status: 'not_asked' as const };
  return { ...base, finishedAt: new Date().toISOString(), package: pack, delivery };
}

/** The files in order; the first one that does not validate stops the check and is named. */
async function validateAll(paths: string[], xsd: string): Promise<GarExportReport['validation']> {
  for (const file of paths) {
    const result = await validateGarFile(file, xsd);
    if (!result.ok) return { ok: false, file, problems: result.problems };
  }
  return { ok: true };
}

function deliveryTarget(ports: GarExportPorts, gar: TenantGar): { sftp: NonNullable<GarExportConfig['sftp']>; remoteDir: string } {
  const { sftp } = ports.config;
  if (!sftp) throw refuse('gar_delivery_not_configured', 'no GAR SFTP server is configured (garExport.sftp): the export can be written, not delivered');
  if (!gar.settings.remoteDir) throw refuse('gar_delivery_not_configured', 'the tenant has no folder on the GAR SFTP server (gar.remoteDir in its file)');
  return { sftp, remoteDir: gar.settings.remoteDir };
}

async function deliverPackage(ports: GarExportPorts, gar: TenantGar, pack: ExportPackage): Promise<GarDeliveryOutcome> {
  const { sftp, remoteDir } = deliveryTarget(ports, gar);
  try {
    const report = await deliver({
      host: sftp.host, port: sftp.port, username: sftp.username, remoteDir,
      privateKey: resolve(ports.keysDir, sftp.privateKeyFile),
      knownHosts: await readFile(resolve(ports.keysDir, sftp.knownHostsFile), 'utf8'),
      files: [pack.archive, pack.md5],
      retries: sftp.retries, retryDelayMs: sftp.retryDelaySeconds * 1000, timeoutMs: sftp.timeoutSeconds * 1000,
    });
    return { status: 'delivered', ...report };
  } catch (err) {
    if (!(err instanceof GarDeliveryFailed)) throw err;
    return { status: 'failed', code: err.code, message: err.message, attempts: err.attempts };
  }
}

function auditDetails(report: GarExportReport, request: GarExportRequest) {
  return {
    run: report.run, dryRun: Boolean(request.dryRun), counts: report.counts, files: report.files.length, bytes: report.bytes,
    valid: report.validation.ok, delivery: report.delivery.status,
    ...(report.delivery.status === 'failed' ? { deliveryError: report.delivery.code } : {}),
  };
}
