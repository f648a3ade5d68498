import { pino, type DestinationStream, type Logger } from 'pino';
import { currentRequestScope } from './request-scope.js';

export type { Logger };

/** The longest a written line waits in the buffer before it reaches stdout. */
export const LOG_FLUSH_INTERVAL_MS = 500;

/** What the hub needs of pino's SonicBoom destination. */
interface BufferedDestination extends DestinationStream {
  flush(cb?: (err?: Error) => void): void;
  flushSync(): void;
  on(event: 'close', listener: () => void): unknown;
}

const destinations = new Set<BufferedDestination>();
let timer: NodeJS.Timeout | undefined;

/** Bytes waiting in a destination's buffer (SonicBoom keeps the count in `_len`). */
function pending(dest: BufferedDestination): boolean {
  const len = (dest as unknown as { _len?: unknown })._len;
  return typeof len !== 'number' || len > 0;
}

function flushAll(): void {
  for (const dest of destinations) {
    if (!pending(dest)) continue;
    try {
      dest.flush();
    } catch {
      destinations.delete(dest); // destroyed
    }
  }
}

/** At exit nothing runs after this handler: the buffers are written synchronously. */
export function flushLogsSync(): void {
  for (const dest of destinations) {
    try {
      dest.flushSync();
    } catch {
      // A destroyed stream or a closed stdout: nothing more can be written.
    }
  }
}

/**
 * SIGTERM / SIGINT: the buffers are written, then the signal keeps its meaning. When another
 * handler is installed (`serve` stops gracefully and exits, flushing again at exit), it decides;
 * otherwise the process ends by the signal, as it would have without this handler. Prepended,
 * so it runs while the other handlers (even `once` ones) are still counted.
 */
function onSignal(signal: NodeJS.Signals): void {
  flushLogsSync();
  if (process.listenerCount(signal) > 1) return;
  process.removeListener(signal, onSignal);
  process.kill(process.pid, signal);
}

function watch(dest: BufferedDestination): void {
  if (timer === undefined) {
    // unref'd: a pending flush never keeps a finished command alive.
    timer = setInterval(flushAll, LOG_FLUSH_INTERVAL_MS).unref();
    process.on('exit', flushLogsSync);
    process.prependListener('SIGTERM', onSignal);
    process.prependListener('SIGINT', onSignal);
  }
  destinations.add(dest);
  dest.on('close', () => destinations.delete(dest));
}

/**
 * Keys whose values are secrets or personal data (often minors': ÉduConnect pupils), redacted at
 * the top level and one level down (`{ identity: … }`, `{ err: { nameId } }`): a refusal or an
 * error logged with what a SAML or OIDC upstream sent must not copy it into the logs.
 */
const SENSITIVE_KEYS = [
  'password', 'client_secret', 'SAMLResponse', 'SAMLRequest', 'assertion', 'attributes', 'identity', 'nameId', 'subject',
  'firstName', 'lastName', 'givenName', 'familyName', 'email', 'birthDate', 'externalId', 'claims', 'id_token',
];
export const LOG_REDACT_PATHS = ['req.headers.authorization', 'req.headers.cookie', 'req.body', ...SENSITIVE_KEYS, ...SENSITIVE_KEYS.map((k) => `*.${k}`)];

/** A line written while a request is handled names it and its tenant (null until known): see request-scope.ts. */
function requestFields(): Record<string, unknown> {
  const scope = currentRequestScope();
  return scope ? { requestId: scope.requestId, tenant: scope.tenant } : {};
}

/**
 * JSON logs on stdout (or `destination`, for tests); secrets and personal data that might appear
 * in logs are redacted (LOG_REDACT_PATHS). Each line written during a request carries its id and tenant. Lines are written
 * in 4 KiB chunks (a write per request line cost ~30 µs on the token endpoint), yet never held
 * more than LOG_FLUSH_INTERVAL_MS: a timer flushes the buffer, and it is written at exit and on
 * SIGTERM / SIGINT.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, base: { service: 'ent-sso-hub' }, mixin: requestFields, redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' } };
  if (destination) return pino(options, destination);
  if (level === 'silent') return pino(options);
  const dest = pino.destination({ fd: 1, minLength: 4096, sync: false }) as unknown as BufferedDestination;
  watch(dest);
  return pino(options, dest);
}

/**
 * A logger writing where `log` writes, at its level, with its bindings and its mixin (the fields
 * it adds to every line), but without redaction: for lines made only of the hub's own primitive
 * fields (the request line), where the redaction paths have nothing to find yet cost ~30 µs a
 * line (their wildcards walk every field). Never for a line that carries data from outside
 * (errors, identities, bodies).
 */
export function unredactedTwin(log: Logger): Logger {
  const own = log as unknown as Record<symbol, unknown>;
  const stream = own[pino.symbols.streamSym] as DestinationStream;
  const mixin = own[pino.symbols.mixinSym] as (() => object) | undefined;
  return pino({ level: log.level, base: log.bindings(), ...(mixin ? { mixin } : {}) }, stream);
}
