/**
 * Loads the configuration: `config/default.yaml`, then the file named by HUB_CONFIG, then
 * environment variables, validated at once. Every problem is collected and reported together
 * with its path, so an operator fixes a file in one pass. An issuer nobody set follows the
 * port and host the hub listens on (`derivedIssuer`).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { formatIssues } from '../shared/zod-issues.js';
import type { ConnectorSettingsCheck } from '../federation/config.js';
import { ConfigError } from '../shared/errors.js';
import { sha256Hex } from '../shared/ids.js';
import { configSchema, crossFieldIssues, type HubConfig } from './schema.js';

export const PROJECT_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
export const DEFAULT_CONFIG_FILE = resolve(PROJECT_ROOT, 'config/default.yaml');

type Tree = Record<string, unknown>;

/** Environment variable → config path. Values stay strings unless the field is a number or a list. */
const ENV_OVERRIDES: Record<string, { path: string[]; list?: boolean; number?: boolean; boolean?: boolean }> = {
  HUB_MODE: { path: ['mode'] },
  HUB_ISSUER: { path: ['issuer'] },
  PORT: { path: ['http', 'port'], number: true },
  HOST: { path: ['http', 'host'] },
  DATABASE_URL: { path: ['database', 'url'] },
  DATABASE_REPLICAS: { path: ['database', 'replicas'], list: true },
  REDIS_URL: { path: ['redis', 'url'] },
  HUB_KEYS_DIR: { path: ['keys', 'dir'] },
  HUB_TENANTS_DIR: { path: ['tenants', 'dir'] },
  LOG_LEVEL: { path: ['log', 'level'] },
  HUB_METRICS_ENABLED: { path: ['metrics', 'enabled'], boolean: true },
  HUB_METRICS_HOST: { path: ['metrics', 'host'] },
  HUB_METRICS_PORT: { path: ['metrics', 'port'], number: true },
  HUB_COOKIE_KEYS: { path: ['oidc', 'cookieKeys'], list: true },
  HUB_SECRETS_KEY: { path: ['auth', 'secretsKey'] },
};

