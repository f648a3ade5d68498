/**
 * A request an SP sends on HTTP-POST comes from the SP's site: the browser sends no SameSite=Lax
 * cookie with it (the hub session's, a sign-in's). Once verified, it is kept for a minute under
 * an unguessable key, and the browser goes on to it with a 303 (a top-level GET, which carries
 * those cookies). Each key is taken once.
 */
import { randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import type { EphemeralStore } from '../../storage/ports/ephemeral.js';
import { IdpRequestRefused } from './inbound.js';

export type PostedKind = 'sso' | 'slo';

/** Where each kind goes on, under /saml. */
export const POSTED_PATHS: Record<PostedKind, string> = { sso: '/sso/posted/:key', slo: '/slo/posted/:key' };

/** The browser goes on at once: a minute is plenty. */
const POSTED_TTL_SECONDS = 60;
const keyOf = (kind: PostedKind, key: string): string => `saml-idp:posted-${kind}:${key}`;

export async function parkPosted(ctx: Context, ephemeral: EphemeralStore, kind: PostedKind, value: unknown): Promise<void> {
  const key = randomBytes(24).toString('base64url');
  await ephemeral.put(keyOf(kind, key), JSON.stringify(value), POSTED_TTL_SECONDS);
  ctx.set('Cache-Control', 'no-store');
  ctx.status = 303;
  ctx.redirect(`/saml${POSTED_PATHS[kind].replace(':key', key)}`);
}

export async function takePosted<T>(ephemeral: EphemeralStore, kind: PostedKind, key: string): Promise<T> {
  const raw = await ephemeral.take(keyOf(kind, key));
  if (!raw) throw new IdpRequestRefused('replay', 'unknown, expired or already used request');
  return JSON.parse(raw) as T;
}
