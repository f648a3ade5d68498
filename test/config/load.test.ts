import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG_FILE, PROJECT_ROOT, loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/shared/errors.js';
import { sha256Hex } from '../../src/shared/ids.js';

const COOKIE_A = 'a'.repeat(32);
const COOKIE_B = 'b'.repeat(40);

/** Every production setting but the configuration files. */
const PRODUCTION_ENV = {
  HUB_MODE: 'production',
  HUB_ISSUER: 'https://sso.hdf.example',
  REDIS_URL: 'rediss://cache.example:6380',
  DATABASE_URL: 'postgresql://hub@db.example/hub',
  HUB_SECRETS_KEY: COOKIE_A,
};

const SAMPLE_CLIENTS_ISSUE = 'clients: the sample clients of the default configuration (one, neo) are not used in production: declare the platform\'s clients under clients in the HUB_CONFIG file (clients: [] for none)';

let dir: string;
let n = 0;

/** Writes a YAML file in the test's temp folder and returns its path. */
function yaml(text: string, name = `f${++n}.yaml`): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** Runs `fn`, expects a ConfigError and returns its issues. */
function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    const error = err as ConfigError;
    // The message repeats every issue, for the CLI's one `hub: …` report.
    for (const issue of error.issues) expect(error.message).to.include(issue);
    return error.issues;
  }
  expect.fail('expected a ConfigError');
}

