/** The development default: demo accounts and the /demo relying party, as a newcomer uses them. */
import { expect } from 'chai';
import { DEMO_ACTIVATION_CODE, DEMO_PASSWORD } from '../../src/dev/demo-seed.js';
import { Browser, formAction } from '../../testing/harness/browser.js';
import { startTestHub, type TestHub } from '../../testing/harness/hub.js';

describe('demo (development default)', function () {
  let hub: TestHub;
  before(async () => {
    hub = await startTestHub({ redis: 'memory', config: { demo: { seed: true } } });
  });
  after(() => hub?.stop());

  it('logs a demo pupil into the demo application through the real flow', async () => {
    const browser = new Browser();
    const never = 'no-stop:';
    const loginPage = await browser.follow(`${hub.url}/demo/login`, never);
    expect(loginPage.body).to.include('Application de démonstration');
    const consent = await browser.follow(formAction(loginPage, /\/login/), never, { form: { login: 'lea.martin', password: DEMO_PASSWORD } });
    const done = await browser.follow(formAction(consent, /\/confirm/), never, { form: {} });
    expect(done.status, done.body.slice(0, 500)).to.equal(200);
    expect(done.body).to.include('Bonjour Léa Martin').and.include('0590001F').and.include('National_1');
  });

  it('explains a refused consent instead of failing', async () => {
    const browser = new Browser();
    const never = 'no-stop:';
    const loginPage = await browser.follow(`${hub.url}/demo/login`, never);
    const consent = await browser.follow(formAction(loginPage, /\/login/), never, { form: { login: 'hugo.lefevre', password: DEMO_PASSWORD } });
    const refused = await browser.follow(formAction(consent, /\/abort/), never, { form: {} });
    expect(refused.status).to.equal(400);
    expect(refused.body).to.include('Connexion interrompue');
  });

  it('activates the pending demo pupil with the documented code, in memory-only mode', async () => {
    const browser = new Browser();
    const never = 'no-stop:';
    const loginPage = await browser.follow(`${hub.url}/demo/login`, never);
    const href = /href="([^"]*\/activate[^"]*)"/.exec(loginPage.body)![1]!.replace(/&amp;/g, '&');
    const activation = await browser.request(new URL(href, loginPage.url).href);
    const form = { login: 'tom.martin', code: DEMO_ACTIVATION_CODE, password: 'girafe bleue du nord', password2: 'girafe bleue du nord', terms: '2026-09', email: '' };
    const activated = await browser.follow(formAction(activation, /\/activate/), never, { form });
    // The hub confirms the activation on a page of its own, then goes on with the sign-in.
    expect(activated.url).to.match(/\/done\b/);
    const consent = await browser.follow(formAction(activated, /\/continue/), never, { form: {} });
    const done = await browser.follow(formAction(consent, /\/confirm/), never, { form: {} });
    expect(done.body).to.include('Bonjour Tom Martin');
  });

  it('seeds the demo data once, whatever the number of starts', async () => {
    const lille = hub.hub.store.forTenant('lille');
    const before = await lille.accounts.count();
    const { seedDemo } = await import('../../src/dev/demo-seed.js');
    const { createLogger } = await import('../../src/shared/logger.js');
    await seedDemo(hub.hub.store, createLogger('silent'));
    expect(await lille.accounts.count()).to.equal(before);
    expect(before).to.equal(5); // Léa, Sophie, Paul, Tom and the console's admin.lille
  });
});
