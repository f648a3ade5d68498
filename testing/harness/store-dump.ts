/** A tenant's imported data, dumped by directory identifiers, to compare two stores. */
import { CompiledQuery } from 'kysely';
import type { SqlStore } from '../../src/storage/sql/database.js';

/** Everything an import decides, by directory identifiers (row ids, content hashes built on them, and activation codes differ). */
export async function dumpTenant(store: SqlStore, tenantId: string): Promise<Record<string, unknown[]>> {
  const q = async (text: string) => (await store.db.executeQuery(CompiledQuery.raw(text, [tenantId]))).rows;
  const p = store.dialect === 'postgres' ? '$1' : '?';
  return {
    accounts: await q(`select external_id, login, status, profile, first_name, last_name, birth_date, email, academic_email, ine, gar_id, dn, source, disappeared_at is null as live from accounts where tenant_id = ${p} order by external_id`),
    structures: await q(`select uai, name, external_id, dn from structures where tenant_id = ${p} order by uai`),
    groups: await q(`select s.uai, g.kind, g.code, g.name from groups g join structures s on s.id = g.structure_id where g.tenant_id = ${p} order by 1, 2, 3`),
    accountStructures: await q(`select a.external_id, s.uai from account_structures m join accounts a on a.id = m.account_id join structures s on s.id = m.structure_id where m.tenant_id = ${p} order by 1, 2`),
    groupMembers: await q(`select a.external_id, s.uai, g.kind, g.code from group_members m join accounts a on a.id = m.account_id join groups g on g.id = m.group_id join structures s on s.id = g.structure_id where m.tenant_id = ${p} order by 1, 2, 3, 4`),
    relations: await q(`select pa.external_id as parent, ch.external_id as child from relations r join accounts pa on pa.id = r.parent_id join accounts ch on ch.id = r.child_id where r.tenant_id = ${p} order by 1, 2`),
    identities: await q(`select a.external_id, i.connector_id, i.subject from federated_identities i join accounts a on a.id = i.account_id where i.tenant_id = ${p} order by 1, 2, 3`),
  };
}

