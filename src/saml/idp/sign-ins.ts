/**
 * The SAML IdP's side of the login (src/login/completion.ts): an SSO request that needs the user
 * to sign in becomes a transaction of the hub's sign-in pages. Its id carries the `saml-` prefix
 * (src/login/protocols.ts routes it here); its record lives in the ephemeral store for the
 * sign-in's lifetime, bound to the browser that brought the request by a cookie scoped to the
 * sign-in's own path. Completing it opens the hub session and sends the browser to the step that
 * answers the SP.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import { ACR_ONE_FACTOR, ACR_TWO_FACTORS } from '../../identity/acr.js';
import type { LoginProtocol, SignedIn } from '../../login/completion.js';
import type { HubSession } from '../../login/hub-session.js';
import type { PrefixedProtocol } from '../../login/protocols.js';
import { LoginExpired, stepsPathOf, type LoginTransaction } from '../../login/transaction.js';
import type { EphemeralStore } from '../../storage/ports/ephemeral.js';
import type { Lang } from '../../ui/i18n.js';
import type { RequestedAcr } from './inbound.js';

/** What an SSO answer needs: from a verified AuthnRequest, or from an IdP-initiated link. */
export interface SsoRequest {
  sp: string;
  /** The AuthnRequest's ID; null when IdP-initiated. */
  requestId: string | null;
  /** From the SP's metadata. */
  acsUrl: string;
  relayState: string | null;
  forceAuthn: boolean;
  isPassive: boolean;
  nameIdFormat: string | null;
  requestedAcr: RequestedAcr | null;
}

interface SignInRecord {
  request: SsoRequest;
  client: { id: string; name: string };
  tenant: string | null;
  lang: Lang;
  /** SHA-256 of the browser's cookie value. */
  browser: string;
  signedIn?: SignedIn;
}

const PREFIX = 'saml-';
/** A SAML sign-in's id: its prefix, then 32 characters (an OIDC interaction's uid has 21). */
export const SAML_SIGN_IN_ID = /^saml-[\w-]{32}$/;
const COOKIE = 'saml_signin';
const keyOf = (id: string): string => `saml-idp:sign-in:${id}`;
const digest = (value: string): string => createHash('sha256').update(value).digest('base64url');

/** The hub acr a request needs, or null when one factor will do. */
export function requiredAcr(requested: RequestedAcr | null): string | null {
  if (!requested) return null;
  const needed = requested.comparison === 'minimum' ? requested.acrs[0] : requested.acrs.includes(ACR_ONE_FACTOR) ? ACR_ONE_FACTOR : requested.acrs[0];
  return needed === ACR_TWO_FACTORS ? ACR_TWO_FACTORS : null;
}

export class SamlSignIns {
  constructor(private readonly deps: { ephemeral: EphemeralStore; hubSession: HubSession; ttlSeconds: number }) {}

  /** A new sign-in for `request` bound to this browser: the URL of its first page. */
  async start(ctx: Context, request: SsoRequest, sp: { entityId: string; displayName: string; tenantId: string | null }, lang: Lang): Promise<string> {
    const id = `${PREFIX}${randomBytes(24).toString('base64url')}`;
    const browser = randomBytes(32).toString('base64url');
    const record: SignInRecord = { request, client: { id: sp.entityId, name: sp.displayName }, tenant: sp.tenantId, lang, browser: digest(browser) };
    await this.deps.ephemeral.put(keyOf(id), JSON.stringify(record), this.deps.ttlSeconds);
    ctx.cookies.set(COOKIE, browser, { path: stepsPathOf(id), httpOnly: true, sameSite: 'lax', secure: ctx.secure, signed: true, maxAge: this.deps.ttlSeconds * 1000 });
    return `${stepsPathOf(id)}/start?${new URLSearchParams({ lang })}`;
  }

  /** The sign-in `id` of this browser; LoginExpired when unknown, over, or another browser's. */
  private async record(ctx: Context, id: string): Promise<SignInRecord> {
    const raw = SAML_SIGN_IN_ID.test(id) ? await this.deps.ephemeral.get(keyOf(id)) : null;
    if (!raw) throw new LoginExpired({ detail: 'unknown or expired SAML sign-in' });
    const record = JSON.parse(raw) as SignInRecord;
    const cookie = ctx.cookies.get(COOKIE, { signed: true });
    if (!cookie || digest(cookie) !== record.browser) throw new LoginExpired({ detail: 'SAML sign-in of another browser' });
    return record;
  }

  /** The finished sign-in `id`, forgotten at once: the request to answer and who signed in. */
  async takeCompleted(ctx: Context, id: string): Promise<{ request: SsoRequest; signedIn: SignedIn; lang: Lang }> {
    const record = await this.record(ctx, id);
    if (!record.signedIn) throw new LoginExpired({ stale: true, detail: 'SAML sign-in not finished' });
    if ((await this.deps.ephemeral.take(keyOf(id))) === null) throw new LoginExpired({ detail: 'SAML sign-in already answered' });
    ctx.cookies.set(COOKIE, null, { path: stepsPathOf(id), signed: true });
    return { request: record.request, signedIn: record.signedIn, lang: record.lang };
  }

  private transactionOf(id: string, record: SignInRecord): LoginTransaction {
    return {
      id,
      protocol: 'saml',
      client: record.client,
      tenantHint: record.tenant,
      requestedAcr: requiredAcr(record.request.requestedAcr),
      lang: record.lang,
      hints: { idp: null, login: null, selectAccount: record.request.forceAuthn },
      stepsPath: stepsPathOf(id),
    };
  }

  /** The login port of these sign-ins, for the sign-in pages. */
  protocol(): PrefixedProtocol {
    const protocol: LoginProtocol = {
      transaction: async (ctx, id) => {
        const record = await this.record(ctx, id);
        if (record.signedIn) throw new LoginExpired({ stale: true, detail: 'SAML sign-in already finished' });
        return this.transactionOf(id, record);
      },
      complete: async (ctx, transaction, signedIn) => {
        const record = await this.record(ctx, transaction.id);
        await this.deps.hubSession.begin(ctx, signedIn);
        await this.deps.ephemeral.put(keyOf(transaction.id), JSON.stringify({ ...record, signedIn }), this.deps.ttlSeconds);
        return `${transaction.stepsPath}/respond`;
      },
      // The SP's AuthnRequest cannot be sent again from here: the expired page sends the user back to the service.
      restart: async () => undefined,
    };
    return { owns: (id) => SAML_SIGN_IN_ID.test(id), protocol };
  }
}
