/**
 * The signed-in account belongs to a tenant the client does not serve (the protocol found it):
 * the person is told, the refusal audited, and another account may be used. Nothing reached
 * the client.
 */
import type { Context } from 'koa';
import type { LoginTransaction } from '../login/transaction.js';
import { renderError } from '../ui/error-page.js';
import { t } from '../ui/i18n.js';
import { pageUrls, type LoginPagesDeps } from './context.js';
import './views/messages.js';

export async function showTenantRefused(ctx: Context, deps: LoginPagesDeps, transaction: LoginTransaction): Promise<void> {
  const urls = pageUrls(ctx, transaction);
  const accountId = await deps.hubSession.currentAccount(ctx);
  const account = accountId ? await deps.store.accounts.findById(accountId) : null;
  await deps.store.audit.record({
    type: 'client.tenant_refused', accountId: account?.id ?? null, clientId: transaction.client.id, ip: ctx.ip,
    details: { tenant: account?.tenantId ?? null },
  });
  ctx.status = 403;
  ctx.type = 'html';
  ctx.body = renderError({
    lang: urls.lang, status: 403, kind: 'tenant_not_served', code: 'tenant_not_served', requestId: String(ctx.state.requestId ?? ''), langSwitchUrl: urls.langSwitchUrl,
    action: { href: urls.to(undefined, { account: 'other' }), label: t(urls.lang, 'error.tenant_not_served.switch') },
  });
}
