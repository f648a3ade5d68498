/** The error of a keyset page asked with a cursor the store did not hand out. */
import { HubError } from '../../shared/errors.js';

/**
 * `KeysetPage.after` is not a cursor of this list (tampered with, truncated, from another list):
 * the caller's input, answered 400, never a silent first page.
 */
export class InvalidCursor extends HubError {
  constructor() {
    super('invalid_cursor', 'the page cursor is not valid', { status: 400, expose: true });
  }
}
