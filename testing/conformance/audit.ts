/**
 * Conformance of the audit store (tenants' and platform events), tenant isolation included:
 * every backend of the port runs it.
 */
import { expect } from 'chai';
import { CLI_OPERATOR, type Actor } from '../../src/identity/actor.js';
import { InvariantBroken } from '../../src/shared/errors.js';
import { newId } from '../../src/shared/ids.js';
import { AuditWriter } from '../../src/storage/ports/audit-writer.js';
import { InvalidCursor, type AuditEvent, type AuditFilter, type AuditStore, type PlatformStore, type TenantScope } from '../../src/storage/ports/index.js';
import { atInstant } from '../frozen-clock.js';
import { describeTenantIsolation, ids, rejection, type StoreSuite, type StoreRef, type TenantFactory } from './kit.js';

export const auditStoreConformance: StoreSuite = ({ store, newTenant }) => {
  describeAudit(store, newTenant);
  describeAuditSearch(store, newTenant);
  describeAuditIsolation(store, newTenant);
};

function describeAudit(store: StoreRef, newTenant: TenantFactory): void {
  describe('audit', () => {
    it('records events and lists them newest first', async () => {
      const lille = await newTenant();
      const first = await lille.audit.record({ type: 'login.failure', ip: '10.0.0.1', userAgent: 'UA', details: { reason: 'bad password' } });
      const second = await lille.audit.record({ type: 'login.success', accountId: newId(), clientId: 'neo' });
      const third = await lille.audit.record({ type: 'logout' });
      expect(first).to.include({ tenantId: lille.tenantId, type: 'login.failure', ip: '10.0.0.1', accountId: null });
      expect(third.details).to.deep.equal({});
      expect(await lille.audit.list()).to.deep.equal([third, second, first]);
      expect(await lille.audit.list({ limit: 1, offset: 1 })).to.deep.equal([second]);
    });

    it('keeps the recording order of events of the same millisecond', async () => {
      const lille = await newTenant();
      const recorded = [];
      for (let i = 0; i < 30; i += 1) recorded.push(await lille.audit.record({ type: `burst.${i}` }));
      expect(ids(await lille.audit.list())).to.deep.equal(ids(recorded).reverse());
    });

    it('keeps platform events apart from tenant events', async () => {
      const lille = await newTenant();
      const platformEvent = await store().audit.record({ type: 'keys.rotated', details: { kid: 'k1' } });
      const tenantEvent = await lille.audit.record({ type: 'import.done' });
      expect(platformEvent.tenantId).to.equal(null);
      const platform = await store().audit.list();
      expect(ids(platform)).to.include(platformEvent.id).and.not.include(tenantEvent.id);
      expect(platform.find((e) => e.id === platformEvent.id)).to.deep.equal(platformEvent);
      expect(ids(await lille.audit.list())).to.deep.equal([tenantEvent.id]);
    });
  });
}

const T0 = Date.parse('2031-03-10T08:00:00.000Z');
/** `ms` after T0. */
const at = (ms: number): Date => new Date(T0 + ms);

async function collect<T>(rows: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const row of rows) all.push(row);
  return all;
}

/** Every page of `filter`'s events, following the cursors to the end. */
async function allPages(audit: AuditStore, filter: AuditFilter, limit: number): Promise<AuditEvent[][]> {
  const pages: AuditEvent[][] = [];
  let after: string | undefined;
  do {
    const page = await audit.search(filter, after === undefined ? { limit } : { limit, after });
    pages.push(page.items);
    after = page.next ?? undefined;
  } while (after !== undefined);
  return pages;
}

const admin = (accountId: string, tenantId: string | null): Actor => ({ kind: 'admin', accountId, clientId: 'hub-admin-console', role: tenantId === null ? 'platform-admin' : 'tenant-admin', tenantId });

/**
 * A tenant's log, each event named by a letter, recorded in alphabetical order over five
 * seconds, several in the same millisecond:
 *
 *   +0 s  a login.success (pupil, neo)         b login.failure (teacher, neo)
 *   +1 s  c login.success (teacher, pronote)   d client.created (pronote) by admin X
 *   +2 s  e account.created (pupil) by the CLI f import.purge by the system
 *   +3 s  g saml_sp.added by admin Y            h samlXsp.added   i LOGIN.success   k login
 *   +4 s  j activation.reset (teacher) by admin X
 */
