/**
 * The GAR switches admins set school by school (`gar_school_switches`), applied over the schools
 * a tenant's file lists under `gar.structures`. Keyed by UAI rather than structure id: the file
 * names schools by UAI, and a switch may be set before the import brings the school again.
 */
import type { Kysely } from 'kysely';
import type { ColumnTypes } from '../dialect.js';

type AnyDb = Kysely<any>;

export async function up(db: AnyDb, types: ColumnTypes): Promise<void> {
  await db.schema.createTable('gar_school_switches')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('uai', 'text', (c) => c.notNull())
    /** 1: the school uses the GAR; 0: it does not. */
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('changed_at', types.timestamp, (c) => c.notNull())
    .addPrimaryKeyConstraint('gar_school_switches_pk', ['tenant_id', 'uai'])
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('gar_school_switches').ifExists().execute();
}
