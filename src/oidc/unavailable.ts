/**
 * oidc-provider answers 500 `server_error` for any error of its own callbacks but its own
 * OAuth errors: a store or Redis away (ServiceUnavailable) must reach it as one, 503
 * `temporarily_unavailable`, or an RP would read a database restart as a broken hub.
 */
import { errors } from 'oidc-provider';
import { ServiceUnavailable } from '../shared/errors.js';

/** An OAuth error oidc-provider renders with status 503 (its own 5xx errors are all "server_error"). */
export class TemporarilyUnavailable extends errors.OIDCProviderError {
  constructor() {
    super(503, 'temporarily_unavailable');
    this.error_description = 'the service is temporarily unavailable, please retry in a moment';
    this.expose = true;
  }
}

/** Runs a callback of oidc-provider's: a backing service away becomes TemporarilyUnavailable. */
export async function orUnavailable<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw err instanceof ServiceUnavailable ? new TemporarilyUnavailable() : err;
  }
}

/** Every method of a storage adapter, through orUnavailable. */
export function translatingAdapter<A extends object>(adapter: A): A {
  return new Proxy(adapter, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => orUnavailable(async () => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args));
    },
  });
}
