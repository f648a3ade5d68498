import { Command, Option } from 'commander';
import { clientRecordFromConfig } from '../oidc/clients.js';
import { Conflict, HubError } from '../shared/errors.js';
import { newSecret, sha256Hex } from '../shared/ids.js';
import { configSchema } from '../config/schema.js';
import { formatIssues } from '../config/load.js';
import { printJsonOr, withStore } from './context.js';

interface AddOptions {
  id: string;
  name: string;
  redirectUri: string[];
  postLogoutRedirectUri?: string[];
  scope?: string[];
  grantType?: string[];
  public?: boolean;
  firstParty?: boolean;
  tenant?: string;
}

/** Reuses the config schema of a client, so the CLI and config files accept the same things. */
function parseClient(o: AddOptions, secretHash: string | undefined) {
  const candidate = {
    clientId: o.id, name: o.name, firstParty: Boolean(o.firstParty), redirectUris: o.redirectUri,
    ...(secretHash ? { secretSha256: secretHash } : {}),
    ...(o.postLogoutRedirectUri ? { postLogoutRedirectUris: o.postLogoutRedirectUri } : {}),
    ...(o.scope ? { scopes: o.scope } : {}),
    ...(o.grantType ? { grantTypes: o.grantType } : {}),
  };
  const parsed = configSchema.shape.clients.safeParse([candidate]);
  if (!parsed.success) throw new HubError('invalid_argument', `invalid client:\n${formatIssues(parsed.error).map((i) => `  - ${i.replace(/^0\./, '')}`).join('\n')}`, { status: 400 });
  return clientRecordFromConfig(parsed.data[0]!);
}

export function registerClientCommands(program: Command): void {
  const clients = program.command('clients').description('OIDC clients (relying parties)');
  clients
    .command('add')
    .description('register a client; a confidential client gets a secret, printed once')
    .requiredOption('--id <clientId>', 'client id')
    .requiredOption('--name <name>', 'name shown to users')
    .requiredOption('--redirect-uri <uri...>', 'exact redirect URIs')
    .option('--post-logout-redirect-uri <uri...>', 'post-logout redirect URIs')
    .option('--scope <scope...>', 'scopes the client may request')
    .addOption(new Option('--grant-type <type...>', 'grant types').choices(['authorization_code', 'refresh_token', 'client_credentials']))
    .option('--public', 'public client (PKCE, no secret)')
    .option('--first-party', 'skip the consent page (platform applications only)')
    .option('--tenant <id>', 'register for a tenant instead of the platform')
    .action(async (o: AddOptions) => {
      if (o.firstParty && o.tenant) throw new HubError('invalid_argument', '--first-party is reserved to platform clients', { status: 400 });
      const secret = o.public ? undefined : newSecret();
      const record = parseClient(o, secret && sha256Hex(secret));
      await withStore(async (store) => {
        if (await store.clients.find(record.clientId)) throw new Conflict('clientId', `client id "${record.clientId}" is already taken`);
        if (o.tenant) {
          if (!(await store.tenants.get(o.tenant))) throw new HubError('invalid_argument', `unknown tenant "${o.tenant}"`, { status: 400 });
          await store.forTenant(o.tenant).clients.create(record);
        } else {
          await store.clients.upsert(record);
        }
      });
      process.stdout.write(`client ${record.clientId} registered\n`);
      if (secret) process.stdout.write(`client_secret: ${secret}\n(shown once: only its hash is stored)\n`);
    });
  clients
    .command('list')
    .description('list platform and tenant clients')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const rows = await withStore(async (store) => {
        const tenants = await store.tenants.list();
        const perTenant = await Promise.all(tenants.map((t) => store.forTenant(t.id).clients.list()));
        return [...(await store.clients.list()), ...perTenant.flat()];
      });
      const view = rows.map((c) => ({ clientId: c.clientId, name: c.name, tenant: c.tenantId, firstParty: c.firstParty, public: c.secretHash === null }));
      printJsonOr(Boolean(o.json), view, () => view.map((c) => `${c.clientId}\t${c.tenant ?? 'platform'}\t${c.public ? 'public' : 'confidential'}${c.firstParty ? '\tfirst-party' : ''}\t${c.name}`).join('\n'));
    });
}
