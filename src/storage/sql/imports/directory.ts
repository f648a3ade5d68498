/**
 * Structures and groups of an import: few compared with people (thousands), so they are
 * upserted in one pass and every DN → id map is kept for the run.
 */
import type { Kysely } from 'kysely';
import { newId } from '../../../shared/ids.js';
import type { GroupWrite, StructureWrite, UpsertOutcome } from '../../ports/imports.js';
import type { Database } from '../schema.js';
import { chunks } from './batches.js';

interface Existing {
  id: string;
  content_hash: string | null;
}

/** Shared decision of both upserts: create, update, or leave an unchanged row alone. */
async function upsertBy<T extends { dn: string | null; contentHash: string }>(
  items: T[],
  keyOf: (item: T) => string,
  existing: Map<string, Existing>,
  write: { create(rows: Array<{ item: T; id: string }>): Promise<void>; update(item: T, id: string): Promise<void> } | null,
): Promise<UpsertOutcome> {
  const outcome: UpsertOutcome = { created: 0, updated: 0, unchanged: 0, idsByDn: new Map(), ids: [] };
  // Created rows go in multi-row inserts: a full import creates every class and group at once.
  const creates: Array<{ item: T; id: string }> = [];
  for (const item of items) {
    const current = existing.get(keyOf(item));
    const id = current?.id ?? newId();
    if (!current) {
      outcome.created += 1;
      creates.push({ item, id });
    } else if (current.content_hash !== item.contentHash) {
      outcome.updated += 1;
      await write?.update(item, id);
    } else {
      outcome.unchanged += 1;
    }
    if (item.dn !== null) outcome.idsByDn.set(item.dn, id);
    outcome.ids.push(id);
  }
  for (const part of chunks(creates, 200)) await write?.create(part);
  return outcome;
}

export function importDirectory(db: Kysely<Database>, tenantId: string) {
  /** A preview (`write` false) takes the same decisions as the upsert and writes nothing. */
  async function structures(items: StructureWrite[], write: boolean): Promise<UpsertOutcome> {
    const existing = new Map<string, Existing>();
    for (const part of chunks(items.map((i) => i.uai))) {
      const rows = await db.selectFrom('structures').select(['id', 'uai', 'content_hash']).where('tenant_id', '=', tenantId).where('uai', 'in', part).execute();
      for (const row of rows) existing.set(row.uai, row);
    }
    const values = (s: StructureWrite) => ({ uai: s.uai, name: s.name, external_id: s.externalId, dn: s.dn, content_hash: s.contentHash });
    return db.transaction().execute((trx) => upsertBy(items, (s) => s.uai, existing, write ? {
      create: async (rows) => void (await trx.insertInto('structures').values(rows.map(({ item, id }) => ({ id, tenant_id: tenantId, ...values(item) }))).execute()),
      update: async (s, id) => void (await trx.updateTable('structures').set(values(s)).where('tenant_id', '=', tenantId).where('id', '=', id).execute()),
    } : null));
  }

  async function groups(items: GroupWrite[], write: boolean): Promise<UpsertOutcome> {
    const key = (g: { structure_id?: string; structureId?: string; kind: string; code: string }) => `${g.structure_id ?? g.structureId}|${g.kind}|${g.code}`;
    const existing = new Map<string, Existing>();
    const structureIds = [...new Set(items.map((g) => g.structureId))];
    for (const part of chunks(structureIds)) {
      const rows = await db.selectFrom('groups').select(['id', 'structure_id', 'kind', 'code', 'content_hash']).where('tenant_id', '=', tenantId).where('structure_id', 'in', part).execute();
      for (const row of rows) existing.set(key(row), row);
    }
    const values = (g: GroupWrite) => ({ structure_id: g.structureId, kind: g.kind, code: g.code, name: g.name, dn: g.dn, content_hash: g.contentHash });
    return db.transaction().execute((trx) => upsertBy(items, key, existing, write ? {
      create: async (rows) => void (await trx.insertInto('groups').values(rows.map(({ item, id }) => ({ id, tenant_id: tenantId, external_id: null, ...values(item) }))).execute()),
      update: async (g, id) => void (await trx.updateTable('groups').set(values(g)).where('tenant_id', '=', tenantId).where('id', '=', id).execute()),
    } : null));
  }

  return {
    upsertStructures: (items: StructureWrite[]) => structures(items, true),
    previewStructures: (items: StructureWrite[]) => structures(items, false),

    async structureIdsByDn(): Promise<Map<string, string>> {
      const rows = await db.selectFrom('structures').select(['id', 'dn']).where('tenant_id', '=', tenantId).where('dn', 'is not', null).execute();
      return new Map(rows.map((r) => [r.dn!, r.id]));
    },

    upsertGroups: (items: GroupWrite[]) => groups(items, true),
    previewGroups: (items: GroupWrite[]) => groups(items, false),

    async groupIdsByKey(): Promise<Map<string, string>> {
      const rows = await db.selectFrom('groups').select(['id', 'structure_id', 'kind', 'code']).where('tenant_id', '=', tenantId).execute();
      return new Map(rows.map((r) => [`${r.structure_id}|${r.kind}|${r.code}`, r.id]));
    },
  };
}
