/**
 * The SP metadata refresh of a running hub (src/saml/idp/sp-refresh-schedule.ts): a hub started
 * with an aggregate registers its SPs by itself, and the next pass is due at the soonest of the
 * aggregates' periods and cacheDurations.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { nextPassSeconds } from '../../src/saml/idp/sp-refresh-schedule.js';
import { startTestHub, type TestHub } from '../../testing/harness/hub.js';
import { startLoopbackServer, type LoopbackServer } from '../../testing/harness/loopback-server.js';
import { writeSpMetadata } from '../../testing/harness/pysaml2-sp.js';
import { aggregateXml, entityOf, makeSigner } from '../../testing/harness/sp-aggregate.js';

const GAR = 'https://gar.example/metadata';

describe('SAML IdP: the SP refresh schedule of a running hub', function () {
  this.timeout(60_000);
  let dir: string;
  let server: LoopbackServer;
  let hub: TestHub | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sp-schedule-'));
    const operator = await makeSigner(dir, 'operator');
    writeFileSync(join(dir, 'operator.crt'), operator.certPem);
    const aggregate = aggregateXml(operator, [entityOf(await writeSpMetadata(dir, 'gar.xml', { base: 'https://gar.example', name: 'GAR' }))]);
    server = await startLoopbackServer((_req, res) => res.end(aggregate));
  });
  after(async () => {
    await hub?.stop();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers the aggregate’s SPs at start, without a command', async () => {
    hub = await startTestHub({
      config: { samlIdp: { aggregates: [{ id: 'gar', url: `${server.base}/aggregate`, certFile: join(dir, 'operator.crt'), owner: 'platform', releasePolicy: 'gar', cacheDir: join(dir, 'cache') }] } },
    });
    const store = hub.hub.store;
    const deadline = Date.now() + 10_000;
    while (!(await store.serviceProviders.find(GAR)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await store.serviceProviders.find(GAR)).to.deep.include({ releasePolicy: 'gar', source: { kind: 'aggregate', location: 'gar' } });
  });

  it('is next due at the soonest of the aggregates’ periods and of the cacheDurations read', () => {
    const aggregates = [{ refreshSeconds: 7200 }, { refreshSeconds: 3600 }] as Parameters<typeof nextPassSeconds>[0]['aggregates'];
    expect(nextPassSeconds({ aggregates }, [])).to.equal(3600);
    const report = { source: 'aggregate a', added: [], updated: [], removed: [], skipped: [], failed: null, nextRefreshSeconds: 600 };
    expect(nextPassSeconds({ aggregates }, [report])).to.equal(600);
    expect(nextPassSeconds({ aggregates: [] }, [])).to.equal(6 * 3600);
  });
});