async function searchLog(platform: PlatformStore, scope: TenantScope) {
  const people = { pupil: newId(), teacher: newId(), adminX: newId(), adminY: newId() };
  const write = (actor: Actor) => new AuditWriter(platform, actor, scope.tenantId);
  const record = (type: string, more: { accountId?: string; clientId?: string } = {}) => scope.audit.record({ type, ...more });
  await atInstant(at(0), async () => {
    await record('login.success', { accountId: people.pupil, clientId: 'neo' });
    await record('login.failure', { accountId: people.teacher, clientId: 'neo' });
  });
  await atInstant(at(1000), async () => {
    await record('login.success', { accountId: people.teacher, clientId: 'pronote' });
    await write(admin(people.adminX, scope.tenantId)).write('client.created', { clientId: 'pronote', details: { public: false } });
  });
  await atInstant(at(2000), async () => {
    await write(CLI_OPERATOR).write('account.created', { accountId: people.pupil, details: {} });
    await write({ kind: 'system', job: 'purge' }).write('import.purge', { details: { deleted: 0, before: at(0).toISOString() } });
  });
  await atInstant(at(3000), async () => {
    await write(admin(people.adminY, scope.tenantId)).write('connector.removed', { details: { connector: 'x' } });
    await record('samlXsp.added');
    await record('LOGIN.success');
    await record('login');
  });
  await atInstant(at(4000), () => write(admin(people.adminX, scope.tenantId)).write('activation.reset', { accountId: people.teacher, details: {} }));
  const all = await scope.audit.list();
  // list() is newest first: the letters of the recording order, reversed.
  const letters = 'abcdefghikj'.split('').reverse();
  const nameOf = new Map(all.map((event, i) => [event.id, letters[i]!]));
  const names = (events: AuditEvent[]): string => events.map((e) => nameOf.get(e.id) ?? `?${e.type}`).join('');
  return { scope, people, all, names };
}

