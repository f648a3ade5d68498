/**
 * The first schema. Tenant-owned rows carry tenant_id; link tables reference their parents by
 * (tenant_id, id), so the database itself refuses a membership, relation or identity that
 * would join two tenants, whatever the code above it does.
 */
import type { CreateTableBuilder, Kysely } from 'kysely';
import type { ColumnTypes } from '../dialect.js';

// Migrations are frozen history: they must not depend on the current `Database` type.
type AnyDb = Kysely<any>;

export async function up(db: AnyDb, types: ColumnTypes): Promise<void> {
  await createTenants(db, types);
  await createAccounts(db, types);
  await createIdentities(db, types);
  await createStructures(db);
  await createGroups(db);
  await createLinkTables(db);
  await createClients(db, types);
  await createAuditEvents(db, types);
}

export async function down(db: AnyDb): Promise<void> {
  const tables = [
    'audit_events', 'oidc_clients', 'relations', 'group_members', 'account_structures', 'groups',
    'structures', 'federated_identities', 'accounts', 'tenants',
  ];
  for (const table of tables) await db.schema.dropTable(table).ifExists().execute();
}

/** References a tenant-owned parent by (tenant_id, id); deleting the parent deletes the link. */
function ownedBy<TB extends string, C extends string>(
  table: CreateTableBuilder<TB, C | 'tenant_id'>, name: TB, column: C, parent: string,
): CreateTableBuilder<TB, C | 'tenant_id'> {
  return table.addForeignKeyConstraint(
    `${name}_${column}_fk`, ['tenant_id', column], parent, ['tenant_id', 'id'], (fk) => fk.onDelete('cascade'),
  );
}

async function createTenants(db: AnyDb, types: ColumnTypes): Promise<void> {
  await db.schema.createTable('tenants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('academy_code', 'text', (c) => c.notNull())
    .addColumn('created_at', types.timestamp, (c) => c.notNull())
    .addColumn('updated_at', types.timestamp, (c) => c.notNull())
    .execute();
}

async function createAccounts(db: AnyDb, types: ColumnTypes): Promise<void> {
  await db.schema.createTable('accounts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('login', 'text', (c) => c.notNull())
    .addColumn('profile', 'text', (c) => c.notNull())
    .addColumn('first_name', 'text', (c) => c.notNull())
    .addColumn('last_name', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('birth_date', 'text')
    .addColumn('email', 'text')
    .addColumn('academic_email', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text')
    .addColumn('external_id', 'text')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('created_at', types.timestamp, (c) => c.notNull())
    .addColumn('updated_at', types.timestamp, (c) => c.notNull())
    .addColumn('disappeared_at', types.timestamp)
    .addUniqueConstraint('accounts_login_key', ['login'])
    .addUniqueConstraint('accounts_tenant_external_id_key', ['tenant_id', 'external_id'])
    .addUniqueConstraint('accounts_tenant_id_key', ['tenant_id', 'id'])
    .execute();
  // Paged, login-ordered listing of one tenant's accounts.
  await db.schema.createIndex('accounts_tenant_login_idx').on('accounts').columns(['tenant_id', 'login']).execute();
  // Staff IdPs are matched on the académie e-mail.
  await db.schema.createIndex('accounts_academic_email_idx').on('accounts').column('academic_email').execute();
}

async function createIdentities(db: AnyDb, types: ColumnTypes): Promise<void> {
  await db.schema.createTable('federated_identities')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('connector_id', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('created_at', types.timestamp, (c) => c.notNull())
    .addUniqueConstraint('federated_identities_subject_key', ['tenant_id', 'connector_id', 'subject'])
    .$call((t) => ownedBy(t, 'federated_identities', 'account_id', 'accounts'))
    .execute();
  await db.schema.createIndex('federated_identities_account_idx').on('federated_identities').column('account_id').execute();
}

async function createStructures(db: AnyDb): Promise<void> {
  await db.schema.createTable('structures')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('uai', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text')
    .addUniqueConstraint('structures_tenant_uai_key', ['tenant_id', 'uai'])
    .addUniqueConstraint('structures_tenant_id_key', ['tenant_id', 'id'])
    .execute();
}

async function createGroups(db: AnyDb): Promise<void> {
  await db.schema.createTable('groups')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('structure_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text')
    .addUniqueConstraint('groups_structure_kind_code_key', ['structure_id', 'kind', 'code'])
    .addUniqueConstraint('groups_tenant_id_key', ['tenant_id', 'id'])
    .$call((t) => ownedBy(t, 'groups', 'structure_id', 'structures'))
    .execute();
}

async function createLinkTables(db: AnyDb): Promise<void> {
  await db.schema.createTable('account_structures')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('structure_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('account_structures_pkey', ['account_id', 'structure_id'])
    .$call((t) => ownedBy(t, 'account_structures', 'account_id', 'accounts'))
    .$call((t) => ownedBy(t, 'account_structures', 'structure_id', 'structures'))
    .execute();
  await db.schema.createIndex('account_structures_structure_idx').on('account_structures').column('structure_id').execute();

  await db.schema.createTable('group_members')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('group_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('group_members_pkey', ['account_id', 'group_id'])
    .$call((t) => ownedBy(t, 'group_members', 'account_id', 'accounts'))
    .$call((t) => ownedBy(t, 'group_members', 'group_id', 'groups'))
    .execute();
  await db.schema.createIndex('group_members_group_idx').on('group_members').column('group_id').execute();

  await db.schema.createTable('relations')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('parent_id', 'text', (c) => c.notNull())
    .addColumn('child_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('relations_pkey', ['parent_id', 'child_id'])
    .$call((t) => ownedBy(t, 'relations', 'parent_id', 'accounts'))
    .$call((t) => ownedBy(t, 'relations', 'child_id', 'accounts'))
    .execute();
  await db.schema.createIndex('relations_child_idx').on('relations').column('child_id').execute();
}

async function createClients(db: AnyDb, types: ColumnTypes): Promise<void> {
  await db.schema.createTable('oidc_clients')
    .addColumn('client_id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.references('tenants.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('first_party', 'integer', (c) => c.notNull())
    .addColumn('secret_hash', 'text')
    .addColumn('metadata', types.json, (c) => c.notNull())
    .addColumn('created_at', types.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('oidc_clients_tenant_idx').on('oidc_clients').column('tenant_id').execute();
}

async function createAuditEvents(db: AnyDb, types: ColumnTypes): Promise<void> {
  await db.schema.createTable('audit_events')
    .$call((t) => types.dialect === 'postgres'
      ? t.addColumn('seq', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
      : t.addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement()))
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('tenant_id', 'text', (c) => c.references('tenants.id'))
    .addColumn('at', types.timestamp, (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text')
    .addColumn('client_id', 'text')
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('details', types.json, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_events_tenant_at_idx').on('audit_events').columns(['tenant_id', 'at']).execute();
}
