/**
 * `hub clients add|update|list`: OIDC clients kept in the store, changed through the client
 * service (src/oidc/client-service.ts); oidc-provider sees a change within its client cache
 * delay (30 s). A client the configuration no longer declares is disabled at start (`hub
 * clients list` shows each client's origin and state).
 */
import { Command, Option } from 'commander';
import { ID_TOKEN_ALGS } from '../oidc/config.js';
import { CLI_OPERATOR } from '../identity/actor.js';
import { addClient, updateClient, type ClientSettings } from '../oidc/client-service.js';
import type { OidcClientRecord } from '../storage/ports/index.js';
import { printJsonOr, withStore } from './context.js';

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

/** The option values as client settings (only those given). */
function settingsOf(o: ClientOptions): ClientSettings {
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

async function add(o: AddOptions): Promise<void> {
  const { secret } = await withStore((store, config) =>
    addClient({ store, config }, CLI_OPERATOR, { clientId: o.id, tenantId: o.tenant ?? null, public: Boolean(o.public), settings: settingsOf(o) }));
  process.stdout.write(`client ${o.id} registered${o.tenant ? ` for ${o.tenant}` : ''}\n`);
  if (secret) process.stdout.write(`client_secret: ${secret}\n(shown once: only its hash is stored)\n`);
}

async function update(command: Command, o: UpdateOptions): Promise<void> {
  const settings = settingsOf(o);
  const removeBackchannelLogoutUri = o.backchannelLogoutUri === false;
  const removeServedTenants = o.servedTenant === false;
  if (Object.keys(settings).length === 0 && !removeBackchannelLogoutUri && !removeServedTenants) command.error('error: nothing to update: give at least one option to change');
  const { changed } = await withStore((store, config) =>
    updateClient({ store, config }, CLI_OPERATOR, o.id, { settings, removeBackchannelLogoutUri, removeServedTenants }));
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
