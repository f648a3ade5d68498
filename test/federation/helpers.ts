/** Shared steps of the federation tests: the browser walks RP → hub → upstream → hub → RP. */
import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { PROJECT_ROOT } from '../../src/config/load.js';
import type { PlatformStore } from '../../src/storage/ports/index.js';
import type * as oidc from 'openid-client';
import { Browser, type Page } from '../../testing/harness/browser.js';
import { REDIRECT, testClients, testResources } from '../../testing/harness/fixtures.js';
import { startTestHub, type TestHub } from '../../testing/harness/hub.js';
import { makeKeyPair, preparePysaml2Idp, type Pysaml2Idp } from '../../testing/harness/pysaml2.js';
import { discover, startAuthorization } from '../../testing/harness/rp.js';

export const OID = 'urn:oid:1.3.6.1.4.1.20326.10.999.1.';

/** The href of the first link whose href matches. */
export function linkHref(page: Page, pattern: RegExp): string {
  const href = [...page.body.matchAll(/<a [^>]*href="([^"]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&')).find((h) => pattern.test(h));
  if (!href) throw new Error(`no link matching ${pattern} in ${page.url} (${page.status}): ${page.body.slice(0, 400)}`);
  return new URL(href, page.url).href;
}

/** The IdP's auto-post form (action and hidden fields). */
export function postForm(page: Page): { action: string; fields: Record<string, string> } {
  const action = /<form method="post" action="([^"]+)"/.exec(page.body)?.[1];
  if (!action) throw new Error(`no form in IdP page (${page.status}): ${page.body.slice(0, 400)}`);
  const fields: Record<string, string> = {};
  for (const m of page.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[m[1]!] = m[2]!.replace(/&amp;/g, '&').replace(/&quot;/g, '"');
  return { action: action.replace(/&amp;/g, '&'), fields };
}

export interface Started {
  browser: Browser;
  auth: Awaited<ReturnType<typeof startAuthorization>>;
  loginPage: Page;
  uid: string;
}

export async function openLoginPage(config: oidc.Configuration, extra: Record<string, string> = {}, browser = new Browser()): Promise<Started> {
  const auth = await startAuthorization(config, extra);
  const loginPage = await browser.follow(auth.url.href, REDIRECT);
  const uid = /\/interaction\/([^/?]+)/.exec(loginPage.url)?.[1];
  expect(uid, `not on the login page: ${loginPage.url} (${loginPage.status})`).to.be.a('string');
  return { browser, auth, loginPage, uid: uid! };
}

/** Clicks the button, lands on the IdP and returns the form the IdP answered. */
export async function toIdpForm(s: Started, buttonPattern: RegExp): Promise<{ action: string; fields: Record<string, string> }> {
  const start = await s.browser.request(linkHref(s.loginPage, buttonPattern));
  expect(start.status, start.body).to.equal(302);
  const idpPage = await s.browser.request(start.location!);
  expect(idpPage.status, idpPage.body).to.equal(200);
  return postForm(idpPage);
}

/** Posts the SAML response to the hub's ACS and follows redirects until the RP or a page. */
export async function postToAcs(s: Started, form: { action: string; fields: Record<string, string> }): Promise<Page> {
  // The IdP's page posts the form: a cross-site POST, then a cross-site redirect chain.
  const acs = await s.browser.request(form.action, { form: form.fields, crossSite: true });
  if (!acs.location) return acs;
  return s.browser.follow(acs.location, REDIRECT, { crossSite: true });
}

/**
 * A copy of the repository's tenants (written as JSON, which is YAML) with extra connectors:
 * the académie staff IdPs under test are tenant connectors, and tenants/*.yaml is not ours to
 * change. Returns the folder (to remove after).
 */
export function tenantsWith(connectors: Record<string, Array<Record<string, unknown>>>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tenants-'));
  for (const file of readdirSync(join(PROJECT_ROOT, 'tenants')).filter((f) => f.endsWith('.yaml'))) {
    const tenant = YAML.parse(readFileSync(join(PROJECT_ROOT, 'tenants', file), 'utf8')) as { id: string; connectors?: Array<{ id: string }> };
    const extra = connectors[tenant.id] ?? [];
    tenant.connectors = [...(tenant.connectors ?? []).filter((c) => !extra.some((e) => e.id === c.id)), ...(extra as Array<{ id: string }>)];
    writeFileSync(join(dir, file), JSON.stringify(tenant, null, 2));
  }
  return dir;
}

/** Login page → "Personnel de l'Éducation nationale" → the académie's button: the URL that leaves for its IdP. */
export async function staffStart(s: Pick<Started, 'browser' | 'loginPage'>, connectorId: string): Promise<string> {
  const staffPage = await s.browser.request(linkHref(s.loginPage, /\/federation\/staff\?/));
  expect(staffPage.status, staffPage.body).to.equal(200);
  return linkHref(staffPage, new RegExp(`/federation/start/${connectorId}\\?`));
}

/** The latest audit event of a type in a tenant's trail (or the platform's). */
export async function lastAudit(store: PlatformStore, tenantId: string | null, type: string): Promise<Record<string, unknown> | undefined> {
  const events = await (tenantId ? store.forTenant(tenantId).audit : store.audit).list({ limit: 20 });
  return events.find((e) => e.type === type)?.details;
}

/** A hub with a pysaml2 IdP as its ÉduConnect connector (signed requests, encrypted assertions), the IdP knowing the hub's SP metadata. */
export interface EduconnectSetup {
  idp: Pysaml2Idp;
  hub: TestHub;
  portal: oidc.Configuration;
  stop(): Promise<void>;
}

export async function startEduconnectHub(connector: Record<string, unknown> = {}): Promise<EduconnectSetup> {
  const idp = await preparePysaml2Idp();
  const keysDir = mkdtempSync(join(tmpdir(), 'sp-keys-'));
  const [signing, encryption] = await Promise.all([makeKeyPair(keysDir, 'sp-sign'), makeKeyPair(keysDir, 'sp-enc')]);
  const hub = await startTestHub({
    config: {
      clients: testClients(),
      oidc: { resources: testResources },
      federation: { connectors: [{ id: 'educonnect', type: 'saml', displayName: 'ÉduConnect', enabled: true, ...connector, saml: { idpMetadata: { file: idp.metadataFile }, signing, encryption } }] },
    },
  });
  const metadata = await fetch(`${hub.url}/federation/educonnect/metadata`);
  expect(metadata.status).to.equal(200);
  await idp.serve(await metadata.text());
  return {
    idp, hub, portal: await discover(hub.url, 'portal'),
    stop: async () => {
      await hub.stop();
      await idp.stop();
      rmSync(keysDir, { recursive: true, force: true });
    },
  };
}
