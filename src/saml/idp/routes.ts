/**
 * The SAML IdP's HTTP side, under /saml. For now its metadata, at the URL that is also its
 * default entityID (the GAR wants them equal); SSO and SLO come with the next items of issue 16.
 */
import Router from '@koa/router';
import type { Logger } from '../../shared/logger.js';
import type { IdpSettings } from './config.js';
import { loadIdpKeys } from './keys.js';
import { IdpMetadata } from './metadata.js';

export const METADATA_CONTENT_TYPE = 'application/samlmetadata+xml';

export function samlIdpRouter(metadata: IdpMetadata): Router {
  const router = new Router({ prefix: '/saml' });
  router.get('/metadata', (ctx) => {
    ctx.type = METADATA_CONTENT_TYPE;
    // A shared cache may keep it as long as an SP may (cacheDuration): it is public and signed.
    ctx.set('Cache-Control', `public, max-age=${metadata.cacheSeconds}`);
    ctx.body = metadata.current();
  });
  return router;
}

/** The IdP's routes, its keys read (or, in development, made) and its metadata signed at start. */
export async function openSamlIdp(settings: IdpSettings, log: Logger): Promise<Router> {
  return samlIdpRouter(new IdpMetadata(settings, await loadIdpKeys(settings, log)));
}
