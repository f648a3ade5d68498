/**
 * oidc-provider's interaction of this browser: loading it (it is the sign-in's transaction, see
 * login-protocol.ts), and handing oidc-provider its result.
 */
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { errors, type InteractionResults } from 'oidc-provider';
import { LoginExpired } from '../../login/transaction.js';
import { isSignInPrompt } from '../sign-in-policy.js';

export type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

/**
 * This browser's interaction `uid` (the one in the path unless told), at the `expectedPrompt`
 * (`login` for any sign-in prompt); LoginExpired when it is not.
 */
export async function detailsOf(ctx: Context, provider: Provider, expectedPrompt?: string, uid: unknown = ctx.params.uid): Promise<Details> {
  let details: Details;
  try {
    details = await provider.interactionDetails(ctx.req, ctx.res);
  } catch (err) {
    if (err instanceof errors.SessionNotFound) throw new LoginExpired({ detail: 'no interaction cookie' });
    throw err;
  }
  if (details.uid !== uid) throw new LoginExpired({ detail: 'interaction mismatch' });
  const prompt = isSignInPrompt(details.prompt.name) ? 'login' : details.prompt.name;
  if (expectedPrompt && prompt !== expectedPrompt) throw new LoginExpired({ stale: true, detail: 'interaction mismatch' });
  return details;
}

/** Hands oidc-provider this browser's interaction result: returns where the browser goes next. */
export async function interactionResultUrl(ctx: Context, provider: Provider, result: InteractionResults, merge: boolean): Promise<string> {
  return provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: merge });
}

export async function finish(ctx: Context, provider: Provider, result: InteractionResults, merge: boolean): Promise<void> {
  const to = await interactionResultUrl(ctx, provider, result, merge);
  ctx.status = 303;
  ctx.redirect(to);
}