function describeAuditSearch(store: StoreRef, newTenant: TenantFactory): void {
  describe('audit search', () => {
    let log: Awaited<ReturnType<typeof searchLog>>;
    before(async () => {
      log = await searchLog(store(), await newTenant());
    });
    /** The letters of the events `filter` finds, on one page. */
    const find = async (filter: AuditFilter): Promise<string> => {
      const page = await log.scope.audit.search(filter, { limit: 100 });
      expect(page.next).to.equal(null);
      return log.names(page.items);
    };

    it('without a filter, finds the whole log newest first, recording order within a millisecond', async () => {
      expect(log.names(log.all)).to.equal('jkihgfedcba');
      const page = await log.scope.audit.search({}, { limit: 100 });
      expect(page).to.deep.equal({ items: log.all, next: null });
      expect(log.all.map((e) => e.details['by'] ?? null)).to.deep.equal(['admin', null, null, null, 'admin', 'system', 'cli', 'admin', null, null, null]);
    });

    it('keeps exact types and prefixes ending with a dot, compared with case, `_` as itself', async () => {
      expect(await find({ types: ['login.success'] })).to.equal('ca');
      expect(await find({ types: ['login.'] })).to.equal('cba');
      expect(await find({ types: ['login'] })).to.equal('k');
      expect(await find({ types: ['LOGIN.'] })).to.equal('i');
      expect(await find({ types: ['connector.'] })).to.equal('g');
      expect(await find({ types: ['samlXsp.'] })).to.equal('h');
      expect(await find({ types: ['saml_sp.'] })).to.equal('');
      expect(await find({ types: ['login.failure', 'connector.', 'account.created'] })).to.equal('geb');
      expect(await find({ types: ['login.succ'] })).to.equal('');
      expect(await find({ types: ['nothing.'] })).to.equal('');
      expect(await find({ types: [] })).to.equal('');
    });

    it('keeps one account’s events, and one client’s', async () => {
      expect(await find({ accountId: log.people.pupil })).to.equal('ea');
      expect(await find({ accountId: log.people.teacher })).to.equal('jcb');
      expect(await find({ accountId: newId() })).to.equal('');
      expect(await find({ clientId: 'neo' })).to.equal('ba');
      expect(await find({ clientId: 'pronote' })).to.equal('dc');
      expect(await find({ clientId: 'nobody' })).to.equal('');
    });

    it('keeps what an actor did: an admin by account id, the CLI and the system by name', async () => {
      expect(await find({ actor: log.people.adminX })).to.equal('jd');
      expect(await find({ actor: log.people.adminY })).to.equal('g');
      expect(await find({ actor: 'cli' })).to.equal('e');
      expect(await find({ actor: 'system' })).to.equal('f');
      // Admins are named by their account id, never by the word.
      expect(await find({ actor: 'admin' })).to.equal('');
      expect(await find({ actor: log.people.pupil })).to.equal('');
    });

    it('bounds by date: `from` included, `to` excluded', async () => {
      expect(await find({ from: at(1000) })).to.equal('jkihgfedc');
      expect(await find({ to: at(1000) })).to.equal('ba');
      expect(await find({ from: at(1000), to: at(3000) })).to.equal('fedc');
      expect(await find({ from: at(1), to: at(1000) })).to.equal('');
      expect(await find({ from: at(3000), to: at(3000) })).to.equal('');
      expect(await find({ from: at(4000), to: at(4001) })).to.equal('j');
    });

    it('combines criteria: an event is kept when all of them hold', async () => {
      expect(await find({ types: ['login.'], accountId: log.people.teacher })).to.equal('cb');
      expect(await find({ types: ['login.'], accountId: log.people.teacher, clientId: 'pronote' })).to.equal('c');
      expect(await find({ actor: log.people.adminX, from: at(2000) })).to.equal('j');
      expect(await find({ actor: log.people.adminX, types: ['client.'] })).to.equal('d');
      expect(await find({ actor: log.people.adminX, accountId: log.people.teacher, types: ['activation.'], from: at(4000), to: at(5000) })).to.equal('j');
      expect(await find({ types: ['login.failure'], accountId: log.people.pupil })).to.equal('');
    });

    it('pages with a cursor, splitting the events of one millisecond across pages', async () => {
      for (const limit of [1, 2, 3, 4, 10, 11, 12]) {
        const pages = await allPages(log.scope.audit, {}, limit);
        expect(pages.flat(), `limit ${limit}`).to.deep.equal(log.all);
        // Full pages but the last, which is never empty (11 events: one page of 11, not 11 and 0).
        expect(pages.map((p) => p.length), `limit ${limit}`).to.deep.equal(
          Array.from({ length: Math.ceil(11 / limit) }, (_, i) => Math.min(limit, 11 - i * limit)),
        );
      }
      expect((await allPages(log.scope.audit, {}, 2)).map(log.names)).to.deep.equal(['jk', 'ih', 'gf', 'ed', 'cb', 'a']);
      expect((await allPages(log.scope.audit, { types: ['login.', 'login'] }, 2)).map(log.names)).to.deep.equal(['kc', 'ba']);
      expect((await allPages(log.scope.audit, { from: at(1000), to: at(3000) }, 1)).map(log.names)).to.deep.equal(['f', 'e', 'd', 'c']);
    });

    it('keeps the date bounds whatever the cursor: a cursor past `to` does not widen the search', async () => {
      const newest = (await log.scope.audit.search({}, { limit: 1 })).next!; // after j (+4 s)
      expect(log.names((await log.scope.audit.search({ to: at(1000) }, { limit: 100, after: newest })).items)).to.equal('ba');
      expect(log.names((await log.scope.audit.search({ to: at(4001) }, { limit: 100, after: newest })).items)).to.equal('kihgfedcba');
      const middle = (await log.scope.audit.search({}, { limit: 6 })).next!; // after f (+2 s)
      expect(log.names((await log.scope.audit.search({ from: at(1000), to: at(5000) }, { limit: 100, after: middle })).items)).to.equal('edc');
    });

    it('refuses a cursor it did not hand out, and an empty page', async () => {
      const forged = (text: string) => Buffer.from(text).toString('base64url');
      for (const after of ['nonsense', '', forged('2031-03-10T08:00:00.000Z~x'), forged('2031-02-30T08:00:00.000Z~12'), forged('yesterday~12')]) {
        await rejection(log.scope.audit.search({}, { limit: 2, after }), InvalidCursor);
      }
      const valid = (await log.scope.audit.search({}, { limit: 2 })).next!;
      expect(log.names((await log.scope.audit.search({}, { limit: 2, after: valid })).items)).to.equal('ih');
      await rejection(log.scope.audit.search({}, { limit: 0 }), InvariantBroken);
    });

    it('streams every event the filter keeps, in order, across batches', async () => {
      for (const batchSize of [1, 2, 3, 11, 1000]) {
        expect(await collect(log.scope.audit.stream({}, { batchSize })), `batch ${batchSize}`).to.deep.equal(log.all);
      }
      expect(await collect(log.scope.audit.stream({}))).to.deep.equal(log.all);
      expect(log.names(await collect(log.scope.audit.stream({ types: ['login.'] }, { batchSize: 2 })))).to.equal('cba');
      expect(log.names(await collect(log.scope.audit.stream({ from: at(1000), to: at(3000) }, { batchSize: 1 })))).to.equal('fedc');
      expect(await collect(log.scope.audit.stream({ types: [] }, { batchSize: 2 }))).to.deep.equal([]);
      await rejection(collect(log.scope.audit.stream({}, { batchSize: 0 })), InvariantBroken);
    });
  });

  describe('audit search over a growing log', () => {
    it('a cursor names a place in the log: events recorded later do not move the next page', async () => {
      const lille = await newTenant();
      const burst = await atInstant(at(0), async () => {
        const events = [];
        for (let i = 0; i < 6; i += 1) events.push(await lille.audit.record({ type: `burst.${i}` }));
        return events.reverse();
      });
      const first = await lille.audit.search({}, { limit: 3 });
      expect(ids(first.items)).to.deep.equal(ids(burst.slice(0, 3)));
      // Newer, in the boundary's millisecond and after it: before the first page, never after the cursor.
      await atInstant(at(0), () => lille.audit.record({ type: 'late.same_ms' }));
      await atInstant(at(5000), () => lille.audit.record({ type: 'late.after' }));
      const second = await lille.audit.search({}, { limit: 3, after: first.next! });
      expect(second).to.deep.equal({ items: burst.slice(3), next: null });
    });

    it('reads a stream batch by batch, when the reader asks for more', async () => {
      const lille = await newTenant();
      await atInstant(at(1000), async () => {
        for (let i = 0; i < 5; i += 1) await lille.audit.record({ type: `early.${i}` });
      });
      const reading = lille.audit.stream({}, { batchSize: 2 })[Symbol.asyncIterator]();
      const seen = [(await reading.next()).value as AuditEvent, (await reading.next()).value as AuditEvent];
      // Written while the reader holds the first batch: older, so a later batch finds it; a
      // stream that had read the whole log at once would not.
      const older = await atInstant(at(0), () => lille.audit.record({ type: 'older' }));
      for (let next = await reading.next(); !next.done; next = await reading.next()) seen.push(next.value);
      expect(seen.map((e) => e.type)).to.deep.equal(['early.4', 'early.3', 'early.2', 'early.1', 'early.0', 'older']);
      expect(seen.at(-1)).to.deep.equal(older);
    });

    it('searches the platform’s log apart from the tenants’', async () => {
      const lille = await newTenant();
      const kind = `p${newId().slice(-8)}.`;
      const adminId = newId();
      const platformEvent = await store().audit.record({ type: `${kind}rotated`, details: { kid: 'k1' } });
      const tenantEvent = await lille.audit.record({ type: `${kind}rotated` });
      await new AuditWriter(store(), admin(adminId, null), null).write('connector.removed', { details: { connector: kind } });
      await new AuditWriter(store(), admin(adminId, null), lille.tenantId).write('connector.removed', { details: { connector: kind } });

      expect((await store().audit.search({ types: [kind] }, { limit: 10 })).items).to.deep.equal([platformEvent]);
      expect((await lille.audit.search({ types: [kind] }, { limit: 10 })).items).to.deep.equal([tenantEvent]);
      expect(await collect(store().audit.stream({ types: [kind] }, { batchSize: 1 }))).to.deep.equal([platformEvent]);
      const platformActs = (await store().audit.search({ actor: adminId }, { limit: 10 })).items;
      expect(platformActs.map((e) => [e.tenantId, e.type])).to.deep.equal([[null, 'connector.removed']]);
      const tenantActs = (await lille.audit.search({ actor: adminId }, { limit: 10 })).items;
      expect(tenantActs.map((e) => [e.tenantId, e.type])).to.deep.equal([[lille.tenantId, 'connector.removed']]);
    });
  });
}

