import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs on stdout; secrets that might appear in request logs are redacted. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'ent-sso-hub' },
    redact: ['req.headers.authorization', 'req.headers.cookie', 'password', 'client_secret'],
  });
}
