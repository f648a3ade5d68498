/**
 * The audit log as a CSV file for a spreadsheet, written line by line as the events stream in
 * (an export never holds the log in memory).
 *
 * - RFC 4180: comma-separated, CRLF line ends, a field with a comma, a quote, CR or LF quoted,
 *   its quotes doubled.
 * - Formula injection (OWASP "CSV Injection", ASVS 5 1.2.10): logins, user agents and details
 *   come from anyone; a cell starting with `=`, `+`, `-`, `@`, tab, CR or NUL would be run by a
 *   spreadsheet as a formula, so it gets a leading apostrophe, which makes it text.
 * - UTF-8 with a byte order mark, without which Excel reads the file as ANSI and mangles accents.
 */
import type { Lang } from '../ui/i18n.js';
import type { AuditEvent } from '../storage/ports/index.js';

const BOM = '\uFEFF';
const LINE_END = '\r\n';

/** The column titles, in the order of `cellsOf`. */
const HEADERS: Record<Lang, readonly string[]> = {
  fr: ['date', 'type', 'académie', 'compte', 'client', 'auteur', 'adresse IP', 'détails'],
  en: ['date', 'type', 'tenant', 'account', 'client', 'actor', 'IP address', 'details'],
};

const FORMULA_START = /^[=+\-@\t\r\0]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** One field: defused if a spreadsheet would take it for a formula, then quoted if RFC 4180 says so. */
export function csvField(value: string): string {
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const csvLine = (values: readonly string[]): string => values.map(csvField).join(',') + LINE_END;

/** Who did it, as the audit search's `actor` names them: an admin's account id, else `by` (cli, system…). */
function actorOf(details: Record<string, unknown>): string {
  const actor = details['admin'] ?? details['by'];
  return typeof actor === 'string' ? actor : '';
}

function cellsOf(event: AuditEvent): string[] {
  return [
    event.at.toISOString(),
    event.type,
    event.tenantId ?? '',
    event.accountId ?? '',
    event.clientId ?? '',
    actorOf(event.details),
    event.ip ?? '',
    JSON.stringify(event.details),
  ];
}

/** The header (after the BOM), then one line per event, in the events' order. */
export async function* auditCsv(events: AsyncIterable<AuditEvent>, options: { lang?: Lang } = {}): AsyncGenerator<string> {
  yield BOM + csvLine(HEADERS[options.lang ?? 'fr']);
  for await (const event of events) yield csvLine(cellsOf(event));
}
