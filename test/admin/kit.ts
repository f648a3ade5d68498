/**
 * What the admin tests share: a running hub, scripts' clients holding one role each (client
 * credentials with the admin scope, as a real script would get its token), and a JSON caller.
 */
import { addClient } from '../../src/oidc/client-service.js';
import { CLI_OPERATOR } from '../../src/identity/actor.js';
import type { AdminRole } from '../../src/identity/admin-roles.js';
import { grantRole } from '../../src/admin/grants.js';
import type { TestHub } from '../../testing/harness/hub.js';

export interface ScriptClient {
  clientId: string;
  secret: string;
  token: string;
}

/** A confidential client of the platform allowed client credentials with the admin scope, and a token for it. */
export async function scriptClient(hub: TestHub, clientId: string, scopes = ['admin']): Promise<ScriptClient> {
  const { secret } = await addClient({ store: hub.hub.store, config: hub.config }, CLI_OPERATOR, {
    clientId, tenantId: null, public: false, settings: { name: clientId, redirectUris: ['https://script.example/unused'], scopes, grantTypes: ['client_credentials'] },
  });
  return { clientId, secret: secret!, token: await clientToken(hub, clientId, secret!, scopes.join(' ')) };
}

export async function clientToken(hub: TestHub, clientId: string, secret: string, scope: string): Promise<string> {
  const response = await fetch(`${hub.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(),
  });
  const body = await response.json() as { access_token?: string; error_description?: string };
  if (!body.access_token) throw new Error(`no token for ${clientId}: ${body.error_description}`);
  return body.access_token;
}

/** Grants `role` to a script client: on the platform (null), a tenant, or UAIs of the tenant. */
export async function grantTo(hub: TestHub, clientId: string, role: AdminRole, tenantId: string | null, uais: string[] = []) {
  return grantRole(hub.hub.store, CLI_OPERATOR, { subjectKind: 'client', subject: clientId, role, tenantId, uais });
}

export interface ApiAnswer {
  status: number;
  type: string;
  body: any;
  text: string;
}

export async function api(hub: TestHub, token: string | null, method: string, path: string, body?: unknown): Promise<ApiAnswer> {
  const response = await fetch(`${hub.url}/admin/api${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }), accept: 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  // JSON and problem+json are parsed; JSON lines (application/x-ndjson) stay text.
  return { status: response.status, type, text, body: /^application\/([\w.-]+\+)?json\b/.test(type) && text ? JSON.parse(text) : text };
}
