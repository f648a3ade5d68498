/**
 * The admin console in Chromium: a tenant admin signs in through the hub itself with a password
 * and a TOTP code, finds a pupil, issues a new activation code, prints letters, blocks and
 * unblocks, creates a client and sees its secret once, prints a class's letters and one account's
 * (PDF read back with poppler), filters and exports the audit log (CSV read back), merges two
 * duplicates and undoes it, and checks the English pages and widths. Screenshots of every
 * page; axe on each kind of page.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { generate } from 'otplib';
import { grantRole } from '../../src/admin/grants.js';
import { hashPassword } from '../../src/auth/passwords.js';
import { SecretBox } from '../../src/auth/secret-box.js';
import { newTotpSecret } from '../../src/auth/totp.js';
import { hashActivationCode, verifyActivationCode } from '../../src/identity/activation-code.js';
import { CLI_OPERATOR } from '../../src/identity/actor.js';
import type { Account, PlatformStore } from '../../src/storage/ports/index.js';
import { startTestHub, type TestHub } from '../../testing/harness/hub.js';
import { onHub, signInLocally, submitForm, useBrowser, visit, waitForUrl, type BrowserContext, type Locator, type Page } from './harness.js';

const SECRETS_KEY = 'browser-admin-test secrets key, long enough to be a key';
const PASSWORD = 'une phrase de passe bien longue';
const totp = (secret: string, offsetSteps = 0) => generate({ secret, epoch: Math.floor(Date.now() / 1000) + offsetSteps * 30 });
/** An activation code as a letter prints it (`abcd-efgh`, from the code alphabet). */
const PRINTED_CODE = /\b[abcdefghjkmnprstvwxyz3-9]{4}-[abcdefghjkmnprstvwxyz3-9]{4}\b/g;

/** Clicks a control that answers with a file and returns the file's path once downloaded. */
async function downloadFrom(page: Page, control: Locator): Promise<{ path: string; name: string }> {
  const [download] = await Promise.all([page.waitForEvent('download'), control.click()]);
  const path = await download.path();
  if (!path) throw new Error(`the download of ${download.suggestedFilename()} failed: ${await download.failure()}`);
  return { path, name: download.suggestedFilename() };
}

/** The text of a PDF (poppler's pdftotext, layout kept) and its page count (pdfinfo). */
function readPdf(path: string): { text: string; pages: number } {
  const text = execFileSync('pdftotext', ['-layout', path, '-'], { encoding: 'utf8' });
  const info = execFileSync('pdfinfo', [path], { encoding: 'utf8' });
  return { text, pages: Number(/^Pages:\s+(\d+)/m.exec(info)?.[1]) };
}

/** A CSV file read by Python's csv module (RFC 4180 quoting, the BOM stripped by utf-8-sig). */
function readCsv(path: string): string[][] {
  const script = 'import csv, json, sys; print(json.dumps(list(csv.reader(open(sys.argv[1], encoding="utf-8-sig", newline="")))))';
  return JSON.parse(execFileSync('python3', ['-c', script, path], { encoding: 'utf8' })) as string[][];
}

