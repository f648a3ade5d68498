/**
 * A small HTTP reverse proxy for multi-node tests and benches: each request goes to the next
 * node in turn (per request, not per connection, so one browser or RP crosses every node), the
 * request and answer are streamed through unchanged, and a node that refuses a connection is set
 * aside until `revive(i)` (the request it refused goes to the next node: it never reached the
 * first). Request bodies are buffered, which suits tests, not uploads. It counts what each node served and what failed, so a test can tell a
 * flow really crossed nodes and what a killed node cost.
 */
import { Agent, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { startLoopbackServer } from './loopback-server.js';

export interface ProxyNode {
  /** `http://127.0.0.1:<port>` of a hub process. */
  url: string;
  /** Requests answered by this node. */
  served: number;
  /** Requests this node dropped once it had them (reset, closed before or during its answer). */
  failed: number;
  /** False once the node refused a connection; skipped until `revive`. */
  up: boolean;
}

export interface RoundRobinProxy {
  /** `http://127.0.0.1:<port>`: the address clients use (the hubs' issuer). */
  base: string;
  nodes: ProxyNode[];
  /** The node that answered each request, in order (its index in `nodes`). */
  trail: number[];
  revive(index: number): void;
  close(): Promise<void>;
}

export async function startRoundRobinProxy(targets: string[]): Promise<RoundRobinProxy> {
  const nodes: ProxyNode[] = targets.map((url) => ({ url, served: 0, failed: 0, up: true }));
  const trail: number[] = [];
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  let next = 0;

  const pick = (): number | undefined => {
    for (let tries = 0; tries < nodes.length; tries += 1) {
      const index = next;
      next = (next + 1) % nodes.length;
      if (nodes[index]!.up) return index;
    }
    return undefined;
  };

  /** Sends to the next node up; a node that refuses the connection never saw the request, so the next one gets it. */
  const send = (req: IncomingMessage, body: Buffer, res: ServerResponse): void => {
    const index = pick();
    if (index === undefined) {
      res.writeHead(502, { 'content-type': 'text/plain' }).end('no hub node is up');
      return;
    }
    const node = nodes[index]!;
    const upstream = httpRequest(new URL(req.url ?? '/', node.url), { method: req.method, headers: req.headers, agent }, (answer) => {
      node.served += 1;
      trail.push(index);
      res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
      answer.pipe(res);
    });
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') {
        node.up = false;
        send(req, body, res);
        return;
      }
      node.failed += 1;
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end(`hub node ${index} failed: ${err.code ?? err.message}`);
      else res.destroy();
    });
    upstream.end(body);
  };

  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => send(req, Buffer.concat(chunks), res));
  };

  const server = await startLoopbackServer(forward);
  return {
    base: server.base,
    nodes,
    trail,
    revive: (index) => {
      nodes[index]!.up = true;
    },
    close: async () => {
      agent.destroy();
      await server.close();
    },
  };
}
