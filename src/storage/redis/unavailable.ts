/** Any failure of a Redis command becomes ServiceUnavailable: the web side answers 503, never 500. */
import { ServiceUnavailable } from '../../shared/errors.js';

export async function guarded<T>(what: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    throw new ServiceUnavailable(what, err);
  }
}
