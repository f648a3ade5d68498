/**
 * The settings of a directory source (a tenant file's `directorySources`), owned by the import:
 * defaults are documented here, beside the schema; src/config composes it into the tenant schema.
 */
import { z } from 'zod';
import { secretRefSchema } from '../shared/secrets.js';

export const directorySourceSchema = z.strictObject({
  /** Source id as the directory writes it in jointures, e.g. `AC-LILLE`. */
  id: z.string().regex(/^[A-Z0-9-]{2,32}$/, 'upper-case letters, digits and -'),
  type: z.literal('ldap'),
  url: z.string().regex(/^ldaps?:\/\//, 'must start with ldap:// or ldaps://'),
  enabled: z.boolean().default(false),
  bindDn: z.string().min(1),
  bindPassword: secretRefSchema,
  tls: z.strictObject({
    /** PEM file of the CA that signed the directory's certificate (ldaps://). */
    caFile: z.string().optional(),
    rejectUnauthorized: z.boolean().default(true),
  }).prefault({}),
  baseDn: z.strictObject({ people: z.string().min(1), structures: z.string().min(1), groups: z.string().min(1) }),
  filters: z.strictObject({
    people: z.string().default('(objectClass=ENTPerson)'),
    structures: z.string().default('(objectClass=ENTStructure)'),
    groups: z.string().default('(|(objectClass=ENTClasse)(objectClass=ENTGroupe))'),
  }).prefault({}),
  pageSize: z.number().int().min(10).max(5000).default(500),
  /** Server-side time limit of one search, in seconds. */
  timeLimitSeconds: z.number().int().positive().default(300),
  connectTimeoutSeconds: z.number().int().positive().default(10),
  /** Times a failed search is restarted on a new connection. */
  maxRetries: z.number().int().min(0).max(10).default(3),
  /** Prefix of external ids (`LILLE-1234567`); default: the source id without `AC-`. */
  externalIdPrefix: z.string().regex(/^[A-Z0-9-]{1,32}$/).optional(),
  /** Domains of académie e-mail addresses (the matching key of staff IdPs). */
  academicDomains: z.array(z.string().min(3)).default([]),
  /** People written per transaction (bigger batches rewrite fewer index pages), and accounts read per query at the end of a full run. */
  batchSize: z.number().int().min(10).max(10000).default(2000),
  /**
   * Accounts whose parent–child links are resolved per transaction at the end of a run (a
   * temporary table holds them meanwhile). Default: the store's, 50,000 on SQLite (whose
   * temporary table is in the import's memory) and 250,000 on PostgreSQL (which reads all the
   * accounts once per transaction, so fewer, larger transactions link faster: README, Benchmark).
   */
  linkBatchSize: z.number().int().min(10).max(1_000_000).optional(),
  /**
   * Largest clock difference assumed between the hub and the directory. A delta run re-reads
   * the last second it saw unless that second ended this long before the previous run began.
   */
  clockSkewSeconds: z.number().int().min(0).default(5),
  /** A full run marks at most this share of the source's accounts disappeared, unless told otherwise. */
  maxDisappearedShare: z.number().min(0).max(1).default(0.05),
  /**
   * Share of the people read that may be quarantined before a run ends "completed with errors"
   * (its own exit code). Default 10 %. Above 90 %, or when every person is quarantined, the run
   * fails: it stops before writing more, marks nothing disappeared and keeps no delta mark.
   */
  maxQuarantinedShare: z.number().min(0).max(0.9).default(0.1),
  /**
   * Lease of the import lock, in seconds: a run renews it while it lives; the lock of a run that
   * died (killed, machine lost) frees itself this long after, and a run started meanwhile is
   * refused as "already running" (exit 3).
   */
  lockLeaseSeconds: z.number().int().min(3).max(3600).default(60),
  /** Days between disappearance and deletion by `hub import purge`. */
  disappearedGraceDays: z.number().int().min(0).default(90),
  /** Adjustments of the SDET mapping (src/provisioning/sdet/mapping.ts) for this annuaire. */
  mapping: z.strictObject({
    /**
     * Per object class (or `*` for every entry): SDET attribute → the attribute(s) this
     * annuaire uses instead, e.g. `{ ENTEleve: { mail: [ENTPersonMailDiffusion] } }`.
     */
    overrides: z.record(z.string(), z.record(z.string(), z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]))).default({}),
    /** Attribute of class and group entries holding their structure's DN (default `seeAlso`). */
    groupStructureAttribute: z.string().min(1).optional(),
    /** Longest attribute value accepted (default 256); a longer one quarantines its entry. */
    maxValueLength: z.number().int().min(16).max(65536).optional(),
    /**
     * Quarantine a structure whose UAI has a wrong check letter (and with it, every person
     * attached to it). Default false: the structure is imported and the run reports a warning.
     */
    strictUai: z.boolean().default(false),
  }).prefault({}),
});

export type DirectorySourceConfig = z.infer<typeof directorySourceSchema>;