describe('config/load', () => {
  let empty: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-config-'));
    empty = yaml('', 'empty.yaml');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('defaults', () => {
    it('applies the schema defaults to an empty default file', () => {
      const config = loadConfig({ env: {}, defaultFile: empty });
      expect(config.mode).to.equal('development');
      expect(config.issuer).to.equal('http://localhost:3000');
      expect(config.http).to.deep.equal({ port: 3000, host: '0.0.0.0', trustProxy: false, maxBodyBytes: 16384, shutdownGraceSeconds: 10 });
      expect(config.database.url).to.equal(`sqlite:${join(PROJECT_ROOT, 'data/hub.sqlite')}`);
      expect(config.redis).to.deep.equal({ keyPrefix: 'hub:' });
      expect(config.log.level).to.equal('info');
      expect(config.oidc.pkce).to.equal('all');
      expect(config.oidc.cookieKeys).to.equal(undefined);
      expect(config.oidc.ttl.authorizationCode).to.equal(60);
      expect(config.oidc.ttl.refreshToken).to.equal(14 * 24 * 3600);
      expect(config.clients).to.deep.equal([]);
      expect(config.demo.seed).to.equal(false);
    });

    it('loads the shipped config/default.yaml', () => {
      const config = loadConfig({ env: {}, defaultFile: DEFAULT_CONFIG_FILE });
      expect(config.demo.seed).to.equal(true);
      expect(config.clients.map((c) => c.clientId)).to.deep.equal(['one', 'neo']);
      expect(config.clients.every((c) => c.firstParty && c.secretSha256 !== undefined)).to.equal(true);
      expect(config.oidc.resources[0]).to.include({ indicator: 'https://api.neo.example/', signingAlg: 'ES256', accessTokenTtl: 3600 });
    });

    it('reads config/default.yaml and process.env when called without options', () => {
      const saved = { ...process.env };
      try {
        for (const name of Object.keys(process.env)) if (/^(HUB_.*|PORT|HOST|DATABASE_URL|REDIS_URL|LOG_LEVEL)$/.test(name)) delete process.env[name];
        process.env.PORT = '4321';
        const config = loadConfig();
        expect(config.http.port).to.equal(4321);
        expect(config.clients.map((c) => c.clientId)).to.include('one');
      } finally {
        for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
        Object.assign(process.env, saved);
      }
    });
  });

  describe('HUB_CONFIG and environment', () => {
    it('merges the HUB_CONFIG file over the default file, mapping by mapping', () => {
      const base = yaml('issuer: https://base.example\nhttp:\n  port: 4000\n  host: 127.0.0.1\nclients:\n  - clientId: one\n    name: ONE\n    redirectUris: [https://one.example/cb]\n');
      const over = yaml('http:\n  port: 5000\nclients: []\nlog:\n  level: warn\n');
      const config = loadConfig({ env: { HUB_CONFIG: over }, defaultFile: base });
      expect(config.issuer).to.equal('https://base.example');
      expect(config.http.port).to.equal(5000);
      expect(config.http.host).to.equal('127.0.0.1', 'sibling keys of a merged mapping are kept');
      expect(config.clients).to.deep.equal([], 'lists are replaced, not concatenated');
      expect(config.log.level).to.equal('warn');
    });

    it('applies environment overrides over both files', () => {
      const over = yaml('http:\n  port: 5000\nissuer: https://file.example\n');
      const config = loadConfig({
        env: {
          HUB_CONFIG: over,
          PORT: '8081',
          HOST: 'localhost',
          DATABASE_URL: 'postgres://hub@db.example:5432/hub',
          REDIS_URL: 'redis://cache.example:6379/2',
          HUB_ISSUER: 'https://sso.example.fr',
          LOG_LEVEL: 'debug',
          HUB_COOKIE_KEYS: ` ${COOKIE_A} ,${COOKIE_B},, `,
        },
        defaultFile: empty,
      });
      expect(config.http.port).to.equal(8081);
      expect(config.http.host).to.equal('localhost');
      expect(config.database.url).to.equal('postgres://hub@db.example:5432/hub');
      expect(config.redis.url).to.equal('redis://cache.example:6379/2');
      expect(config.issuer).to.equal('https://sso.example.fr');
      expect(config.log.level).to.equal('debug');
      expect(config.oidc.cookieKeys).to.deep.equal([COOKIE_A, COOKIE_B]);
    });

    it('ignores empty environment variables', () => {
      const config = loadConfig({ env: { PORT: '', REDIS_URL: '', HUB_ISSUER: '' }, defaultFile: empty });
      expect(config.http.port).to.equal(3000);
      expect(config.redis.url).to.equal(undefined);
      expect(config.issuer).to.equal('http://localhost:3000');
    });

    it('rejects invalid environment values with the config path they feed', () => {
      const issues = issuesOf(() =>
        loadConfig({ env: { PORT: 'eighty', REDIS_URL: 'http://cache', HUB_ISSUER: 'not a url', HUB_COOKIE_KEYS: 'short' }, defaultFile: empty }));
      expect(issues.some((i) => i.startsWith('http.port:'))).to.equal(true, issues.join('\n'));
      expect(issues.some((i) => i.startsWith('redis.url:'))).to.equal(true, issues.join('\n'));
      expect(issues.some((i) => i.startsWith('issuer:'))).to.equal(true, issues.join('\n'));
      expect(issues.some((i) => /^oidc\.cookieKeys\.0: .*32/.test(i))).to.equal(true, issues.join('\n'));
      expect(issues).to.have.length(4);
    });

    it('turns the metrics listener on and places it from the environment, and names a wrong value', () => {
      expect(loadConfig({ env: {}, defaultFile: DEFAULT_CONFIG_FILE }).metrics, 'off and on loopback by default').to.deep.equal({ enabled: false, host: '127.0.0.1', port: 9464 });
      const config = loadConfig({ env: { HUB_METRICS_ENABLED: 'TRUE', HUB_METRICS_HOST: '0.0.0.0', HUB_METRICS_PORT: '9100' }, defaultFile: empty });
      expect(config.metrics).to.deep.equal({ enabled: true, host: '0.0.0.0', port: 9100 });
      expect(loadConfig({ env: { HUB_METRICS_ENABLED: 'false' }, defaultFile: DEFAULT_CONFIG_FILE }).metrics.enabled).to.equal(false);
      const issues = issuesOf(() => loadConfig({ env: { HUB_METRICS_ENABLED: 'yes', HUB_METRICS_PORT: 'ninety' }, defaultFile: empty }));
      expect(issues.map((i) => i.split(':')[0])).to.have.members(['metrics.enabled', 'metrics.port']);
    });

    it('rejects a port out of range', () => {
      const issues = issuesOf(() => loadConfig({ env: { PORT: '65536' }, defaultFile: empty }));
      expect(issues).to.have.length(1);
      expect(issues[0]).to.match(/^http\.port: .*65535/);
    });

    it('reports a HUB_CONFIG file that does not exist', () => {
      const missing = join(dir, 'nope.yaml');
      const issues = issuesOf(() => loadConfig({ env: { HUB_CONFIG: missing }, defaultFile: empty }));
      expect(issues).to.deep.equal([`${missing}: cannot be read (ENOENT)`]);
    });

    it('keeps a digits-only HUB_KEYS_DIR / HUB_TENANTS_DIR as a folder name', () => {
      const config = loadConfig({ env: { HUB_KEYS_DIR: '2024', HUB_TENANTS_DIR: '09' }, defaultFile: empty });
      expect(config.keys.dir).to.equal(join(PROJECT_ROOT, '2024'));
      expect(config.tenants.dir).to.equal(join(PROJECT_ROOT, '09'));
    });
  });

  describe('validation', () => {
    it('rejects an unknown key and names its path', () => {
      const issues = issuesOf(() => loadConfig({ env: { HUB_CONFIG: yaml('http:\n  prot: 3000\n') }, defaultFile: empty }));
      expect(issues).to.have.length(1);
      expect(issues[0]).to.equal('http.prot: unknown key');
    });

    it('rejects an unknown top-level key', () => {
      const issues = issuesOf(() => loadConfig({ env: {}, defaultFile: yaml('issuer: https://x.example\nisuer: https://typo.example\n') }));
      expect(issues).to.have.length(1);
      expect(issues[0]).to.include('isuer');
    });

    it('reports several problems at once, each with its path', () => {
      const file = yaml('mode: staging\nhttp:\n  prot: 1\n  port: "80"\noidc:\n  ttl:\n    session: -5\n');
      const issues = issuesOf(() => loadConfig({ env: {}, defaultFile: file }));
      expect(issues.some((i) => /^mode: .*development/.test(i)), 'bad enum').to.equal(true);
      expect(issues.some((i) => i.startsWith('http.port: ')), 'wrong type').to.equal(true);
      expect(issues).to.include('http.prot: unknown key');
      expect(issues.some((i) => i.startsWith('oidc.ttl.session: ')), 'negative ttl').to.equal(true);
      expect(issues).to.have.length(4);
    });

    it('reports problems of the default file and of HUB_CONFIG together', () => {
      const base = yaml('log:\n  level: loud\n', 'base.yaml');
      const over = yaml('database:\n  url: mysql://db/hub\n', 'over.yaml');
      const issues = issuesOf(() => loadConfig({ env: { HUB_CONFIG: over }, defaultFile: base }));
      expect(issues.map((i) => i.split(':')[0])).to.have.members(['log.level', 'database.url']);
    });

    it('reports malformed YAML with the file name', () => {
      const bad = yaml('http:\n  port: [3000\n', 'broken.yaml');
      const issues = issuesOf(() => loadConfig({ env: { HUB_CONFIG: bad }, defaultFile: empty }));
      expect(issues.length).to.be.greaterThan(0);
      for (const issue of issues) expect(issue.startsWith(`${bad}: `)).to.equal(true, issue);
    });

    it('reports malformed YAML together with the problems of the other file', () => {
      const base = yaml('log:\n  level: loud\n', 'base.yaml');
      const bad = yaml('issuer: [\n', 'broken.yaml');
      const issues = issuesOf(() => loadConfig({ env: { HUB_CONFIG: bad }, defaultFile: base }));
      expect(issues.some((i) => i.startsWith(`${bad}: `))).to.equal(true, issues.join('\n'));
      expect(issues.some((i) => i.startsWith('log.level: '))).to.equal(true, issues.join('\n'));
    });

    it('reports a YAML file that is not a mapping, and duplicate keys', () => {
      const list = yaml('- a\n- b\n', 'list.yaml');
      expect(issuesOf(() => loadConfig({ env: {}, defaultFile: list }))).to.deep.equal([`${list}: must hold a mapping at the top level`]);
      const dup = yaml('mode: development\nmode: production\n', 'dup.yaml');
      const issues = issuesOf(() => loadConfig({ env: {}, defaultFile: dup }));
      expect(issues).to.have.length(1);
      expect(issues[0]).to.match(new RegExp(`^${dup}: .*unique`, 'i'));
    });

    it('validates client declarations', () => {
      const file = yaml('clients:\n  - clientId: Bad Id\n    name: X\n    redirectUris: [not-a-url]\n    secretSha256: abc\n');
      const issues = issuesOf(() => loadConfig({ env: {}, defaultFile: file }));
      expect(issues.map((i) => i.split(':')[0])).to.have.members(['clients.0.clientId', 'clients.0.redirectUris.0', 'clients.0.secretSha256']);
    });
  });

  describe('issuer', () => {
    it('follows PORT when no one sets it (the shipped default file repeats the derived default)', () => {
      expect(loadConfig({ env: { PORT: '3456' }, defaultFile: DEFAULT_CONFIG_FILE }).issuer).to.equal('http://localhost:3456');
      expect(loadConfig({ env: { PORT: '3456' }, defaultFile: empty }).issuer).to.equal('http://localhost:3456');
      expect(loadConfig({ env: {}, defaultFile: DEFAULT_CONFIG_FILE }).issuer).to.equal('http://localhost:3000');
    });

    it('keeps HUB_ISSUER, whatever the port', () => {
      const config = loadConfig({ env: { PORT: '3456', HUB_ISSUER: 'https://sso.hdf.example' }, defaultFile: DEFAULT_CONFIG_FILE });
      expect(config.issuer).to.equal('https://sso.hdf.example');
      expect(config.http.port).to.equal(3456);
    });

    it('keeps an issuer set in the HUB_CONFIG file, or set in the default file to another URL', () => {
      const over = yaml('issuer: http://hub.lan:8080\n');
      expect(loadConfig({ env: { HUB_CONFIG: over, PORT: '3456' }, defaultFile: DEFAULT_CONFIG_FILE }).issuer).to.equal('http://hub.lan:8080');
      const pinned = yaml('issuer: http://localhost:3000\n', 'pinned.yaml');
      expect(loadConfig({ env: { HUB_CONFIG: pinned, PORT: '3456' }, defaultFile: empty }).issuer).to.equal('http://localhost:3000', 'an operator may pin it, even to the default');
      const base = yaml('issuer: https://base.example\n');
      expect(loadConfig({ env: { PORT: '3456' }, defaultFile: base }).issuer).to.equal('https://base.example');
    });

    it('follows the port and the host of the config files', () => {
      expect(loadConfig({ env: { HUB_CONFIG: yaml('http:\n  port: 4000\n') }, defaultFile: DEFAULT_CONFIG_FILE }).issuer).to.equal('http://localhost:4000');
      expect(loadConfig({ env: {}, defaultFile: yaml('http:\n  port: 4001\n  host: 127.0.0.1\n') }).issuer).to.equal('http://127.0.0.1:4001');
    });

    it('names a single bound address, IPv6 in brackets; every interface is localhost', () => {
      const issuer = (host: string) => loadConfig({ env: { PORT: '8080', HOST: host }, defaultFile: DEFAULT_CONFIG_FILE }).issuer;
      expect(issuer('127.0.0.1')).to.equal('http://127.0.0.1:8080');
      expect(issuer('hub.local')).to.equal('http://hub.local:8080');
      expect(issuer('::1')).to.equal('http://[::1]:8080');
      expect(issuer('0.0.0.0')).to.equal('http://localhost:8080');
      expect(issuer('::')).to.equal('http://localhost:8080');
    });

    it('asks for an issuer when the port is 0 (only known once listening)', () => {
      const issues = issuesOf(() => loadConfig({ env: { PORT: '0' }, defaultFile: DEFAULT_CONFIG_FILE }));
      expect(issues).to.deep.equal(['issuer: required when http.port is 0 (the port is only known once listening): set HUB_ISSUER']);
      expect(loadConfig({ env: { PORT: '0', HUB_ISSUER: 'http://127.0.0.1:9999' }, defaultFile: empty }).issuer).to.equal('http://127.0.0.1:9999');
    });

    it('is still refused over http in production, with the variable to set', () => {
      const issues = issuesOf(() => loadConfig({ env: { HUB_MODE: 'production', PORT: '8443' }, defaultFile: DEFAULT_CONFIG_FILE }));
      expect(issues).to.include('issuer: must be an https:// URL in production (set HUB_ISSUER to the public address of the hub)');
    });
  });

  describe('production mode', () => {
    it('lists every unsafe setting', () => {
      const file = yaml('demo:\n  seed: true\n');
      const issues = issuesOf(() => loadConfig({ env: { HUB_MODE: 'production' }, defaultFile: file }));
      expect(issues.map((i) => i.split(':')[0])).to.have.members(['issuer', 'redis.url', 'auth.secretsKey', 'demo.seed', 'database.url'], 'cookie keys come from the store: HUB_COOKIE_KEYS is not required');
    });

    it('refuses the shipped defaults in production, the local ÉduConnect stand-in included', () => {
      const issues = issuesOf(() => loadConfig({ env: { HUB_MODE: 'production' }, defaultFile: DEFAULT_CONFIG_FILE }));
      expect(issues).to.have.length(7);
      expect(issues).to.include(SAMPLE_CLIENTS_ISSUE);
      expect(issues).to.include('federation.connectors.0: "educonnect" is the local ÉduConnect stand-in of development (data/educonnect-local): declare the real connector under federation.connectors in the HUB_CONFIG file');
    });

    it('takes the ÉduConnect connector of the HUB_CONFIG file over the development stand-in', () => {
      const real = { idpMetadata: { file: '/etc/hub/educonnect-metadata.xml' }, signing: { keyFile: '/etc/hub/sp.key', certFile: '/etc/hub/sp.crt' }, encryption: { keyFile: '/etc/hub/sp-enc.key', certFile: '/etc/hub/sp-enc.crt' } };
      const file = yaml(`federation:\n  connectors:\n    - ${JSON.stringify({ id: 'educonnect', type: 'saml', displayName: 'ÉduConnect', enabled: true, saml: real })}\n`, 'prod.yaml');
      const issues = issuesOf(() => loadConfig({ env: { HUB_MODE: 'production', HUB_CONFIG: file }, defaultFile: DEFAULT_CONFIG_FILE }));
      expect(issues.filter((i) => i.startsWith('federation.'))).to.deep.equal([]);
      expect(issues).to.have.length(6);
      expect(issues).to.include(SAMPLE_CLIENTS_ISSUE, 'a HUB_CONFIG without clients keeps the samples');
    });

    it('refuses a client with a published demo secret, wherever it is declared', () => {
      const neo = { clientId: 'neo', name: 'NEO', secretSha256: sha256Hex('neo-demo-secret'), redirectUris: ['https://neo.example/cb'] };
      const own = { clientId: 'one', name: 'ONE', secretSha256: sha256Hex('a secret of its own, long enough'), redirectUris: ['https://one.example/cb'] };
      const file = yaml(`clients:\n  - ${JSON.stringify(own)}\n  - ${JSON.stringify({ ...neo, secretSha256: sha256Hex('one-demo-secret') })}\n`);
      const issues = issuesOf(() => loadConfig({ env: { ...PRODUCTION_ENV, HUB_CONFIG: file }, defaultFile: DEFAULT_CONFIG_FILE }));
      expect(issues.filter((i) => i.startsWith('clients'))).to.deep.equal([
        'clients.1.secretSha256: "neo" has the published demo secret "one-demo-secret": give it a secret of its own (secretSha256 is the SHA-256 hex of the secret)',
      ]);
      // The same clients outside production: development keeps its samples.
      const dev = loadConfig({ env: { HUB_CONFIG: yaml(`clients:\n  - ${JSON.stringify(neo)}\n`) }, defaultFile: DEFAULT_CONFIG_FILE });
      expect(dev.clients.map((c) => c.clientId)).to.deep.equal(['neo']);
    });

    it('refuses the default file\'s sample clients in production, even with other secrets; a HUB_CONFIG declaring clients replaces them', () => {
      const base = yaml(`demo:\n  seed: false\nclients:\n  - ${JSON.stringify({ clientId: 'one', name: 'ONE', secretSha256: 'c'.repeat(64), redirectUris: ['https://one.example/cb'] })}\n`);
      expect(issuesOf(() => loadConfig({ env: PRODUCTION_ENV, defaultFile: base }))).to.deep.equal([
        'clients: the sample clients of the default configuration (one) are not used in production: declare the platform\'s clients under clients in the HUB_CONFIG file (clients: [] for none)',
      ]);
      expect(loadConfig({ env: { ...PRODUCTION_ENV, HUB_CONFIG: yaml('clients: []\n') }, defaultFile: base }).clients).to.deep.equal([]);
      const own = { clientId: 'ent', name: 'ENT', secretSha256: 'd'.repeat(64), redirectUris: ['https://ent.example/cb'] };
      const config = loadConfig({ env: { ...PRODUCTION_ENV, HUB_CONFIG: yaml(`clients:\n  - ${JSON.stringify(own)}\n`) }, defaultFile: base });
      expect(config.clients.map((c) => c.clientId)).to.deep.equal(['ent']);
    });

    it('accepts a complete production setup', () => {
      const config = loadConfig({
        env: PRODUCTION_ENV,
        defaultFile: yaml('demo:\n  seed: false\n'),
      });
      expect(config.mode).to.equal('production');
      expect(config.database.url).to.equal('postgresql://hub@db.example/hub');
    });

  });

  describe('paths', () => {
    const cwd = process.cwd();
    afterEach(() => process.chdir(cwd));

    it('resolves relative folders and SQLite files against the project root, not the working directory', () => {
      process.chdir(dir);
      const config = loadConfig({ env: { HUB_KEYS_DIR: 'secrets/keys', HUB_TENANTS_DIR: './my-tenants', DATABASE_URL: 'sqlite:var/hub.db' }, defaultFile: empty });
      expect(config.keys.dir).to.equal(join(PROJECT_ROOT, 'secrets/keys'));
      expect(config.tenants.dir).to.equal(join(PROJECT_ROOT, 'my-tenants'));
      expect(config.database.url).to.equal(`sqlite:${join(PROJECT_ROOT, 'var/hub.db')}`);
    });

    it('keeps absolute folders, :memory: and PostgreSQL URLs as they are', () => {
      const keys = join(dir, 'k');
      expect(loadConfig({ env: { HUB_KEYS_DIR: keys }, defaultFile: empty }).keys.dir).to.equal(keys);
      expect(loadConfig({ env: { DATABASE_URL: `sqlite:${keys}/x.db` }, defaultFile: empty }).database.url).to.equal(`sqlite:${keys}/x.db`);
      expect(loadConfig({ env: { DATABASE_URL: 'sqlite::memory:' }, defaultFile: empty }).database.url).to.equal('sqlite::memory:');
      expect(loadConfig({ env: { DATABASE_URL: 'postgres://u@h/db' }, defaultFile: empty }).database.url).to.equal('postgres://u@h/db');
    });

    it('resolves a relative HUB_CONFIG against the working directory', () => {
      yaml('log:\n  level: error\n', 'local.yaml');
      process.chdir(dir);
      expect(loadConfig({ env: { HUB_CONFIG: 'local.yaml' }, defaultFile: empty }).log.level).to.equal('error');
    });
  });
});
