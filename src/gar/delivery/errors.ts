import { HubError } from '../../shared/errors.js';

/** Why a package could not be built; the inputs are the run's own files, so this is the run's fault. */
export class GarPackageFailed extends HubError {
  constructor(message: string, cause?: unknown) {
    super('gar_package_failed', message, { status: 500, expose: true, cause });
  }
}

/**
 * Why a delivery to the GAR's SFTP server failed. The first four are final: trying again cannot
 * change a host key, an authorization or a configuration. The last two are retried.
 */
export type GarDeliveryFailure =
  | 'gar_host_key_not_configured'
  | 'gar_host_key_refused'
  | 'gar_client_key_invalid'
  | 'gar_auth_refused'
  | 'gar_remote_dir_missing'
  | 'gar_remote_refused'
  | 'gar_unreachable'
  | 'gar_upload_interrupted';

export const RETRIED_FAILURES: ReadonlySet<GarDeliveryFailure> = new Set(['gar_unreachable', 'gar_upload_interrupted']);

export class GarDeliveryFailed extends HubError {
  declare readonly code: GarDeliveryFailure;
  constructor(
    code: GarDeliveryFailure,
    message: string,
    /** Connections tried, the failed one included (0: refused before connecting). */
    readonly attempts: number,
    cause?: unknown,
  ) {
    super(code, message, { status: 502, expose: true, cause });
  }
}
