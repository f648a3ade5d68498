import type { Insertable, Kysely } from 'kysely';
import { Conflict, NotFound } from '../../shared/errors.js';
import type { ClientOrigin, NewOidcClient, OidcClientRecord, PlatformStore, TenantClientStore } from '../ports/index.js';
import { guarded, type Guard } from './constraints.js';
import { tenantLabel } from './queries.js';
import { nowTimestamp, toClient, toFlag, toJsonText } from './rows.js';
import type { Database, OidcClientsTable } from './schema.js';

const clientIdTaken = (clientId: string): Conflict =>
  new Conflict('clientId', `client id "${clientId}" is already taken`);

function insertRow(client: NewOidcClient, tenantId: string | null, origin: ClientOrigin): Insertable<OidcClientsTable> {
  return {
    client_id: client.clientId,
    tenant_id: tenantId,
    name: client.name,
    first_party: toFlag(client.firstParty),
    secret_hash: client.secretHash,
    metadata: toJsonText(client.metadata),
    origin,
    disabled_at: null,
    created_at: nowTimestamp(),
  };
}

export function tenantClients(db: Kysely<Database>, tenantId: string): TenantClientStore {
  return {
    // Client ids are global (oidc-provider looks them up without a tenant): the primary key
    // refuses an id used by any tenant or by the platform.
    async create(client: NewOidcClient, origin: ClientOrigin): Promise<OidcClientRecord> {
      const guard: Guard = { conflicts: { client_id: () => clientIdTaken(client.clientId) }, missing: tenantLabel(tenantId) };
      const row = await guarded(guard, () =>
        db.insertInto('oidc_clients').values(insertRow(client, tenantId, origin)).returningAll().executeTakeFirstOrThrow());
      return toClient(row);
    },

    async update(client: NewOidcClient): Promise<OidcClientRecord> {
      const row = await db.updateTable('oidc_clients')
        .set({ name: client.name, first_party: toFlag(client.firstParty), secret_hash: client.secretHash, metadata: toJsonText(client.metadata) })
        .where('client_id', '=', client.clientId)
        .where('tenant_id', '=', tenantId)
        .returningAll()
        .executeTakeFirst();
      if (!row) throw new NotFound(`client "${client.clientId}" of tenant ${tenantId}`);
      return toClient(row);
    },

    async list(): Promise<OidcClientRecord[]> {
      const rows = await db.selectFrom('oidc_clients').selectAll().where('tenant_id', '=', tenantId).orderBy('client_id').execute();
      return rows.map(toClient);
    },
  };
}

export function platformClients(db: Kysely<Database>): PlatformStore['clients'] {
  return {
    // By primary key: one index lookup on every token request. A disabled client is not
    // found, so oidc-provider refuses it at every endpoint (its refresh tokens included).
    async find(clientId: string): Promise<OidcClientRecord | null> {
      const row = await db.selectFrom('oidc_clients').selectAll().where('client_id', '=', clientId).where('disabled_at', 'is', null).executeTakeFirst();
      return row ? toClient(row) : null;
    },

    async get(clientId: string): Promise<OidcClientRecord | null> {
      const row = await db.selectFrom('oidc_clients').selectAll().where('client_id', '=', clientId).executeTakeFirst();
      return row ? toClient(row) : null;
    },

    // Replaces a platform client but never takes over a tenant's client with the same id. A
    // client declared again is enabled again.
    async upsert(client: NewOidcClient, origin: ClientOrigin): Promise<OidcClientRecord> {
      const row = await db.insertInto('oidc_clients')
        .values(insertRow(client, null, origin))
        .onConflict((oc) => oc.column('client_id')
          .doUpdateSet((eb) => ({
            name: eb.ref('excluded.name'),
            first_party: eb.ref('excluded.first_party'),
            secret_hash: eb.ref('excluded.secret_hash'),
            metadata: eb.ref('excluded.metadata'),
            origin: eb.ref('excluded.origin'),
            disabled_at: null,
          }))
          .where('oidc_clients.tenant_id', 'is', null))
        .returningAll()
        .executeTakeFirst();
      if (row === undefined) throw clientIdTaken(client.clientId);
      return toClient(row);
    },

    /** Platform clients only; a tenant's clients are listed through its scope. */
    async list(): Promise<OidcClientRecord[]> {
      const rows = await db.selectFrom('oidc_clients').selectAll().where('tenant_id', 'is', null).orderBy('client_id').execute();
      return rows.map(toClient);
    },

    async disableUndeclared(origin: ClientOrigin, declared: readonly string[]): Promise<OidcClientRecord[]> {
      const rows = await db.updateTable('oidc_clients')
        .set({ disabled_at: nowTimestamp() })
        .where('tenant_id', 'is', null)
        .where('origin', '=', origin)
        .where('disabled_at', 'is', null)
        // `not in ()` is not valid SQL: with nothing declared, every client of that origin goes.
        .$if(declared.length > 0, (q) => q.where('client_id', 'not in', [...declared]))
        .returningAll()
        .execute();
      return rows.map(toClient).sort((a, b) => a.clientId.localeCompare(b.clientId));
    },
  };
}
