/**
 * Local accounts: activation (code expiry, accepted terms of use), password change time (older
 * sessions and refresh tokens are revoked), TOTP second factor with single-use recovery codes,
 * and an index for matching staff by académie e-mail.
 */
import type { Kysely } from 'kysely';
import type { ColumnTypes } from '../dialect.js';

type AnyDb = Kysely<any>;

export async function up(db: AnyDb, types: ColumnTypes): Promise<void> {
  // SQLite adds one column per ALTER TABLE.
  for (const column of ['activation_expires_at', 'terms_accepted_at', 'password_changed_at']) {
    await db.schema.alterTable('accounts').addColumn(column, types.timestamp).execute();
  }
  await db.schema.alterTable('accounts').addColumn('terms_version', 'text').execute();
  await db.schema.createIndex('accounts_tenant_academic_email_idx').on('accounts').columns(['tenant_id', 'academic_email']).execute();

  await db.schema.createTable('account_totp')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    /** The shared secret, encrypted (AES-256-GCM) with a key kept outside the database. */
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('created_at', types.timestamp, (c) => c.notNull())
    /** Null until the user proved the enrolment with a first code. */
    .addColumn('confirmed_at', types.timestamp)
    .addPrimaryKeyConstraint('account_totp_pk', ['tenant_id', 'account_id'])
    .addForeignKeyConstraint('account_totp_account_fk', ['tenant_id', 'account_id'], 'accounts', ['tenant_id', 'id'], (fk) => fk.onDelete('cascade'))
    .execute();

  await db.schema.createTable('recovery_codes')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('used_at', types.timestamp)
    .addPrimaryKeyConstraint('recovery_codes_pk', ['tenant_id', 'account_id', 'code_hash'])
    .addForeignKeyConstraint('recovery_codes_account_fk', ['tenant_id', 'account_id'], 'accounts', ['tenant_id', 'id'], (fk) => fk.onDelete('cascade'))
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('recovery_codes').ifExists().execute();
  await db.schema.dropTable('account_totp').ifExists().execute();
  await db.schema.dropIndex('accounts_tenant_academic_email_idx').ifExists().execute();
  for (const column of ['activation_expires_at', 'terms_accepted_at', 'password_changed_at', 'terms_version']) {
    await db.schema.alterTable('accounts').dropColumn(column).execute();
  }
}