describe('browser: the admin console', function () {
  this.timeout(90_000);
  const browser = useBrowser();
  let hub: TestHub;
  let store: PlatformStore;
  let totpSecret: string;
  let pupil: Account;
  let classmates: Account[];
  let twins: [Account, Account];
  let signedInState: Awaited<ReturnType<BrowserContext['storageState']>> | undefined;

  before(async function () {
    this.timeout(60_000);
    hub = await startTestHub({ config: { auth: { secretsKey: SECRETS_KEY, throttle: { baseDelayMs: 1, maxDelayMs: 8 } } } });
    store = hub.hub.store;
    const lille = store.forTenant('lille');
    const admin = await lille.accounts.create({ login: 'agnes.admin', profile: 'Personnel', firstName: 'Agnès', lastName: 'Administratrice', status: 'active', source: 'local', passwordHash: await hashPassword(PASSWORD) });
    totpSecret = newTotpSecret();
    await lille.mfa.startTotp(admin.id, new SecretBox(SECRETS_KEY, 'totp').seal(totpSecret));
    await lille.mfa.confirmTotp(admin.id, []);
    await grantRole(store, CLI_OPERATOR, { subjectKind: 'account', subject: 'agnes.admin', role: 'tenant-admin', tenantId: 'lille', uais: [] });
    const school = await lille.structures.upsert({ uai: '0591234K', name: 'Collège Jean-Moulin' });
    const klass = await lille.groups.upsert({ structureId: school.id, kind: 'class', code: '6A', name: '6e A' });
    classmates = [];
    for (let i = 0; i < 10; i += 1) {
      const account = await lille.accounts.create({
        login: `eleve.navigateur${i}`, profile: 'Student', firstName: i === 0 ? 'Zoé' : `Élève${i}`, lastName: i === 0 ? 'Lefèvre' : `Navigateur${i}`,
        status: 'pending', activationCodeHash: hashActivationCode('abcd-efgh'), source: 'local',
      });
      await lille.memberships.attachToStructure(account.id, school.id);
      await lille.memberships.addToGroup(account.id, klass.id);
      if (i === 0) pupil = account;
      classmates.push(account);
    }
    // One pupil imported twice (two directories): same names and birth date, two external ids.
    const twin = async (externalId: string) => {
      const account = await lille.accounts.create({ login: `lea.martin.${externalId}`, profile: 'Student', firstName: 'Léa', lastName: 'Martin', birthDate: '2013-05-04', externalId, status: 'active', source: 'ldap' });
      await lille.memberships.attachToStructure(account.id, school.id);
      return account;
    };
    twins = [await twin('ext-lea-1'), await twin('ext-lea-2')];
  });
  after(() => hub?.stop());

  /** The signed-in console of the first test (cookies only: a TOTP code is good once), in a new context. */
  async function signedIn(): Promise<Page> {
    if (!signedInState) throw new Error('the sign-in test did not pass');
    const context = await browser.newContext({ storageState: signedInState });
    return context.newPage();
  }

  it('signs in through the hub with a second factor and opens the tenant', async () => {
    const { page } = browser;
    await page.goto(`${hub.url}/admin`);
    await onHub(page, hub, /\/interaction\//);
    await visit(page, 'admin-sign-in', 'login');
    await signInLocally(page, 'agnes.admin', PASSWORD);
    await onHub(page, hub, /\/mfa/);
    await submitForm(page, '/mfa', { code: await totp(totpSecret) });
    await waitForUrl(page, (url) => url.pathname.startsWith('/admin/t/lille'), 'the console of lille');
    expect(await page.locator('h1').innerText()).to.not.equal('');
    await visit(page, 'admin-dashboard', 'admin-dashboard');
    signedInState = await page.context().storageState();
  });

  it('finds a pupil by an accent-less name prefix, issues a new code shown once, blocks and unblocks', async () => {
    const page = await signedIn();
    await page.goto(`${hub.url}/admin/t/lille/accounts`);
    await visit(page, 'admin-accounts-search', 'admin-accounts');
    await page.fill('input[name="q"]', 'lefevre z');
    await page.click('form[role="search"] button[type="submit"]');
    await waitForUrl(page, (url) => url.searchParams.get('q') === 'lefevre z', 'the search results');
    await visit(page, 'admin-accounts-results', 'admin-accounts-results');
    await page.click(`a[href$="/accounts/${pupil.id}"]`);
    await waitForUrl(page, (url) => url.pathname.endsWith(`/accounts/${pupil.id}`), 'the account page');
    await visit(page, 'admin-account', 'admin-account');

    await submitForm(page, '/activation-code');
    const code = (await page.locator('[data-code]').innerText()).trim();
    const stored = await store.accounts.findById(pupil.id);
    expect(verifyActivationCode(code, stored!.activationCodeHash!)).to.equal(true);
    await visit(page, 'admin-account-new-code', 'admin-new-code');

    await page.goto(`${hub.url}/admin/t/lille/accounts/${pupil.id}`);
    await submitForm(page, '/block');
    expect((await store.accounts.findById(pupil.id))!).to.include({ status: 'disabled', disabledReason: 'blocked' });
    await visit(page, 'admin-account-blocked');
    await submitForm(page, '/unblock');
    expect((await store.accounts.findById(pupil.id))!).to.include({ status: 'pending', disabledReason: null });
    const events = (await store.forTenant('lille').audit.list()).map((e) => e.type);
    expect(events).to.include.members(['activation.reset', 'account.blocked', 'account.unblocked']);
  });

  it('creates a client and shows its secret once', async () => {
    const page = await signedIn();
    await page.goto(`${hub.url}/admin/t/lille/clients`);
    await visit(page, 'admin-clients', 'admin-clients');
    await page.fill('input[name="clientId"]', 'lille-vie-scolaire');
    await page.fill('input[name="name"]', 'Vie scolaire');
    await page.fill('textarea[name="redirectUris"]', 'https://vie-scolaire.example/callback');
    await submitForm(page, '/clients');
    const secret = (await page.locator('[data-secret]').innerText()).trim();
    expect(secret).to.have.length.greaterThan(30);
    await visit(page, 'admin-client-secret', 'admin-client-secret');
    await page.goto(`${hub.url}/admin/t/lille/clients`);
    expect(await page.content()).not.to.include(secret);
  });

  it('prints the letters of a class, 8 a page, with new codes that replace the old ones', async () => {
    const page = await signedIn();
    await page.goto(`${hub.url}/admin/t/lille/letters`);
    await visit(page, 'admin-letters', 'admin-letters');
    // Read now, not in `before`: the earlier test may have issued a new code to one of them.
    const hashesBefore = await Promise.all(classmates.map(async (a) => (await store.accounts.findById(a.id))!.activationCodeHash!));
    const form = page.locator('form:has(input[name="kind"][value="class"])');
    await form.locator('[name="uai"]').fill('0591234K');
    await form.locator('[name="classCode"]').fill('6A');
    await form.locator('[name="perPage"]').selectOption('8');
    const file = await downloadFrom(page, form.locator('button[type="submit"]'));
    expect(file.name).to.match(/^lettres-lille-\d{4}-\d{2}-\d{2}\.pdf$/);
    const pdf = readPdf(file.path);
    expect(pdf.pages, '10 letters at 8 a page').to.equal(2);
    for (const a of classmates) expect(pdf.text).to.include(a.login);
    const codes = (pdf.text.match(PRINTED_CODE) ?? []).map((c) => c.replace('-', ''));
    expect(codes, 'one code per letter').to.have.length(10);
    for (const [i, a] of classmates.entries()) {
      const hash = (await store.accounts.findById(a.id))!.activationCodeHash!;
      expect(codes.filter((c) => verifyActivationCode(c, hash)), `the printed code of ${a.login}`).to.have.length(1);
      expect(hash).to.not.equal(hashesBefore[i]);
      expect(verifyActivationCode('abcd-efgh', hash), 'the code of before').to.equal(false);
    }
  });

  it('prints one account\'s letter from its page', async () => {
    const page = await signedIn();
    const account = classmates[3]!;
    await page.goto(`${hub.url}/admin/t/lille/accounts/${account.id}`);
    const file = await downloadFrom(page, page.locator('form:has(input[name="kind"][value="account"]) button[type="submit"]'));
    const pdf = readPdf(file.path);
    expect(pdf.pages).to.equal(1);
    expect(pdf.text).to.include(account.login);
    const codes = pdf.text.match(PRINTED_CODE) ?? [];
    expect(codes).to.have.length(1);
    expect(verifyActivationCode(codes[0]!, (await store.accounts.findById(account.id))!.activationCodeHash!)).to.equal(true);
    expect(pdf.text).to.not.include(classmates[4]!.login);
  });

  it('filters the audit log by type and exports the same filter as CSV and as JSON lines', async () => {
    const page = await signedIn();
    await page.goto(`${hub.url}/admin/t/lille/audit`);
    await visit(page, 'admin-audit', 'admin-audit');
    await page.fill('input[name="type"]', 'account.');
    await Promise.all([page.waitForEvent('framenavigated'), page.locator('form[method="get"] button[type="submit"]').click()]);
    await waitForUrl(page, (url) => url.searchParams.get('type') === 'account.', 'the filtered audit log');
    await visit(page, 'admin-audit-filtered');
    const types = await page.locator('main tbody tr td:nth-child(2)').allInnerTexts();
    expect(types).to.include('account.blocked');
    expect(types.every((t) => t.startsWith('account.')), types.join(', ')).to.equal(true);

    const file = await downloadFrom(page, page.locator('a[href*="/audit.csv"]'));
    const [header, ...rows] = readCsv(file.path);
    expect(header).to.deep.equal(['date', 'type', 'académie', 'compte', 'client', 'auteur', 'adresse IP', 'détails']);
    const csvTypes = rows.map((r) => r[1]!);
    expect(csvTypes).to.include.members(['account.blocked', 'account.unblocked']);
    expect(csvTypes.every((t) => t.startsWith('account.')), csvTypes.join(', ')).to.equal(true);
    const blocked = rows.find((r) => r[1] === 'account.blocked')!;
    expect(blocked[3]).to.equal(pupil.id);
    expect(JSON.parse(blocked[7]!)).to.include({ by: 'admin' });

    const jsonl = await downloadFrom(page, page.locator('a[href*="/audit.jsonl"]'));
    const events = readFileSync(jsonl.path, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as { type: string; accountId: string | null });
    expect(events.map((e) => e.type).sort()).to.deep.equal(csvTypes.slice().sort());
    expect(events.find((e) => e.type === 'account.blocked')).to.include({ accountId: pupil.id });

    // One type exactly: none of the others.
    await page.goto(`${hub.url}/admin/t/lille/audit?type=account.blocked`);
    const only = readCsv((await downloadFrom(page, page.locator('a[href*="/audit.csv"]'))).path).slice(1).map((r) => r[1]);
    expect(only).to.have.length.greaterThan(0);
    expect(new Set(only)).to.deep.equal(new Set(['account.blocked']));
  });

  it('draws the dashboard\'s sign-in chart as a named image', async () => {
    const page = await signedIn();
    await page.goto(`${hub.url}/admin/t/lille`);
    const chart = page.locator('figure.chart svg[role="img"]');
    expect(await chart.count()).to.equal(1);
    const name = await chart.getAttribute('aria-label');
    expect(name).to.match(/^Connexions par jour du \d{4}-\d{2}-\d{2} au \d{4}-\d{2}-\d{2}/);
    expect(await page.getByRole('img', { name: name! }).count()).to.equal(1);
    await visit(page, 'admin-dashboard-chart', 'admin-dashboard-chart');
  });

  it('merges two duplicates, keeping the first, and undoes the merge', async () => {
    const [first, other] = twins;
    const page = await signedIn();
    await page.goto(`${hub.url}/admin/t/lille/duplicates`);
    await visit(page, 'admin-duplicates', 'admin-duplicates');
    const keepFirst = `form[action$="/duplicates/merges"]:has(input[name="keepId"][value="${first.id}"]):has(input[name="otherId"][value="${other.id}"])`;
    expect(await page.locator(keepFirst).count(), 'the merge keeping the first').to.equal(1);
    await Promise.all([page.waitForEvent('framenavigated'), page.locator(`${keepFirst} button[type="submit"]`).click()]);
    await waitForUrl(page, (url) => url.pathname.endsWith('/duplicates') && url.searchParams.get('done') === 'merge', 'the duplicates after the merge');
    expect(await page.getByRole('status').innerText()).to.include('fusionnés');
    expect((await store.accounts.findById(other.id))!).to.include({ status: 'disabled', disabledReason: 'merged' });
    expect((await store.accounts.findById(first.id))!).to.include({ status: 'active', disabledReason: null });
    // The pair is no longer offered; the merge is listed with its undo.
    expect(await page.locator(keepFirst).count()).to.equal(0);
    await visit(page, 'admin-duplicates-merged', 'admin-duplicates-merged');

    const undo = page.locator('tr[data-merge] form[action$="/undo"]');
    expect(await undo.count()).to.equal(1);
    await Promise.all([page.waitForEvent('framenavigated'), undo.locator('button[type="submit"]').click()]);
    await waitForUrl(page, (url) => url.searchParams.get('done') === 'undo', 'the duplicates after the undo');
    expect((await store.accounts.findById(other.id))!).to.include({ status: 'active', disabledReason: null });
    expect(await page.locator(keepFirst).count(), 'the pair offered again').to.equal(1);
    expect(await page.locator('tr[data-merge] form[action$="/undo"]').count(), 'no second undo').to.equal(0);
    const events = (await store.forTenant('lille').audit.list()).map((e) => e.type);
    expect(events).to.include.members(['account.merged', 'account.merge_undone']);
  });

  it('shows the imports and the SAML services pages', async () => {
    const page = await signedIn();
    await page.goto(`${hub.url}/admin/t/lille/imports`);
    expect(await page.locator('h1').innerText()).to.equal('Imports');
    await visit(page, 'admin-imports', 'admin-imports');
    await page.goto(`${hub.url}/admin/t/lille/service-providers`);
    expect(await page.locator('h1').innerText()).to.equal('Services SAML');
    await visit(page, 'admin-service-providers', 'admin-service-providers');
  });

  it('speaks English with ?lang=en', async () => {
    const page = await signedIn();
    await page.goto(`${hub.url}/admin/t/lille/audit?lang=en`);
    expect(await page.locator('html').getAttribute('lang')).to.equal('en');
    expect(await page.locator('h1').innerText()).to.equal('Audit log');
    await visit(page, 'admin-audit-en', 'admin-audit-en');
  });

  it('has no horizontal scrollbar: the accounts page at 1280 px and on a tablet, every page on a phone', async () => {
    const accounts = '/accounts?q=navigateur&by=name';
    const checks: Array<[{ width: number; height: number }, string[]]> = [
      [{ width: 1280, height: 800 }, [accounts]],
      [{ width: 768, height: 1024 }, [accounts]],
      // Wide tables scroll in their own box, not the page (they once widened it to 1,280 px).
      [{ width: 390, height: 844 }, [accounts, '', '/audit', '/duplicates', '/service-providers', '/imports', '/letters', '/clients', `/accounts/${pupil.id}`]],
    ];
    let checked = 0;
    for (const [viewport, paths] of checks) {
      const context = await browser.newContext({ storageState: signedInState!, viewport });
      const page = await context.newPage();
      for (const path of paths) {
        await page.goto(`${hub.url}/admin/t/lille${path}`);
        expect(await page.locator('main h1').count(), `${path} rendered`).to.equal(1);
        if (path === accounts) expect(await page.locator('main tbody tr').count(), 'results shown').to.be.greaterThan(0);
        const { scroll, inner } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
        expect(scroll, `scrollWidth of ${path || 'the dashboard'} at ${viewport.width} px`).to.be.at.most(inner);
        checked += 1;
      }
    }
    expect(checked).to.equal(11);
  });

  it('refuses a console sign-in without a second factor for an account without one', async () => {
    const lille = store.forTenant('lille');
    await lille.accounts.create({ login: 'bob.sans2fa', profile: 'Personnel', firstName: 'Bob', lastName: 'Sans', status: 'active', source: 'local', passwordHash: await hashPassword(PASSWORD) });
    await grantRole(store, CLI_OPERATOR, { subjectKind: 'account', subject: 'bob.sans2fa', role: 'helpdesk', tenantId: 'lille', uais: [] });
    const { page } = browser;
    await page.goto(`${hub.url}/admin`);
    await onHub(page, hub, /\/interaction\//);
    await signInLocally(page, 'bob.sans2fa', PASSWORD);
    // The hub asks him to enrol a second factor before the console opens.
    await onHub(page, hub, /\/enrol/);
    await visit(page, 'admin-sign-in-enrol');
  });
});

