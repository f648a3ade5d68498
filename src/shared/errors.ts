/**
 * The hub's small error hierarchy. `status` is the HTTP status to answer with; `expose` says
 * whether `message` may be shown to a user (it never carries internals when true).
 */
export class HubError extends Error {
  readonly code: string;
  readonly status: number;
  readonly expose: boolean;

  constructor(code: string, message: string, options: { status?: number; expose?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = options.status ?? 500;
    this.expose = options.expose ?? this.status < 500;
  }
}

/** A looked-up row does not exist (in the caller's tenant). */
export class NotFound extends HubError {
  constructor(what: string) {
    super('not_found', `${what} not found`, { status: 404 });
  }
}

/** A write would break a uniqueness rule (login, external id, client id, UAI…). */
export class Conflict extends HubError {
  readonly field: string;
  constructor(field: string, message: string) {
    super('conflict', message, { status: 409 });
    this.field = field;
  }
}

/** Configuration or tenant files are invalid; `issues` lists every problem with its path. */
export class ConfigError extends HubError {
  readonly issues: string[];
  constructor(source: string, issues: string[]) {
    super('invalid_config', `${source} is invalid:\n${issues.map((i) => `  - ${i}`).join('\n')}`, { expose: true });
    this.issues = issues;
  }
}

/** A backing service (database, Redis) cannot be reached right now. */
export class ServiceUnavailable extends HubError {
  constructor(service: string, cause?: unknown) {
    super('service_unavailable', `${service} is unavailable`, { status: 503, expose: true, cause });
  }
}

/** A condition the code itself guarantees did not hold: a bug, never the caller's input. */
export class InvariantBroken extends HubError {
  constructor(message: string) {
    super('invariant_broken', message, { status: 500, expose: false });
  }
}
