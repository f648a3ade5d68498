/**
 * The signing keys the hub nodes share (`signing_keys`): OIDC JWKs and SAML IdP keys, the private
 * part sealed with the secrets key. `succeeds` chains the keys of one use and algorithm; its
 * unique index is what keeps two racing rotations from both adding a next key.
 */
import type { Kysely } from 'kysely';
import type { ColumnTypes } from '../dialect.js';

type AnyDb = Kysely<any>;

export async function up(db: AnyDb, types: ColumnTypes): Promise<void> {
  await db.schema.createTable('signing_keys')
    .addColumn('kid', 'text', (c) => c.primaryKey())
    .addColumn('use', 'text', (c) => c.notNull())
    .addColumn('alg', 'text', (c) => c.notNull())
    .addColumn('public_key', 'text', (c) => c.notNull())
    .addColumn('sealed_private_key', 'text', (c) => c.notNull())
    /** '' for the first key of its line: a NULL would not be unique. */
    .addColumn('succeeds', 'text', (c) => c.notNull())
    .addColumn('created_at', types.timestamp, (c) => c.notNull())
    .addColumn('activates_at', types.timestamp, (c) => c.notNull())
    .addColumn('deactivated_at', types.timestamp)
    .addColumn('retires_at', types.timestamp)
    .addColumn('retired', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('signing_keys_succeeds').unique().on('signing_keys').columns(['use', 'alg', 'succeeds']).execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('signing_keys').ifExists().execute();
}
