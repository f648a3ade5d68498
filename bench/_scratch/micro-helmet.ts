import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { securityHeaders } from '../../src/http/security-headers.js';
const mw = securityHeaders(false);
const N = 100000;
async function once() {
  const req = new IncomingMessage(new Socket());
  const res = new ServerResponse(req);
  const ctx = { req, res } as never;
  await mw(ctx, async () => {});
}
async function baseline() {
  const req = new IncomingMessage(new Socket());
  const res = new ServerResponse(req);
  void res;
}
for (let round = 0; round < 5; round++) {
  let t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) await baseline();
  const b = Number(process.hrtime.bigint() - t) / N / 1000;
  t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) await once();
  const h = Number(process.hrtime.bigint() - t) / N / 1000;
  console.log(`baseline ${b.toFixed(2)} µs, with helmet ${h.toFixed(2)} µs → helmet ≈ ${(h - b).toFixed(2)} µs`);
}
