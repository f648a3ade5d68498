/**
 * A TCP proxy between a client and a real server that cuts the connections for real, for fault
 * tests: `cut()` destroys those open now, `cutAfter(bytes)` destroys them once, when the server has
 * sent that many more bytes (all connections together), and `refuse()` closes every new connection at once (the
 * server gone for good) until `accept()`.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface TcpCutter {
  /** Where clients connect instead of the server: 127.0.0.1:port. */
  port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Bytes the server sent so far (all connections). */
  readonly bytes: number;
  cut(): void;
  cutAfter(bytes: number): void;
  refuse(): void;
  accept(): void;
  close(): Promise<void>;
}

export async function startTcpCutter(target: { host: string; port: number }): Promise<TcpCutter> {
  const open = new Set<Socket>();
  let refusing = false;
  let limit = Infinity;
  let connections = 0;
  let bytes = 0;

  const server: Server = createServer((client) => {
    connections += 1;
    if (refusing) return void client.destroy();
    const upstream = connect(target.port, target.host);
    const pair = [client, upstream];
    const drop = () => pair.forEach((s) => s.destroy());
    for (const s of pair) {
      open.add(s);
      s.on('close', () => {
        open.delete(s);
        drop();
      });
      s.on('error', drop);
    }
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > limit) {
        // One cut: the connections made after it go through (refuse() keeps the server away).
        limit = Infinity;
        return cut();
      }
      client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const cut = () => {
    for (const s of open) s.destroy();
  };
  return {
    port: (server.address() as { port: number }).port,
    get connections() {
      return connections;
    },
    get bytes() {
      return bytes;
    },
    cut,
    cutAfter: (more) => void (limit = bytes + more),
    refuse: () => {
      refusing = true;
      cut();
    },
    accept: () => {
      refusing = false;
      limit = Infinity;
    },
    close: () => {
      cut();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
