/** The shared signing keys, one row per key; `succeeds` ('' for a first key) chains a line. */
import type { Kysely, Selectable } from 'kysely';
import { Conflict } from '../../shared/errors.js';
import type { NewSigningKey, SigningKeyAlg, SigningKeyHandover, SigningKeyRecord, SigningKeyStore, SigningKeyUse } from '../ports/index.js';
import { guarded } from './constraints.js';
import { toDate, toFlag, toTimestamp } from './rows.js';
import type { Database, SigningKeysTable } from './schema.js';

const dateOrNull = (value: Date | string | null): Date | null => (value === null ? null : toDate(value));
const timestampOrNull = (value: Date | null): string | null => (value === null ? null : toTimestamp(value));

const toKey = (row: Selectable<SigningKeysTable>): SigningKeyRecord => ({
  kid: row.kid,
  use: row.use as SigningKeyUse,
  alg: row.alg as SigningKeyAlg,
  publicKey: row.public_key,
  sealedPrivateKey: row.sealed_private_key,
  succeeds: row.succeeds === '' ? null : row.succeeds,
  createdAt: toDate(row.created_at),
  activatesAt: toDate(row.activates_at),
  deactivatedAt: dateOrNull(row.deactivated_at),
  retiresAt: dateOrNull(row.retires_at),
  retired: row.retired === 1,
});

const toRow = (key: NewSigningKey) => ({
  kid: key.kid,
  use: key.use,
  alg: key.alg,
  public_key: key.publicKey,
  sealed_private_key: key.sealedPrivateKey,
  succeeds: key.succeeds ?? '',
  created_at: toTimestamp(key.createdAt),
  activates_at: toTimestamp(key.activatesAt),
  deactivated_at: timestampOrNull(key.deactivatedAt),
  retires_at: timestampOrNull(key.retiresAt),
});

const successorTaken = (): Conflict => new Conflict('succeeds', 'another key was added meanwhile for the same use and algorithm');

export function signingKeyStore(db: Kysely<Database>): SigningKeyStore {
  return {
    async list(use?: SigningKeyUse): Promise<SigningKeyRecord[]> {
      let query = db.selectFrom('signing_keys').selectAll();
      if (use) query = query.where('use', '=', use);
      const rows = await query.orderBy('created_at').orderBy('use').orderBy('alg').orderBy('kid').execute();
      return rows.map(toKey);
    },

    async add(keys: NewSigningKey[], handovers: SigningKeyHandover[]): Promise<void> {
      await guarded({ conflicts: { 'use,alg,succeeds': successorTaken, kid: () => new Conflict('kid', 'a key with this kid exists') } }, () => db.transaction().execute(async (trx) => {
        if (keys.length) await trx.insertInto('signing_keys').values(keys.map(toRow)).execute();
        for (const handover of handovers) {
          await trx.updateTable('signing_keys')
            .set({ deactivated_at: toTimestamp(handover.deactivatedAt), retires_at: toTimestamp(handover.retiresAt) })
            .where('kid', '=', handover.kid)
            .execute();
        }
      }));
    },

    async retire(now: Date): Promise<string[]> {
      const rows = await db.updateTable('signing_keys')
        .set({ retired: toFlag(true), sealed_private_key: '' })
        .where('retired', '=', toFlag(false))
        .where('retires_at', '<=', toTimestamp(now))
        .returning('kid')
        .execute();
      return rows.map((row) => row.kid).sort();
    },
  };
}