/** Parses a YAML file into a plain object, or reports why it cannot. */
export function readYamlFile(file: string, issues: string[]): Tree {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    issues.push(`${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    return {};
  }
  const doc = YAML.parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) issues.push(`${file}: ${e.message.split('\n')[0]}`);
    return {};
  }
  const value: unknown = doc.toJS() ?? {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    issues.push(`${file}: must hold a mapping at the top level`);
    return {};
  }
  return value as Tree;
}

/** Zod issues as `path: message` lines. */
function isTree(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The second pass over the connector documents found at `path` (the connector registry's check of
 * each type's section), run even when the first found problems, so all are reported together.
 */
export function connectorSettingsIssues(documents: unknown, path: string, check: ConnectorSettingsCheck | undefined): string[] {
  if (!check || !Array.isArray(documents)) return [];
  return documents.flatMap((document, i) => (isTree(document) ? formatIssues(new z.ZodError(check(document))).map((issue) => `${path}.${i}.${issue}`) : []));
}

/** Merges `over` into `base`: mappings are merged key by key, anything else is replaced. */
export function deepMerge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isTree(current) && isTree(value) ? deepMerge(current, value) : value;
  }
  return out;
}

/** `true` / `false` (any case); anything else stays a string, so validation names it. */
function booleanOf(raw: string): boolean | string {
  const lower = raw.toLowerCase();
  return lower === 'true' ? true : lower === 'false' ? false : raw;
}

function applyEnv(tree: Tree, env: NodeJS.ProcessEnv): Tree {
  let out = tree;
  for (const [name, { path, list, number, boolean }] of Object.entries(ENV_OVERRIDES)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    // A non-numeric PORT stays a string, so validation names it instead of seeing NaN.
    const value = list ? raw.split(',').map((s) => s.trim()).filter(Boolean) : number && /^\d+$/.test(raw) ? Number(raw) : boolean ? booleanOf(raw) : raw;
    const patch = path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Tree;
    out = deepMerge(out, patch);
  }
  return out;
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  defaultFile?: string;
  /**
   * The connector registry's check of each connector's type and section (federation/index.ts:
   * defaultRegistry().settingsCheck). Without it, those are checked when the connector opens.
   */
  connectorSettings?: ConnectorSettingsCheck;
}

const DEFAULT_PORT = 3000;
const DEFAULT_HOST = '0.0.0.0';
/** Bind addresses meaning "every interface": the issuer then names this machine as `localhost`. */
const WILDCARD_HOSTS = new Set(['', '0.0.0.0', '::', '[::]', '::0']);

/**
 * The issuer of a hub reached directly on the port it listens on: `http://localhost:<port>`
 * (or `http://<host>:<port>` when it listens on one address only). Undefined when the port is
 * not a valid number (validation reports it) or is 0 (only known once listening).
 */
export function derivedIssuer(http: unknown): string | undefined {
  const settings = isTree(http) ? http : {};
  const port = settings.port ?? DEFAULT_PORT;
  const host = settings.host ?? DEFAULT_HOST;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535 || typeof host !== 'string') return undefined;
  const name = WILDCARD_HOSTS.has(host) ? 'localhost' : host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `http://${name}:${port}`;
}

/**
 * The issuer is explicit when HUB_ISSUER or the HUB_CONFIG file sets it, or when the default
 * file sets it to something else than what its own http settings derive (the shipped file
 * repeats the derived default `http://localhost:3000`, which must not pin the issuer to port 3000
 * when PORT changes). Otherwise it is derived from the final http settings.
 */
function applyIssuerDefault(tree: Tree, defaults: Tree, overrides: Tree | undefined, env: NodeJS.ProcessEnv, issues: string[]): Tree {
  if (env.HUB_ISSUER) return tree;
  if (overrides && 'issuer' in overrides) return tree;
  if ('issuer' in defaults && defaults.issuer !== derivedIssuer(defaults.http)) return tree;
  const http = isTree(tree.http) ? tree.http : {};
  if (http.port === 0) {
    issues.push('issuer: required when http.port is 0 (the port is only known once listening): set HUB_ISSUER');
    return tree;
  }
  const issuer = derivedIssuer(http);
  return issuer === undefined ? tree : { ...tree, issuer };
}

/**
 * The secrets of the sample clients of config/default.yaml. They are published (README, the
 * file's comments): a client with one of them is open to anyone who read the documentation.
 */
const DEMO_SECRETS = ['one-demo-secret', 'neo-demo-secret'];
const DEMO_SECRET_OF_HASH = new Map(DEMO_SECRETS.map((secret) => [sha256Hex(secret), secret]));

/**
 * Production clients are the operator's own. The samples of the default file would ride along
 * silently with a HUB_CONFIG that declares no `clients` (a list is replaced only when the
 * file names it), so they are refused as a whole; and no client may keep a published secret.
 */
function productionClientIssues(config: HubConfig, clientsFromDefaults: boolean): string[] {
  if (config.mode !== 'production') return [];
  if (clientsFromDefaults && config.clients.length > 0) {
    const ids = config.clients.map((c) => c.clientId).join(', ');
    return [`clients: the sample clients of the default configuration (${ids}) are not used in production: declare the platform's clients under clients in the HUB_CONFIG file (clients: [] for none)`];
  }
  return config.clients.flatMap((client, i) => {
    const secret = DEMO_SECRET_OF_HASH.get(client.secretSha256 ?? '');
    return secret === undefined ? [] : [`clients.${i}.secretSha256: "${client.clientId}" has the published demo secret "${secret}": give it a secret of its own (secretSha256 is the SHA-256 hex of the secret)`];
  });
}

/** Throws ConfigError listing every problem; never returns a half-valid config. */
export function loadConfig(options: LoadOptions = {}): HubConfig {
  const env = options.env ?? process.env;
  const issues: string[] = [];
  const defaults = readYamlFile(options.defaultFile ?? DEFAULT_CONFIG_FILE, issues);
  const overrides = env.HUB_CONFIG ? readYamlFile(resolve(env.HUB_CONFIG), issues) : undefined;
  let tree = overrides ? deepMerge(defaults, overrides) : defaults;
  tree = applyEnv(tree, env);
  tree = applyIssuerDefault(tree, defaults, overrides, env, issues);
  const parsed = configSchema.safeParse(tree);
  if (!parsed.success) issues.push(...formatIssues(parsed.error));
  else issues.push(...crossFieldIssues(parsed.data), ...productionClientIssues(parsed.data, !(overrides && 'clients' in overrides)));
  issues.push(...connectorSettingsIssues(isTree(tree.federation) ? tree.federation.connectors : undefined, 'federation.connectors', options.connectorSettings));
  if (issues.length > 0 || !parsed.success) throw new ConfigError('configuration', issues);
  return resolvePaths(parsed.data);
}

/** Relative folders in config are relative to the project root, not to the working directory. */
function resolvePaths(config: HubConfig): HubConfig {
  const sqlite = config.database.url.match(/^sqlite:(.+)$/);
  const url = sqlite && sqlite[1] !== ':memory:' ? `sqlite:${resolve(PROJECT_ROOT, sqlite[1]!)}` : config.database.url;
  return {
    ...config,
    database: { ...config.database, url },
    keys: { ...config.keys, dir: resolve(PROJECT_ROOT, config.keys.dir) },
    tenants: { ...config.tenants, dir: resolve(PROJECT_ROOT, config.tenants.dir) },
  };
}
