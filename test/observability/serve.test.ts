/**
 * `hub serve` with metrics on: the real CLI in a child process opens the admin listener beside
 * the public port, closes both on SIGTERM, and refuses to start when the metrics port is taken.
 */
import { createServer } from 'node:net';
import { expect } from 'chai';
import { CliSandbox, freePort, hasStackTrace, serveHub } from '../../testing/harness/cli.js';

describe('hub serve with the metrics listener (child process)', function () {
  this.timeout(120_000);
  let box: CliSandbox;

  beforeEach(() => {
    box = new CliSandbox();
  });
  afterEach(() => box.cleanup());

  it('serves /metrics on the admin port only, says where, and closes both ports on SIGTERM', async () => {
    const metricsPort = await freePort();
    const hub = await serveHub(box, { HUB_METRICS_ENABLED: 'true', HUB_METRICS_PORT: String(metricsPort) });
    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    try {
      const scraped = await fetch(metricsUrl);
      expect(scraped.status).to.equal(200);
      expect(await scraped.text()).to.match(/^hub_dependency_up\{dependency="database"\} 1$/m);
      expect((await fetch(`${hub.url}/metrics`)).status).to.equal(404);
      // Log lines reach the pipe on their own schedule: the port may answer before its line is read.
      await hub.waitForLog((l) => l.msg === `metrics on ${metricsUrl}`, 10_000);
    } finally {
      const stopped = await hub.stop();
      expect(stopped.code, stopped.rawStderr).to.equal(0);
    }
    expect(await fetch(metricsUrl).then(() => 'answered', () => 'refused')).to.equal('refused');
  });

  it('refuses to start when the metrics port is taken, in one sentence', async () => {
    const taken = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => taken.listen(port, '127.0.0.1', resolve));
    try {
      const result = await box.run(['serve'], { env: { PORT: String(await freePort()), HUB_METRICS_ENABLED: 'true', HUB_METRICS_PORT: String(port) }, timeoutMs: 60_000 });
      expect(result.code, result.rawStderr).to.equal(1);
      expect(result.stderr).to.match(new RegExp(`metrics: cannot listen on 127\\.0\\.0\\.1:${port} \\(EADDRINUSE\\)`));
      expect(hasStackTrace(result.rawStderr)).to.equal(false);
    } finally {
      taken.close();
    }
  });
});
