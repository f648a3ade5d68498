/**
 * `npm run educonnect:local`: a local stand-in for ÉduConnect, to try "Élève ou parent —
 * ÉduConnect" with the demo accounts. It is the SAML IdP of the federation tests (Debian's
 * python3-pysaml2, testing/harness/pysaml2/idp.py) in its "users" mode: a login form, then a signed,
 * encrypted assertion with ÉduConnect's attributes for the demo pupils and parents.
 *
 * Everything goes under data/educonnect-local/ (kept across runs, so the hub's view stays
 * valid): the hub's SP signing and encryption keys, the stand-in's key, its metadata (which the
 * hub reads: config/default.yaml), and the users. It then waits for the hub's SP metadata at
 * <hub>/federation/educonnect/metadata and gives it to the stand-in — the metadata exchange an
 * operator does with the real ÉduConnect. The hub needs no restart: it opens the connector at its
 * next retry (federation.retrySeconds) once the files are there.
 *
 *   npm run educonnect:local [-- --hub http://localhost:3000] [--port 3100] [--dir data/educonnect-local]
 *
 * Or EDUCONNECT_LOCAL_HUB, EDUCONNECT_LOCAL_PORT, EDUCONNECT_LOCAL_DIR. Ctrl-C stops it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../src/config/load.js';
import { loadTenants } from '../src/config/tenants.js';
import { LOCAL_STANDIN_DIR } from '../src/federation/config.js';
import { EDUCONNECT_ATTRIBUTES } from '../src/federation/profiles/educonnect.js';
import { DEMO_PASSWORD, demoFamilies } from '../src/dev/demo-seed.js';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const IDP_SCRIPT = join(PROJECT_ROOT, 'testing/harness/pysaml2/idp.py');
const CONNECTOR = 'educonnect';

const say = (line: string) => process.stdout.write(`${line}\n`);
const fail = (line: string): never => {
  process.stderr.write(`educonnect:local: ${line}\n`);
  process.exit(1);
};

function options() {
  let parsed;
  try {
    parsed = parseArgs({
      options: { hub: { type: 'string' }, port: { type: 'string' }, dir: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: false,
    }).values;
  } catch (err) {
    return fail(`${(err as Error).message} (see --help)`);
  }
  if (parsed.help) {
    say('usage: npm run educonnect:local [-- --hub URL] [--port N] [--dir FOLDER]');
    say('  --hub   the hub\'s URL (its issuer); default $EDUCONNECT_LOCAL_HUB, else $HUB_ISSUER, else http://localhost:${PORT:-3000}');
    say('  --port  the stand-in\'s port on 127.0.0.1; default $EDUCONNECT_LOCAL_PORT, else 3100');
    say('  --dir   where its files go; default $EDUCONNECT_LOCAL_DIR, else data/educonnect-local (config/default.yaml reads them there)');
    process.exit(0);
  }
  const env = process.env;
  const hub = (parsed.hub ?? env.EDUCONNECT_LOCAL_HUB ?? env.HUB_ISSUER ?? `http://localhost:${env.PORT ?? '3000'}`).replace(/\/$/, '');
  const port = Number(parsed.port ?? env.EDUCONNECT_LOCAL_PORT ?? '3100');
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`--port: not a port number: ${parsed.port ?? env.EDUCONNECT_LOCAL_PORT}`);
  try {
    new URL(hub);
  } catch {
    fail(`--hub: not a URL: ${hub}`);
  }
  const dir = resolve(PROJECT_ROOT, parsed.dir ?? env.EDUCONNECT_LOCAL_DIR ?? LOCAL_STANDIN_DIR);
  return { hub, port, dir };
}

async function checkTools(): Promise<void> {
  const missing: string[] = [];
  await run(PYTHON, ['-c', 'import saml2']).catch(() => missing.push('python3-pysaml2 (for /usr/bin/python3)'));
  await run('xmlsec1', ['--version']).catch(() => missing.push('xmlsec1'));
  await run('openssl', ['version']).catch(() => missing.push('openssl'));
  if (missing.length > 0) fail(`missing: ${missing.join(', ')}. On Debian/Ubuntu: sudo apt-get install python3-pysaml2 xmlsec1 openssl`);
}

/** A file written whole (a rename): the hub, reading it at any moment, never sees half of it. */
function writeWhole(file: string, content: string, mode = 0o644): void {
  writeFileSync(`${file}.tmp`, content, { mode });
  renameSync(`${file}.tmp`, file);
}

