/** The browser harness checks itself: axe failures name the rule and the node; snap writes both widths. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { expectAccessible, expectNoBrowserProblems, SCREENSHOTS_DIR, snap, useBrowser, waitForUrl } from './harness.js';

const BAD_PAGE = `<!doctype html><html lang="en"><head><title>bad</title></head><body><main><h1>Bad</h1>
  <p class="faint" style="color:#bbb;background:#fff">hard to read</p><form><input name="unlabelled"></form></main></body></html>`;

describe('browser harness', function () {
  this.timeout(30_000);
  const browser = useBrowser();

  it('fails on serious or critical axe violations, naming the rule and the node, unless the rule is allowed', async () => {
    const { page } = browser;
    await page.setContent(BAD_PAGE);
    const error = await expectAccessible(page).then(() => null, (err: Error) => err);
    expect(error?.message).to.include('color-contrast (serious)').and.include('class="faint"').and.include('label (critical)');
    await expectAccessible(page, { allow: { 'color-contrast': 'test', label: 'test' } });
  });

  it('saves full-page screenshots at 390 and 1280 px', async () => {
    const { page } = browser;
    await page.setContent(BAD_PAGE);
    await snap(page, 'harness-self-test');
    for (const width of [390, 1280]) expect(existsSync(join(SCREENSHOTS_DIR, `harness-self-test-${width}.png`))).to.equal(true);
    expect(page.viewportSize()).to.deep.equal({ width: 1280, height: 800 });
  });

  it('explains a wait that timed out: where the browser is, its alert and its text', async () => {
    const { page } = browser;
    await page.setContent('<main><div role="alert">Identifiant ou mot de passe incorrect.</div><p>Connexion</p></main>');
    const error = await waitForUrl(page, () => false, "the RP's /callback", 200).then(() => null, (err: Error) => err);
    expect(error?.message).to.match(/^waited 200 ms for the RP's \/callback, but the browser is on about:blank\n  alert: Identifiant ou mot de passe incorrect\./);
  });

  it('reports a script error or a console error of the page', async () => {
    const { page } = browser;
    await page.setContent('<script>console.error("refused by CSP"); throw new Error("boom")</script>');
    expect(() => expectNoBrowserProblems(page)).to.throw(/console error on about:blank: refused by CSP[\s\S]*page error on about:blank: boom/);
    browser.allowConsoleErrors(/refused by CSP|boom/);
    expectNoBrowserProblems(page);
  });
});