function describeAuditIsolation(store: StoreRef, newTenant: TenantFactory): void {
  describeTenantIsolation(newTenant, (t) => {
    it('audit: lists show only the tenant’s own', async () => {
      expect(await t.a.audit.list()).to.deep.equal([]);
      await t.a.audit.record({ type: 'login.failure', accountId: t.theirs.child.id });
      expect(await t.a.audit.list()).to.have.length(1);
      expect(ids(await store().audit.list())).to.not.include(t.theirs.event.id);
      await t.expectTheirsIntact();
    });

    it('audit: searches and streams find only the tenant’s own', async () => {
      const everything = { limit: 100 };
      expect(await t.a.audit.search({}, everything)).to.deep.equal({ items: [], next: null });
      expect(await t.a.audit.search({ accountId: t.theirs.child.id }, everything)).to.deep.equal({ items: [], next: null });
      expect(await t.a.audit.search({ types: ['login.'] }, everything)).to.deep.equal({ items: [], next: null });
      expect(await collect(t.a.audit.stream({}, { batchSize: 1 }))).to.deep.equal([]);
      expect(ids((await store().audit.search({ accountId: t.theirs.child.id }, everything)).items)).to.deep.equal([]);
      expect((await t.b.audit.search({ accountId: t.theirs.child.id }, everything)).items).to.deep.equal([t.theirs.event]);
      await t.expectTheirsIntact();
    });
  });
}
