/** The relying-party side of the tests: openid-client (a real RP library) plus the test browser. */
import { expect } from 'chai';
import * as oidc from 'openid-client';
import { Browser, formAction, type Page } from './browser.js';
import { PORTAL_SECRET, REDIRECT } from './fixtures.js';

export async function discover(issuer: string, clientId: string): Promise<oidc.Configuration> {
  const auth = clientId === 'portal' ? oidc.ClientSecretBasic(PORTAL_SECRET) : oidc.None();
  return oidc.discovery(new URL(issuer), clientId, undefined, auth, { execute: [oidc.allowInsecureRequests] });
}

export interface Authorization {
  callback: URL;
  verifier: string;
  state: string;
  nonce: string;
}

export async function startAuthorization(config: oidc.Configuration, extra: Record<string, string> = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT, scope: 'openid profile ent', state, nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...extra,
  });
  return { url, verifier, state, nonce };
}

/** Logs in on the hub's page (and consents when asked); returns the RP callback URL. */
export async function signIn(browser: Browser, config: oidc.Configuration, login: string, password: string, extra: Record<string, string> = {}): Promise<Authorization> {
  const start = await startAuthorization(config, extra);
  const loginPage = await browser.follow(start.url.href, REDIRECT);
  expect(loginPage.status, loginPage.body).to.equal(200);
  let page: Page = await browser.follow(formAction(loginPage, /\/login/), REDIRECT, { form: { login, password } });
  if (!page.location && page.body.includes('/confirm')) page = await browser.follow(formAction(page, /\/confirm/), REDIRECT, { form: {} });
  expect(page.location, `no redirect to the RP: ${page.status} ${page.body.slice(0, 300)}`).to.be.a('string');
  return { callback: new URL(page.location!), verifier: start.verifier, state: start.state, nonce: start.nonce };
}

export function exchange(config: oidc.Configuration, auth: Authorization) {
  return oidc.authorizationCodeGrant(config, auth.callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state, expectedNonce: auth.nonce });
}
