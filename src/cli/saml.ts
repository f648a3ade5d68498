/**
 * `hub saml sp add|list|show|remove|refresh`: the SAML service providers of the hub's IdP (the
 * GAR and other partner resources), registered from their metadata (a file or a URL), for the
 * platform (no --tenant) or a tenant, or from the configured aggregates (`refresh`). The
 * metadata is checked before anything is written; listings show the endpoints and
 * certificates' count, never the document.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { PROJECT_ROOT } from '../config/load.js';
import { CLI_OPERATOR } from '../identity/actor.js';
import { aggregateSources, refreshServiceProviders, type SourceReport } from '../saml/idp/sp-refresh.js';
import { addServiceProvider, DEFAULT_RELEASE_POLICY, listServiceProviders, removeServiceProvider, showServiceProvider, type SpOrigin } from '../saml/idp/sp-service.js';
import { SP_SIGNATURES, type ServiceProvider, type SpSignatures } from '../storage/ports/index.js';
import { EXIT, printJsonOr, withStore } from './context.js';

interface AddOptions {
  file?: string;
  url?: string;
  tenant?: string;
  policy: string;
  name?: string;
  signatures: string;
  /** false: --no-encrypt. */
  encrypt: boolean;
}

const ownerName = (tenantId: string | null): string => tenantId ?? 'platform';

/** Exactly one of --file and --url. */
function originOf(command: Command, o: AddOptions): SpOrigin {
  if (o.file !== undefined && o.url !== undefined) command.error('error: --file and --url exclude each other');
  if (o.file !== undefined) return { file: o.file };
  if (o.url !== undefined) return { url: o.url };
  return command.error('error: one of --file <file> or --url <url> is required');
}

function signaturesOf(command: Command, value: string): SpSignatures {
  if (!(SP_SIGNATURES as readonly string[]).includes(value)) command.error(`error: --signatures must be one of ${SP_SIGNATURES.join(', ')}`);
  return value as SpSignatures;
}

const sendingOf = (sp: ServiceProvider): string =>
  `signs ${sp.signatures === 'both' ? 'the Response and the assertion' : `the ${sp.signatures === 'assertion' ? 'assertion' : 'Response'} only`}, ${sp.encryptAssertions ? 'encrypts assertions when the SP has a key' : 'never encrypts'}`;

/** What `list` and `show` print of an SP: everything but the metadata document. */
function view(sp: ServiceProvider) {
  return {
    entityId: sp.entityId,
    tenant: sp.tenantId,
    displayName: sp.displayName,
    enabled: sp.enabled,
    releasePolicy: sp.releasePolicy,
    signatures: sp.signatures,
    encryptAssertions: sp.encryptAssertions,
    source: sp.source,
    validUntil: sp.validUntil?.toISOString() ?? null,
    fetchedAt: sp.fetchedAt.toISOString(),
    ...sp.metadata,
    createdAt: sp.createdAt.toISOString(),
    updatedAt: sp.updatedAt.toISOString(),
  };
}

async function add(command: Command, o: AddOptions): Promise<void> {
  const from = originOf(command, o);
  const sp = await withStore((store, config) => addServiceProvider(
    { store, production: config.mode === 'production' },
    CLI_OPERATOR,
    {
      owner: o.tenant ?? null, from, releasePolicy: o.policy, signatures: signaturesOf(command, o.signatures), encryptAssertions: o.encrypt,
      ...(o.name !== undefined ? { displayName: o.name } : {}),
    },
  ));
  process.stdout.write(`service provider ${sp.entityId} (${sp.displayName}) added to ${ownerName(sp.tenantId)}, release policy ${sp.releasePolicy}, ${sendingOf(sp)}\n`);
}

async function list(o: { tenant?: string; json?: boolean }): Promise<void> {
  const sps = await withStore((store) => listServiceProviders(store, CLI_OPERATOR, o.tenant));
  printJsonOr(Boolean(o.json), sps.map(view), () => sps.map((sp) => [
    sp.entityId, ownerName(sp.tenantId), sp.enabled ? 'enabled' : 'disabled', sp.releasePolicy, sp.source.kind,
    sp.validUntil ? `valid until ${sp.validUntil.toISOString()}` : 'no validUntil', sp.displayName,
  ].join('\t')).join('\n') || '(no service provider)');
}

