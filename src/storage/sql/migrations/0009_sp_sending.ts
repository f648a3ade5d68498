/**
 * How the IdP sends to each SAML SP: what its Responses carry signed (`both`, `assertion` or
 * `response`) and whether its assertions are encrypted when its metadata offers a key. The GAR's
 * own ENT signs only the assertion; whether the GAR needs more is not published, so each SP says.
 */
import type { Kysely } from 'kysely';

type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema.alterTable('service_providers').addColumn('signatures', 'text', (c) => c.notNull().defaultTo('both')).execute();
  await db.schema.alterTable('service_providers').addColumn('encrypt_assertions', 'integer', (c) => c.notNull().defaultTo(1)).execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.alterTable('service_providers').dropColumn('encrypt_assertions').execute();
  await db.schema.alterTable('service_providers').dropColumn('signatures').execute();
}
