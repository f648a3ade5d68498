/**
 * The client's address, as the hub's own proxies saw it. X-Forwarded-For is a list anyone can
 * start: only the entries appended by trusted proxies mean something, so the address is the
 * rightmost one not added by a trusted proxy (proxy-addr's rule). Requests that did not come
 * through a trusted proxy lose their X-Forwarded-* headers, so that neither the address nor the
 * scheme and host can be made up.
 */
import type { Middleware } from 'koa';
import proxyaddr from 'proxy-addr';

/** `http.trustProxy`: none, a number of proxy hops in front of the hub, or the proxies' addresses. */
export type TrustProxy = boolean | number | string[];

/** Whether any proxy is trusted: then X-Forwarded-Proto/Host are read (from trusted peers only). */
export function behindProxy(trustProxy: TrustProxy): boolean {
  return trustProxy !== false && trustProxy !== 0;
}

const FORWARDED_HEADERS = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'forwarded'];

/** proxy-addr's trust function; `true` means one proxy (the peer), never "trust every hop". */
export function trustOf(trust: TrustProxy): (address: string, hop: number) => boolean {
  if (trust === false || trust === 0) return () => false;
  if (trust === true) return (_address, hop) => hop < 1;
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return proxyaddr.compile(trust);
}

export function clientAddress(trust: TrustProxy): Middleware {
  const trusted = trustOf(trust);
  return (ctx, next) => {
    const peer = ctx.req.socket.remoteAddress ?? '';
    if (trusted(peer, 0)) {
      ctx.request.ip = proxyaddr(ctx.req, trusted);
    } else {
      // An untrusted peer is the client: proxyaddr would answer `peer` after parsing the list.
      const { headers } = ctx.req;
      for (const header of FORWARDED_HEADERS) if (header in headers) delete headers[header];
      ctx.request.ip = peer;
    }
    return next();
  };
}
