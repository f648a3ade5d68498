import type { Kysely } from 'kysely';
import { Conflict, NotFound } from '../../shared/errors.js';
import type { MfaStore, TotpEnrolment } from '../ports/index.js';
import { assertOwned } from './queries.js';
import { nowTimestamp, toDate } from './rows.js';
import type { Database } from './schema.js';

export function tenantMfa(db: Kysely<Database>, tenantId: string): MfaStore {
  const totpRow = (accountId: string) =>
    db.selectFrom('account_totp').selectAll().where('tenant_id', '=', tenantId).where('account_id', '=', accountId).executeTakeFirst();

  return {
    async totpOf(accountId: string): Promise<TotpEnrolment | null> {
      const row = await totpRow(accountId);
      return row ? { secret: row.secret, createdAt: toDate(row.created_at), confirmedAt: row.confirmed_at === null ? null : toDate(row.confirmed_at) } : null;
    },

    async startTotp(accountId: string, encryptedSecret: string): Promise<void> {
      await assertOwned(db, 'accounts', tenantId, accountId);
      await db.transaction().execute(async (tx) => {
        const existing = await tx.selectFrom('account_totp').select('confirmed_at')
          .where('tenant_id', '=', tenantId).where('account_id', '=', accountId).executeTakeFirst();
        if (existing?.confirmed_at) throw new Conflict('totp', 'a confirmed authenticator app is already enrolled; remove it first');
        await tx.deleteFrom('account_totp').where('tenant_id', '=', tenantId).where('account_id', '=', accountId).execute();
        await tx.insertInto('account_totp')
          .values({ tenant_id: tenantId, account_id: accountId, secret: encryptedSecret, created_at: nowTimestamp(), confirmed_at: null })
          .execute();
      });
    },

    async confirmTotp(accountId: string, recoveryCodeHashes: string[]): Promise<void> {
      await db.transaction().execute(async (tx) => {
        const result = await tx.updateTable('account_totp').set({ confirmed_at: nowTimestamp() })
          .where('tenant_id', '=', tenantId).where('account_id', '=', accountId).where('confirmed_at', 'is', null)
          .executeTakeFirst();
        if (result.numUpdatedRows === 0n) throw new NotFound(`pending authenticator enrolment of account "${accountId}"`);
        await tx.deleteFrom('recovery_codes').where('tenant_id', '=', tenantId).where('account_id', '=', accountId).execute();
        if (recoveryCodeHashes.length > 0) {
          await tx.insertInto('recovery_codes')
            .values(recoveryCodeHashes.map((code_hash) => ({ tenant_id: tenantId, account_id: accountId, code_hash, used_at: null })))
            .execute();
        }
      });
    },

    async removeTotp(accountId: string): Promise<void> {
      await db.transaction().execute(async (tx) => {
        await tx.deleteFrom('recovery_codes').where('tenant_id', '=', tenantId).where('account_id', '=', accountId).execute();
        await tx.deleteFrom('account_totp').where('tenant_id', '=', tenantId).where('account_id', '=', accountId).execute();
      });
    },

    // One conditional UPDATE: of two concurrent uses of the same code, only one changes a row.
    async useRecoveryCode(accountId: string, codeHash: string): Promise<boolean> {
      const result = await db.updateTable('recovery_codes').set({ used_at: nowTimestamp() })
        .where('tenant_id', '=', tenantId).where('account_id', '=', accountId)
        .where('code_hash', '=', codeHash).where('used_at', 'is', null)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },

    async remainingRecoveryCodes(accountId: string): Promise<number> {
      const row = await db.selectFrom('recovery_codes')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('tenant_id', '=', tenantId).where('account_id', '=', accountId).where('used_at', 'is', null)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}
