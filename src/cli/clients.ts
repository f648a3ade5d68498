/**
 * `hub clients add|update|list`: OIDC clients kept in the store. A client is validated with the
 * config files' own schema (src/config/schema.ts, `clients`), plus the scopes the hub knows,
 * before anything is written; oidc-provider sees a change within its client cache delay (30 s).
 * Clients declared in the configuration are mirrored from it at every start: they are edited
 * there, not here, and one it no longer declares is disabled (`hub clients list` shows each
 * client's origin and state).
 */
import { Command, Option } from 'commander';
import { clientConfigFromRecord, clientRecordFromConfig } from '../oidc/clients.js';
import { Conflict, HubError, NotFound } from '../shared/errors.js';
import { newSecret, sha256Hex } from '../shared/ids.js';
import { configSchema, type HubConfig } from '../config/schema.js';
import { BASE_SCOPES, ID_TOKEN_ALGS } from '../oidc/config.js';
import { formatIssues } from '../shared/zod-issues.js';
import type { NewOidcClient, OidcClientRecord, PlatformStore } from '../storage/ports/index.js';
import { printJsonOr, withStore } from './context.js';

/** The client the development hub registers for its /demo page, rewritten at every start. */
const DEMO_CLIENT_ID = 'demo';

/** Options shared by add and update; on update, an absent option leaves the field as it is. */
interface ClientOptions {
  name?: string;
  redirectUri?: string[];
  /** `false`: --no-post-logout-redirect-uri (update: remove them all). */
  postLogoutRedirectUri?: string[] | false;
  /** `false`: --no-backchannel-logout-uri (update: remove it). */
  backchannelLogoutUri?: string | false;
  idTokenAlg?: string;
  scope?: string[];
  grantType?: string[];
  firstParty?: boolean;
  /** `false`: --no-served-tenant (update: back to the default, see servedTenants in the schema). */
  servedTenant?: string[] | false;
  /** `false`: --no-web-origin (update: remove them all). */
  webOrigin?: string[] | false;
}

interface AddOptions extends ClientOptions {
  id: string;
  name: string;
  redirectUri: string[];
  public?: boolean;
  tenant?: string;
}

interface UpdateOptions extends ClientOptions {
  id: string;
}

const invalid = (message: string) => new HubError('invalid_argument', message, { status: 400 });

/** The option values as config-file fields (only those given). */
function fieldsOf(o: ClientOptions): Record<string, unknown> {
  return {
    ...(o.name !== undefined ? { name: o.name } : {}),
    ...(o.redirectUri !== undefined ? { redirectUris: o.redirectUri } : {}),
    ...(o.postLogoutRedirectUri !== undefined ? { postLogoutRedirectUris: o.postLogoutRedirectUri || [] } : {}),
    ...(typeof o.backchannelLogoutUri === 'string' ? { backchannelLogoutUri: o.backchannelLogoutUri } : {}),
    ...(o.idTokenAlg !== undefined ? { idTokenSignedResponseAlg: o.idTokenAlg } : {}),
    ...(o.scope !== undefined ? { scopes: o.scope } : {}),
    ...(o.grantType !== undefined ? { grantTypes: o.grantType } : {}),
    ...(o.firstParty !== undefined ? { firstParty: o.firstParty } : {}),
    ...(Array.isArray(o.servedTenant) ? { servedTenants: o.servedTenant } : {}),
    ...(o.webOrigin !== undefined ? { webOrigins: o.webOrigin || [] } : {}),
  };
}

/** Served tenants must exist: a typo would shut every account out of the client. */
async function checkServedTenants(store: PlatformStore, o: ClientOptions): Promise<void> {
  for (const tenant of Array.isArray(o.servedTenant) ? o.servedTenant : []) {
    if (!(await store.tenants.get(tenant))) throw invalid(`unknown tenant "${tenant}" in --served-tenant (see hub tenants list)`);
  }
}

