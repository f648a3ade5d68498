import type { Kysely } from 'kysely';
import { Conflict, NotFound } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import type { FederatedIdentity, IdentityStore } from '../ports/index.js';
import { guarded } from './constraints.js';
import { assertOwned, label } from './queries.js';
import { nowTimestamp, toIdentity } from './rows.js';
import type { Database } from './schema.js';

export function tenantIdentities(db: Kysely<Database>, tenantId: string): IdentityStore {
  const scoped = () => db.selectFrom('federated_identities').selectAll().where('tenant_id', '=', tenantId);

  return {
    async link(accountId: string, connectorId: string, subject: string): Promise<FederatedIdentity> {
      await assertOwned(db, 'accounts', tenantId, accountId);
      const guard = {
        conflicts: {
          'tenant_id,connector_id,subject': () =>
            new Conflict('subject', `subject "${subject}" of connector "${connectorId}" is already linked to an account`),
        },
        missing: label('accounts', accountId),
      };
      const row = await guarded(guard, () => db.insertInto('federated_identities')
        .values({
          id: newId(), tenant_id: tenantId, account_id: accountId, connector_id: connectorId, subject,
          created_at: nowTimestamp(),
        })
        .returningAll()
        .executeTakeFirstOrThrow());
      return toIdentity(row);
    },

    async find(connectorId: string, subject: string): Promise<FederatedIdentity | null> {
      const row = await scoped().where('connector_id', '=', connectorId).where('subject', '=', subject).executeTakeFirst();
      return row ? toIdentity(row) : null;
    },

    async listForAccount(accountId: string): Promise<FederatedIdentity[]> {
      const rows = await scoped().where('account_id', '=', accountId).orderBy('created_at').orderBy('id').execute();
      return rows.map(toIdentity);
    },

    // Unlike link tables, an identity is an entity with an id: unlinking a wrong id is reported.
    async unlink(id: string): Promise<void> {
      const result = await db.deleteFrom('federated_identities').where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
      if (result.numDeletedRows === 0n) throw new NotFound(`identity "${id}"`);
    },
  };
}