/** A self-signed RSA-2048 pair, made once and kept (the hub and the stand-in already trust it). */
async function keyPair(dir: string, name: string): Promise<{ key: string; cert: string; made: boolean }> {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  if (existsSync(key) && existsSync(cert)) return { key, cert, made: false };
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${key}.tmp`, '-out', `${cert}.tmp`, '-days', '3650', '-subj', `/CN=ent-sso-hub local ${name}`]);
  renameSync(`${key}.tmp`, key);
  renameSync(`${cert}.tmp`, cert);
  return { key, cert, made: true };
}

/** The demo pupils and parents as ÉduConnect would describe them (FrEduCtRefId → the hub's external ids). */
function users(): { file: Record<string, unknown>; table: string[] } {
  const tenants = loadTenants(join(PROJECT_ROOT, 'tenants'));
  const file: Record<string, unknown> = {};
  const table: string[] = [];
  for (const person of demoFamilies()) {
    const academyCode = tenants.find((tenant) => tenant.id === person.tenantId)?.academyCode;
    if (!academyCode) continue;
    const id = `demo-${person.login}`;
    const attributes: Record<string, string[]> = {
      [EDUCONNECT_ATTRIBUTES.id]: [id],
      [EDUCONNECT_ATTRIBUTES.affiliation]: [person.role === 'pupil' ? 'eleve2d' : 'resp2d'],
      [EDUCONNECT_ATTRIBUTES.lastName]: [person.lastName],
      [EDUCONNECT_ATTRIBUTES.givenName]: [person.firstName],
      [EDUCONNECT_ATTRIBUTES.refId]: [`{AAF}${academyCode}|X|${person.aafId}`],
      ...(person.role === 'pupil' ? { [EDUCONNECT_ATTRIBUTES.uai]: [person.uai] } : {}),
    };
    file[person.login] = { password: DEMO_PASSWORD, name_id: id, attributes };
    table.push(`  ${person.login.padEnd(15)} ${DEMO_PASSWORD}   ${person.role === 'pupil' ? 'élève' : 'parent'}, ${person.tenantId} (ENT account ${person.login}, external id ${person.externalId})`);
  }
  return { file, table };
}

type HubState = 'down' | 'no-metadata' | 'ok';

/** The hub's SP metadata for the connector, or why not yet. */
async function spMetadata(hub: string): Promise<{ state: HubState; xml?: string; detail: string }> {
  let res: Response;
  try {
    res = await fetch(`${hub}/federation/${CONNECTOR}/metadata`, { signal: AbortSignal.timeout(5_000) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
    return { state: 'down', detail: cause };
  }
  const body = await res.text();
  if (res.status === 200 && body.includes('EntityDescriptor')) return { state: 'ok', xml: body, detail: '' };
  return { state: 'no-metadata', detail: `HTTP ${res.status}` };
}

async function main(): Promise<void> {
  const { hub, port, dir } = options();
  await checkTools();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const shown = relative(process.cwd(), dir) || '.';

  // The hub's SP keys first (it publishes its metadata as soon as they exist), then the stand-in's.
  await keyPair(dir, 'sp-signing');
  await keyPair(dir, 'sp-encryption');
  const idpKeys = await keyPair(dir, 'idp');
  const { file: usersFile, table } = users();
  const usersPath = join(dir, 'users.json');
  writeWhole(usersPath, `${JSON.stringify(usersFile, null, 2)}\n`, 0o600);

  const base = `http://127.0.0.1:${port}`;
  const idpArgs = { base, port, entityid: `${base}/idp`, key: idpKeys.key, cert: idpKeys.cert };
  const metadataFile = join(dir, 'idp-metadata.xml');
  const fresh = `${metadataFile}.new`;
  await run(PYTHON, [IDP_SCRIPT, JSON.stringify({ ...idpArgs, mode: 'metadata', metadata_out: fresh })]).catch((err: Error & { stderr?: string }) => fail(`cannot write the IdP metadata: ${err.stderr ?? err.message}`));
  const previous = existsSync(metadataFile) ? readFileSync(metadataFile, 'utf8') : null;
  const next = readFileSync(fresh, 'utf8');
  rmSync(fresh, { force: true });
  if (previous !== next) writeWhole(metadataFile, next);
  if (previous !== null && previous !== next) say(`note: the stand-in's metadata changed (another --port?): restart a hub that had already read ${shown}/idp-metadata.xml.`);

  // The stand-in itself.
  let stopping = false;
  let stderr = '';
  const child: ChildProcess = spawn(PYTHON, [IDP_SCRIPT, JSON.stringify({ ...idpArgs, mode: 'serve', users: usersPath, metadata_out: metadataFile })], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  process.on('exit', () => child.exitCode === null && child.kill('SIGKILL'));
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    say('stopping the ÉduConnect stand-in…');
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  void exited.then((code) => {
    if (stopping) return;
    fail(/Address already in use/.test(stderr) ? `port ${port} is taken: choose another with --port (or EDUCONNECT_LOCAL_PORT)` : `the stand-in stopped (exit ${code}): ${stderr.trim()}`);
  });
  await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  // AES-GCM, as the hub accepts in production (pysaml2 would use 3DES).
  const scenario = await fetch(`${base}/scenario`, { method: 'POST', body: JSON.stringify({ data_encryption: 'aes128-gcm' }) });
  if (scenario.status !== 204) fail(`the stand-in refused its settings: HTTP ${scenario.status}`);
  say(`ÉduConnect stand-in listening on ${base} (files in ${shown}/).`);

  // The metadata exchange: the hub's SP metadata to the stand-in, again whenever it changes.
  let given: string | null = null;
  let said: string | null = null;
  const tell = (key: string, line: string) => {
    if (said !== key) say(line);
    said = key;
  };
  for (;;) {
    const { state, xml, detail } = await spMetadata(hub);
    if (state === 'down') tell('down', `waiting for the hub at ${hub} (${detail}): start it in another terminal with \`npm start\` (or give its URL with --hub)…`);
    else if (state === 'no-metadata') tell('no-metadata', `the hub at ${hub} does not publish ${CONNECTOR}'s SP metadata yet (${detail}): it reads ${shown}/ within federation.retrySeconds (15 s by default), if its config declares the ${CONNECTOR} connector with these files (config/default.yaml does)…`);
    else if (xml === given) tell('ok', `the hub at ${hub} answers again.`);
    else {
      const res = await fetch(`${base}/sp`, { method: 'POST', body: xml });
      if (res.status !== 204) fail(`the stand-in refused the hub's SP metadata: HTTP ${res.status} ${stderr.trim()}`);
      const first = given === null;
      given = xml!;
      said = 'ok';
      if (first) {
        say([
          '',
          `Ready. Open ${hub}/demo and choose « Élève ou parent — ÉduConnect » (if it still says « indisponible », reload within 15 s).`,
          'At the stand-in\'s login form, use one of these (login, password):',
          ...table,
          'Ctrl-C stops the stand-in.',
        ].join('\n'));
      } else {
        say('the hub\'s SP metadata changed: given to the stand-in again.');
      }
    }
    await new Promise((r) => setTimeout(r, given === null ? 1_000 : 10_000));
  }
}

await main();
