/**
 * The platform's `garExport` section: where runs write, how files are cut, which XSD checks them,
 * and the GAR's SFTP server. A tenant's own part (its project id, GAR schools, identifier key and
 * remote folder) is its `gar` section (src/identity/gar.ts).
 */
import { z } from 'zod';

const seconds = z.number().int().min(1);

export const garSftpSchema = z.strictObject({
  host: z.string().min(1),
  /** Default 22. */
  port: z.number().int().min(1).max(65535).default(22),
  username: z.string().min(1),
  /** The hub's private key (PEM or OpenSSH), relative to `keys.dir`. */
  privateKeyFile: z.string().min(1),
  /** The server's host key(s), OpenSSH known_hosts or `.pub` format, relative to `keys.dir`: any other key is refused. */
  knownHostsFile: z.string().min(1),
  /** Tries after the first failure; default 3. */
  retries: z.number().int().min(0).max(10).default(3),
  /** Between tries; default 30. */
  retryDelaySeconds: seconds.default(30),
  /** Connection and per-operation timeout; default 60. */
  timeoutSeconds: seconds.default(60),
});

export const garExportConfigSchema = z.strictObject({
  /** Where runs write: `<outDir>/<tenant>/<run>/` (files, package, report). Default `data/gar-export`. */
  outDir: z.string().min(1).default('data/gar-export'),
  /** Top-level nodes per XML file; default 10,000, as the GAR's own exporter cuts them. */
  maxNodesPerFile: z.number().int().min(1).max(1_000_000).default(10_000),
  /** The official GAR-ENT XSD to validate with instead of the hub's (`src/gar/xsd/`); absent: the hub's. */
  xsdFile: z.string().min(1).optional(),
  /** The GAR's SFTP server; absent: exports are written and checked, never delivered. */
  sftp: garSftpSchema.optional(),
});

export type GarExportConfig = z.infer<typeof garExportConfigSchema>;
export type GarSftpConfig = z.infer<typeof garSftpSchema>;
