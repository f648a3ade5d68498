import type { Insertable, Kysely, Updateable } from 'kysely';
import { Conflict, NotFound } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import type { Account, AccountPatch, AccountStore, NewAccount, Page, PlatformStore } from '../ports/index.js';
import { searchAccounts } from './account-search.js';
import { guarded, type ConflictRules } from './constraints.js';
import { found, idConflict, label, paged, tenantLabel } from './queries.js';
import { nowTimestamp, toAccount, toTimestamp } from './rows.js';
import type { AccountsTable, Database } from './schema.js';

const PATCH_COLUMNS = {
  login: 'login',
  profile: 'profile',
  firstName: 'first_name',
  lastName: 'last_name',
  displayName: 'display_name',
  birthDate: 'birth_date',
  email: 'email',
  academicEmail: 'academic_email',
  status: 'status',
  passwordHash: 'password_hash',
  externalId: 'external_id',
  disappearedAt: 'disappeared_at',
  activationCodeHash: 'activation_code_hash',
  activationExpiresAt: 'activation_expires_at',
  termsVersion: 'terms_version',
  termsAcceptedAt: 'terms_accepted_at',
  passwordChangedAt: 'password_changed_at',
  disabledReason: 'disabled_reason',
} as const satisfies Record<keyof AccountPatch, keyof AccountsTable>;

function insertRow(tenantId: string, input: NewAccount, now: string): Insertable<AccountsTable> {
  return {
    id: input.id ?? newId(),
    tenant_id: tenantId,
    login: input.login,
    profile: input.profile,
    first_name: input.firstName,
    last_name: input.lastName,
    display_name: input.displayName ?? `${input.firstName} ${input.lastName}`,
    birth_date: input.birthDate ?? null,
    email: input.email ?? null,
    academic_email: input.academicEmail?.toLowerCase() ?? null,
    status: input.status ?? 'active',
    password_hash: input.passwordHash ?? null,
    external_id: input.externalId ?? null,
    source: input.source ?? 'local',
    created_at: now,
    updated_at: now,
    disappeared_at: null,
    activation_code_hash: input.activationCodeHash ?? null,
    activation_expires_at: input.activationExpiresAt ? toTimestamp(input.activationExpiresAt) : null,
  };
}

/** Only the fields present in the patch; `undefined` means "leave as is", `null` clears. */
function updateRow(patch: AccountPatch): Updateable<AccountsTable> {
  const row: Record<string, unknown> = { updated_at: nowTimestamp() };
  for (const [field, column] of Object.entries(PATCH_COLUMNS)) {
    const value = patch[field as keyof AccountPatch];
    if (value !== undefined) row[column] = value instanceof Date ? toTimestamp(value) : value;
  }
  // Matched case-insensitively (findByAcademicEmail): stored lower-case.
  if (typeof patch.academicEmail === 'string') row.academic_email = patch.academicEmail.toLowerCase();
  return row as Updateable<AccountsTable>;
}

function accountConflicts(values: { id?: string; login?: string; externalId?: string | null }): ConflictRules {
  return {
    login: () => new Conflict('login', `login "${values.login}" is already taken`),
    'tenant_id,external_id': () =>
      new Conflict('externalId', `external id "${values.externalId}" is already used in this tenant`),
    ...(values.id !== undefined && idConflict('accounts', values.id)),
  };
}