/** Validates a client as a config file entry would be, including the scopes the hub knows. */
function parseClient(candidate: Record<string, unknown>, config: HubConfig): NewOidcClient {
  const parsed = configSchema.shape.clients.safeParse([candidate]);
  const issues = parsed.success ? [] : formatIssues(parsed.error).map((i) => i.replace(/^0\./, ''));
  if (parsed.success) {
    const known = new Set([...BASE_SCOPES, ...config.oidc.resources.flatMap((r) => r.scopes)]);
    const unknown = parsed.data[0]!.scopes.filter((s) => !known.has(s));
    if (unknown.length) issues.push(`scopes: unknown scope(s) ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
  }
  if (issues.length > 0 || !parsed.success) throw invalid(`invalid client:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
  return clientRecordFromConfig(parsed.data[0]!);
}

const auditOf = (store: PlatformStore, tenantId: string | null) => (tenantId === null ? store.audit : store.forTenant(tenantId).audit);

/** The metadata fields an operator sets, for the audit log (never the secret hash). */
function changedFields(before: OidcClientRecord, after: NewOidcClient): string[] {
  const changed = Object.keys({ ...before.metadata, ...after.metadata }).filter((k) => JSON.stringify(before.metadata[k]) !== JSON.stringify(after.metadata[k]));
  if (before.name !== after.name) changed.push('name');
  if (before.firstParty !== after.firstParty) changed.push('first_party');
  return changed.sort();
}

/** Only the configuration (or development mode) brings back a client it disabled. */
function disabledReason(c: OidcClientRecord): string {
  return c.origin === 'development'
    ? `client "${c.clientId}" is disabled: it is the demo client of development mode`
    : `client "${c.clientId}" is disabled: the hub configuration no longer declares it (clients); declare it there again to use it`;
}

async function add(o: AddOptions): Promise<void> {
  if (o.firstParty && o.tenant) throw invalid('--first-party is reserved to platform clients');
  const secret = o.public ? undefined : newSecret();
  await withStore(async (store, config) => {
    const record = parseClient({ clientId: o.id, ...fieldsOf(o), ...(secret ? { secretSha256: sha256Hex(secret) } : {}) }, config);
    await checkServedTenants(store, o);
    // A disabled client keeps its id: its audit trail must not be mistaken for a new client's.
    if (await store.clients.get(record.clientId)) throw new Conflict('clientId', `client id "${record.clientId}" is already taken`);
    if (o.tenant) {
      if (!(await store.tenants.get(o.tenant))) throw invalid(`unknown tenant "${o.tenant}" (see hub tenants list)`);
      await store.forTenant(o.tenant).clients.create(record, 'cli');
    } else {
      await store.clients.upsert(record, 'cli');
    }
    await auditOf(store, o.tenant ?? null).record({ type: 'client.created', clientId: record.clientId, details: { by: 'cli', public: !secret } });
  });
  process.stdout.write(`client ${o.id} registered${o.tenant ? ` for ${o.tenant}` : ''}\n`);
  if (secret) process.stdout.write(`client_secret: ${secret}\n(shown once: only its hash is stored)\n`);
}

async function update(command: Command, o: UpdateOptions): Promise<void> {
  const fields = fieldsOf(o);
  const removesBackchannel = o.backchannelLogoutUri === false;
  const removesServedTenants = o.servedTenant === false;
  if (Object.keys(fields).length === 0 && !removesBackchannel && !removesServedTenants) command.error('error: nothing to update: give at least one option to change');
  const changed = await withStore(async (store, config) => {
    if (config.clients.some((c) => c.clientId === o.id)) throw invalid(`client "${o.id}" is declared in the hub configuration (clients): edit that file, the hub mirrors it at start`);
    if (o.id === DEMO_CLIENT_ID && config.mode === 'development') throw invalid(`client "${o.id}" is the demo's, rewritten by the hub at every start in development`);
    const current = await store.clients.get(o.id);
    if (!current) throw new NotFound(`client "${o.id}" (see hub clients list)`);
    if (current.disabledAt) throw invalid(disabledReason(current));
    if (current.tenantId !== null && o.firstParty) throw invalid('--first-party is reserved to platform clients');
    const base = clientConfigFromRecord(current);
    if (removesBackchannel) delete base.backchannelLogoutUri;
    if (removesServedTenants) delete base.servedTenants;
    await checkServedTenants(store, o);
    const record = parseClient({ ...base, ...fields }, config);
    const diff = changedFields(current, record);
    if (diff.length === 0) return diff;
    if (current.tenantId === null) await store.clients.upsert(record, current.origin);
    else await store.forTenant(current.tenantId).clients.update(record);
    await auditOf(store, current.tenantId).record({ type: 'client.updated', clientId: record.clientId, details: { by: 'cli', changed: diff } });
    return diff;
  });
  process.stdout.write(changed.length ? `client ${o.id} updated (${changed.join(', ')}); the hub uses it within 30 s\n` : `client ${o.id} unchanged\n`);
}

/** The options add and update share; on update each one is optional and replaces the field. */
function clientOptions(command: Command, update: boolean): Command {
  if (update) command.option('--name <name>', 'name shown to users').option('--redirect-uri <uri...>', 'exact redirect URIs (replace the current ones)');
  command
    .option('--post-logout-redirect-uri <uri...>', `post-logout redirect URIs${update ? ' (replace the current ones)' : ''}`)
    .option('--backchannel-logout-uri <uri>', 'back-channel logout URI (the hub POSTs a logout token there)')
    .addOption(new Option('--id-token-alg <alg>', `ID token signing algorithm${update ? '' : ' (default RS256)'}`).choices([...ID_TOKEN_ALGS]))
    .option('--scope <scope...>', `scopes the client may request${update ? ' (replace the current ones)' : ' (default: openid profile email ent)'}`)
    .addOption(new Option('--grant-type <type...>', `grant types${update ? ' (replace the current ones)' : ' (default: authorization_code refresh_token)'}`).choices(['authorization_code', 'refresh_token', 'client_credentials']))
    .option('--first-party', 'skip the consent page (platform applications only)')
    .option('--served-tenant <id...>', `tenants whose accounts the client serves${update ? ' (replace the current ones)' : ' (default: every tenant for a platform client, its own for a tenant client)'}`)
    .option('--web-origin <origin...>', `origins a public browser client calls the hub from (CORS)${update ? ' (replace the current ones)' : ''}`);
  if (update) {
    command
      .option('--no-post-logout-redirect-uri', 'remove every post-logout redirect URI')
      .option('--no-backchannel-logout-uri', 'remove the back-channel logout URI')
      .option('--no-first-party', 'show the consent page again')
      .option('--no-served-tenant', 'back to the default tenants (every one for a platform client, its own for a tenant client)')
      .option('--no-web-origin', 'remove every web origin');
  }
  return command;
}

/** What `hub clients list` shows of a client (never its secret hash). */
function listed(c: OidcClientRecord) {
  return {
    clientId: c.clientId,
    name: c.name,
    tenant: c.tenantId,
    origin: c.origin,
    state: c.disabledAt ? 'disabled' : 'enabled',
    disabledAt: c.disabledAt?.toISOString() ?? null,
    firstParty: c.firstParty,
    public: c.secretHash === null,
  };
}

/** id, owner, origin, state, type[, first-party], name: tab-separated. */
function listLine(c: ReturnType<typeof listed>): string {
  return [c.clientId, c.tenant ?? 'platform', c.origin, c.state, c.public ? 'public' : 'confidential', ...(c.firstParty ? ['first-party'] : []), c.name].join('\t');
}

const EXIT_CODES = `
Exit codes: 0 done; 1 refused or failed (one "hub: …" line on stderr: invalid client, unknown
client or tenant, id taken, client declared in the configuration, disabled client); 2 usage
error.`;

export function registerClientCommands(program: Command): void {
  const clients = program.command('clients').description('OIDC clients (relying parties)');
  const addCommand = clients
    .command('add')
    .description('register a client; a confidential client gets a secret, printed once')
    .requiredOption('--id <clientId>', 'client id (lower-case letters, digits, . _ -)')
    .requiredOption('--name <name>', 'name shown to users')
    .requiredOption('--redirect-uri <uri...>', 'exact redirect URIs');
  clientOptions(addCommand, false)
    .option('--public', 'public client (PKCE, no secret)')
    .option('--tenant <id>', 'register for a tenant instead of the platform')
    .addHelpText('after', EXIT_CODES)
    .action(add);
  const updateCommand = clients
    .command('update')
    .description('change some settings of a client (the others are kept); validated like add')
    .requiredOption('--id <clientId>', 'client id');
  clientOptions(updateCommand, true)
    .addHelpText('after', `${EXIT_CODES}\nA client's tenant, secret and type (public or confidential) are kept.`)
    .action(async function (this: Command, o: UpdateOptions) {
      await update(this, o);
    });
  clients
    .command('list')
    .description('list platform and tenant clients, with where each comes from (config, cli, development) and its state')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const rows = await withStore(async (store) => {
        const tenants = await store.tenants.list();
        const perTenant = await Promise.all(tenants.map((t) => store.forTenant(t.id).clients.list()));
        return [...(await store.clients.list()), ...perTenant.flat()];
      });
      const view = rows.map(listed);
      printJsonOr(Boolean(o.json), view, () => view.map(listLine).join('\n'));
    });
}