function describe(sp: ServiceProvider): string {
  const endpoints = (list: { binding: string; location: string }[]) => list.map((e) => `\n  ${e.location} (${e.binding.replace(/^.*:/, '')})`).join('');
  return [
    `entityID: ${sp.entityId}`,
    `owner: ${ownerName(sp.tenantId)}`,
    `name: ${sp.displayName}`,
    `state: ${sp.enabled ? 'enabled' : 'disabled'}`,
    `release policy: ${sp.releasePolicy}`,
    `sending: ${sendingOf(sp)}`,
    `metadata: ${sp.source.kind} ${sp.source.location}, read ${sp.fetchedAt.toISOString()}${sp.validUntil ? `, valid until ${sp.validUntil.toISOString()}` : ''}`,
    `assertion consumer services:${endpoints(sp.metadata.assertionConsumerServices)}`,
    `single logout services:${endpoints(sp.metadata.singleLogoutServices) || ' none'}`,
    `certificates: ${sp.metadata.signingCertificates.length} signing, ${sp.metadata.encryptionCertificates.length} encryption`,
    `signed AuthnRequests: ${sp.metadata.authnRequestsSigned ? 'yes' : 'no'}; wants signed assertions: ${sp.metadata.wantAssertionsSigned ? 'yes' : 'no'}`,
    `NameID formats: ${sp.metadata.nameIdFormats.join(', ') || 'any'}`,
  ].join('\n');
}

async function show(o: { entityId: string; json?: boolean }): Promise<void> {
  const sp = await withStore((store) => showServiceProvider(store, CLI_OPERATOR, o.entityId));
  printJsonOr(Boolean(o.json), view(sp), () => describe(sp));
}

async function remove(o: { entityId: string }): Promise<void> {
  const sp = await withStore((store) => removeServiceProvider({ store }, CLI_OPERATOR, o.entityId));
  process.stdout.write(`service provider ${sp.entityId} removed from ${ownerName(sp.tenantId)}\n`);
}

/** One line per source, then one indented line per skipped entity. */
function reportLines(r: SourceReport): string {
  const head = r.failed !== null
    ? `${r.source}: failed: ${r.failed}`
    : `${r.source}: ${r.added.length} added, ${r.updated.length} updated, ${r.removed.length} removed, ${r.skipped.length} skipped${r.fromCache ? ' (last good copy on disk)' : ''}`;
  return [head, ...r.skipped.map((s) => `  skipped ${s.entityId}: ${s.why}`)].join('\n');
}

async function refresh(o: { json?: boolean }): Promise<void> {
  const reports = await withStore((store, config) => refreshServiceProviders({
    store,
    production: config.mode === 'production',
    aggregates: aggregateSources(config.samlIdp.aggregates, { keysDir: config.keys.dir, dataDir: join(PROJECT_ROOT, 'data') }),
  }, CLI_OPERATOR));
  printJsonOr(Boolean(o.json), reports, () => reports.map(reportLines).join('\n') || '(no SP from a URL, no aggregate)');
  if (reports.some((r) => r.failed !== null)) process.exitCode = EXIT.failure;
}

export function registerSamlCommands(program: Command): void {
  const sp = program.command('saml').description('the SAML identity provider of partner resources (the GAR…)')
    .command('sp').description('the SAML service providers the hub serves, registered from their metadata');
  sp.command('add')
    .description('check an SP\'s metadata (a file or a URL) and register it')
    .option('--file <file>', 'the metadata file')
    .option('--url <url>', 'the metadata URL (https in production; 10 s, 256 KiB at most)')
    .option('--tenant <id>', 'the tenant owning it (default: the platform)')
    .option('--policy <name>', 'its attribute release policy', DEFAULT_RELEASE_POLICY)
    .option('--name <name>', 'its display name (default: the one of its metadata, else its entityID)')
    .option('--signatures <what>', `what its Responses carry signed: ${SP_SIGNATURES.join(', ')}`, 'both')
    .option('--no-encrypt', 'never encrypt its assertions (default: encrypted when its metadata has an encryption key)')
    .action(async function (this: Command, o: AddOptions) {
      await add(this, o);
    });
  sp.command('list')
    .description('list the registered SPs (the platform\'s and every tenant\'s)')
    .option('--tenant <id>', 'only this tenant\'s')
    .option('--json', 'print JSON')
    .action(list);
  sp.command('show')
    .description('show an SP: endpoints, certificates, policy (never the metadata document)')
    .requiredOption('--entity-id <entityID>', 'its entityID')
    .option('--json', 'print JSON')
    .action(show);
  sp.command('remove')
    .description('remove an SP, whoever owns it')
    .requiredOption('--entity-id <entityID>', 'its entityID')
    .action(remove);
  sp.command('refresh')
    .description('fetch again every SP metadata URL and every aggregate of samlIdp.aggregates, and update the SPs (exit 1 if a source failed: its SPs are left as they were)')
    .option('--json', 'print JSON')
    .action(refresh);
}