/** `reads`: where the admin search runs (a replica when configured; it tolerates lag). */
export function tenantAccounts(db: Kysely<Database>, tenantId: string, reads: Kysely<Database> = db): AccountStore {
  const scoped = () => db.selectFrom('accounts').selectAll().where('tenant_id', '=', tenantId);

  return {
    async create(input: NewAccount): Promise<Account> {
      const values = insertRow(tenantId, input, nowTimestamp());
      const guard = { conflicts: accountConflicts({ ...input, id: values.id }), missing: tenantLabel(tenantId) };
      const row = await guarded(guard, () =>
        db.insertInto('accounts').values(values).returningAll().executeTakeFirstOrThrow());
      return toAccount(row);
    },

    async get(id: string): Promise<Account> {
      return toAccount(found(await scoped().where('id', '=', id).executeTakeFirst(), label('accounts', id)));
    },

    async findByExternalId(externalId: string): Promise<Account | null> {
      const row = await scoped().where('external_id', '=', externalId).executeTakeFirst();
      return row ? toAccount(row) : null;
    },

    async findByAcademicEmail(email: string): Promise<Account[]> {
      const rows = await scoped().where('academic_email', '=', email.trim().toLowerCase()).orderBy('login').execute();
      return rows.map(toAccount);
    },

    async update(id: string, patch: AccountPatch): Promise<Account> {
      const row = await guarded({ conflicts: accountConflicts(patch) }, () => db.updateTable('accounts')
        .set(updateRow(patch))
        .where('id', '=', id)
        .where('tenant_id', '=', tenantId)
        .returningAll()
        .executeTakeFirst());
      return toAccount(found(row, label('accounts', id)));
    },

    async consumeActivationCode(id: string, codeHash: string, patch: AccountPatch): Promise<Account | null> {
      const row = await guarded({ conflicts: accountConflicts(patch) }, () => db.updateTable('accounts')
        .set(updateRow(patch))
        .where('id', '=', id)
        .where('tenant_id', '=', tenantId)
        .where('status', '=', 'pending')
        .where('activation_code_hash', '=', codeHash)
        .returningAll()
        .executeTakeFirst());
      return row ? toAccount(row) : null;
    },

    async updatePending(id: string, patch: AccountPatch): Promise<Account | null> {
      const row = await guarded({ conflicts: accountConflicts(patch) }, () => db.updateTable('accounts')
        .set(updateRow(patch))
        .where('id', '=', id)
        .where('tenant_id', '=', tenantId)
        .where('status', '=', 'pending')
        .returningAll()
        .executeTakeFirst());
      return row ? toAccount(row) : null;
    },

    async listInStructure(uai: string, classCode?: string, page?: Page): Promise<Account[]> {
      const structure = await db.selectFrom('structures').select('id').where('tenant_id', '=', tenantId).where('uai', '=', uai).executeTakeFirst();
      if (!structure) return [];
      let query = db.selectFrom('accounts').selectAll('accounts').where('accounts.tenant_id', '=', tenantId);
      if (classCode === undefined) {
        query = query.where('accounts.id', 'in', db.selectFrom('account_structures').select('account_id')
          .where('tenant_id', '=', tenantId).where('structure_id', '=', structure.id));
      } else {
        query = query.where('accounts.id', 'in', db.selectFrom('group_members').select('group_members.account_id')
          .innerJoin('groups', 'groups.id', 'group_members.group_id')
          .where('group_members.tenant_id', '=', tenantId)
          .where('groups.tenant_id', '=', tenantId)
          .where('groups.structure_id', '=', structure.id)
          .where('groups.kind', '=', 'class')
          .where('groups.code', '=', classCode));
      }
      const rows = await paged(query.orderBy('accounts.login'), page).execute();
      return rows.map(toAccount);
    },

    async listCreatedBySource(source: string, from: Date, to: Date, page?: Page): Promise<Account[]> {
      const rows = await paged(scoped()
        .where('source', '=', source)
        .where('created_at', '>=', toTimestamp(from))
        .where('created_at', '<=', toTimestamp(to))
        .orderBy('login'), page).execute();
      return rows.map(toAccount);
    },

    async list(page?: Page): Promise<Account[]> {
      const rows = await paged(scoped().orderBy('login'), page).execute();
      return rows.map(toAccount);
    },

    async count(): Promise<number> {
      const row = await db.selectFrom('accounts')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('tenant_id', '=', tenantId)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    search: (query, filters, page) => searchAccounts(reads, tenantId, query, filters, page),

    // Memberships, relations and identities go with it: their foreign keys cascade, in the
    // same statement, so there is no half-deleted account.
    async delete(id: string): Promise<void> {
      const result = await db.deleteFrom('accounts').where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
      if (result.numDeletedRows === 0n) throw new NotFound(label('accounts', id));
    },
  };
}

export function platformAccounts(db: Kysely<Database>): PlatformStore['accounts'] {
  const findBy = async (column: 'login' | 'id', value: string): Promise<Account | null> => {
    const row = await db.selectFrom('accounts').selectAll().where(column, '=', value).executeTakeFirst();
    return row ? toAccount(row) : null;
  };
  return {
    findByLogin: (login) => findBy('login', login),
    findById: (id) => findBy('id', id),
  };
}
