/**
 * The GAR package and its SFTP delivery, against a real OpenSSH sshd on loopback: what arrives
 * unpacks to the files sent, and every failure (host key, client key, server down before or
 * during the upload, missing remote folder) is refused or retried without a file the GAR could
 * take for complete.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { GarDeliveryFailed, GarPackageFailed } from '../../src/gar/delivery/errors.js';
import { packageExport, type ExportPackage } from '../../src/gar/delivery/package.js';
import { deliver, type DeliveryRequest } from '../../src/gar/delivery/sftp.js';
import { generateSshKey, startSshd, type Sshd } from '../../testing/harness/sshd.js';

const md5Of = (file: string): string => createHash('md5').update(readFileSync(file)).digest('hex');

async function unpack(archive: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const extract = tar.extract();
  const reading = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      files.set(entry.header.name, Buffer.concat(chunks));
    }
  })();
  await Promise.all([pipeline(createReadStream(archive), createGunzip(), extract), reading]);
  return files;
}

async function rejection(promise: Promise<unknown>): Promise<GarDeliveryFailed> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(GarDeliveryFailed);
    return err as GarDeliveryFailed;
  }
  throw new Error('the delivery was expected to fail');
}

describe('GAR package and SFTP delivery (real sshd)', function () {
  this.timeout(30_000);
  let work: string;
  let sshd: Sshd;
  let pkg: ExportPackage;
  const contents = new Map<string, Buffer>([
    ['GAR-ENT-Etab_0001.xml', Buffer.from('<men:GAR-ENT-Etab xmlns:men="http://data.education.fr/ns/gar"/>\n')],
    ['GAR-ENT-Eleve_0001.xml', Buffer.from('<men:GAR-ENT-Eleve xmlns:men="http://data.education.fr/ns/gar">é</men:GAR-ENT-Eleve>\n')],
    ['GAR-ENT-Eleve_0002.xml', randomBytes(1_500_000)],
  ]);

  /** A delivery of the shared package to `server`, failing fast. */
  const request = (server: Sshd, overrides: Partial<DeliveryRequest> = {}): DeliveryRequest => ({
    host: server.host,
    port: server.port,
    username: server.username,
    privateKey: server.clientPrivateKey,
    knownHosts: server.hostPublicKey,
    remoteDir: server.rootDir,
    files: [pkg.archive, pkg.md5],
    retries: 2,
    retryDelayMs: 100,
    timeoutMs: 5000,
    ...overrides,
  });

  const remoteNames = (server: Sshd): string[] => readdirSync(server.rootDir).sort();
  const emptyRemote = (server: Sshd): void => {
    for (const name of readdirSync(server.rootDir)) rmSync(join(server.rootDir, name));
  };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'gar-delivery-'));
    for (const [name, data] of contents) writeFileSync(join(work, name), data);
    [sshd, pkg] = await Promise.all([
      startSshd(),
      packageExport({ files: [...contents.keys()].map((name) => join(work, name)), outDir: work, name: 'GAR-ENT_T1_20261207' }),
    ]);
  });
  after(async () => {
    await sshd?.stop();
    rmSync(work, { recursive: true, force: true });
  });
  afterEach(() => emptyRemote(sshd));

  it('packs the files into a tar.gz with an md5sum file, under their final names only', () => {
    expect(pkg.archive).to.equal(join(work, 'GAR-ENT_T1_20261207.tar.gz'));
    expect(pkg.bytes).to.equal(statSync(pkg.archive).size);
    expect(readFileSync(pkg.md5, 'utf8')).to.equal(`${md5Of(pkg.archive)}  GAR-ENT_T1_20261207.tar.gz\n`);
    expect(readdirSync(work).filter((name) => name.endsWith('.part'))).to.deep.equal([]);
  });

  it('refuses two files of the same name (the archive keeps base names)', async () => {
    const other = mkdtempSync(join(work, 'other-'));
    writeFileSync(join(other, 'GAR-ENT-Etab_0001.xml'), 'x');
    const files = [join(work, 'GAR-ENT-Etab_0001.xml'), join(other, 'GAR-ENT-Etab_0001.xml')];
    const error = await packageExport({ files, outDir: work, name: 'dup' }).catch((err: unknown) => err);
    expect(error).to.be.instanceOf(GarPackageFailed);
    expect(existsSync(join(work, 'dup.tar.gz'))).to.equal(false);
  });

  it('delivers the archive and its .md5, which check and unpack to the files sent; no .part is left', async () => {
    // The known_hosts form of the pin (the harness gives the .pub form).
    const report = await deliver(request(sshd, { knownHosts: `[${sshd.host}]:${sshd.port} ${sshd.hostPublicKey}\n` }));
    expect(report.attempts).to.equal(1);
    expect(remoteNames(sshd)).to.deep.equal(['GAR-ENT_T1_20261207.tar.gz', 'GAR-ENT_T1_20261207.tar.gz.md5']);
    const remoteArchive = join(sshd.rootDir, 'GAR-ENT_T1_20261207.tar.gz');
    expect(readFileSync(`${remoteArchive}.md5`, 'utf8')).to.equal(`${md5Of(remoteArchive)}  GAR-ENT_T1_20261207.tar.gz\n`);
    await promisify(execFile)('md5sum', ['-c', 'GAR-ENT_T1_20261207.tar.gz.md5'], { cwd: sshd.rootDir });
    expect(await unpack(remoteArchive)).to.deep.equal(contents);
  });

  it('overwrites a .part left by a failed try, and replaces a package delivered before', async () => {
    const remoteArchive = join(sshd.rootDir, 'GAR-ENT_T1_20261207.tar.gz');
    writeFileSync(`${remoteArchive}.part`, randomBytes(pkg.bytes + 100_000));
    writeFileSync(remoteArchive, 'an older delivery');
    await deliver(request(sshd));
    expect(remoteNames(sshd)).to.deep.equal(['GAR-ENT_T1_20261207.tar.gz', 'GAR-ENT_T1_20261207.tar.gz.md5']);
    expect(md5Of(remoteArchive)).to.equal(md5Of(pkg.archive));
  });

  it('matches a hashed known_hosts line, and refuses to connect when no pinned key names the server', async () => {
    const knownHostsFile = join(work, 'known_hosts');
    writeFileSync(knownHostsFile, `[${sshd.host}]:${sshd.port} ${sshd.hostPublicKey}\n`);
    await promisify(execFile)('ssh-keygen', ['-H', '-f', knownHostsFile]);
    const hashed = readFileSync(knownHostsFile, 'utf8');
    expect(hashed).to.match(/^\|1\|/);
    expect((await deliver(request(sshd, { knownHosts: hashed }))).attempts).to.equal(1);
    emptyRemote(sshd);

    const error = await rejection(deliver(request(sshd, { knownHosts: `[${sshd.host}]:${sshd.port + 1} ${sshd.hostPublicKey}\n` })));
    expect(error.code).to.equal('gar_host_key_not_configured');
    expect(error.attempts).to.equal(0);
  });

  it('refuses a server whose host key is not the pinned one, at once, sending nothing', async () => {
    const stranger = await generateSshKey();
    const error = await rejection(deliver(request(sshd, { knownHosts: stranger.publicKey })));
    expect(error.code).to.equal('gar_host_key_refused');
    expect(error.attempts).to.equal(1);
    expect(error.message).to.match(/host key SHA256:\S+, which is not the pinned one/);
    expect(remoteNames(sshd)).to.deep.equal([]);
  });

  it('says so when the server refuses the client key, without retrying', async () => {
    const stranger = await generateSshKey();
    const error = await rejection(deliver(request(sshd, { privateKey: stranger.privateKey })));
    expect(error.code).to.equal('gar_auth_refused');
    expect(error.attempts).to.equal(1);
    expect(error.message).to.contain(`refused the hub's key for the user ${sshd.username}`);
    expect(remoteNames(sshd)).to.deep.equal([]);
  });

  it('says which remote folder does not exist', async () => {
    const missing = join(sshd.rootDir, 'T1');
    const error = await rejection(deliver(request(sshd, { remoteDir: missing })));
    expect(error.code).to.equal('gar_remote_dir_missing');
    expect(error.attempts).to.equal(1);
    expect(error.message).to.contain(`the remote folder ${missing} does not exist`);
  });

  it('retries a server that is down, then fails and keeps the package', async () => {
    const down = await startSshd();
    try {
      await down.kill();
      const error = await rejection(deliver(request(down)));
      expect(error.code).to.equal('gar_unreachable');
      expect(error.attempts).to.equal(3);
      expect(error.message).to.match(/failed after 3 attempt\(s\): the server could not be reached: .*ECONNREFUSED.*; the package stays in /);
      expect(readFileSync(pkg.md5, 'utf8')).to.equal(`${md5Of(pkg.archive)}  GAR-ENT_T1_20261207.tar.gz\n`);
    } finally {
      await down.stop();
    }
  });

  it('leaves no file under its final name when the server dies during the upload', async () => {
    const bigDir = mkdtempSync(join(work, 'big-'));
    writeFileSync(join(bigDir, 'GAR-ENT-Eleve_0003.xml'), randomBytes(30 * 1024 * 1024));
    const [big, dying] = await Promise.all([packageExport({ files: [join(bigDir, 'GAR-ENT-Eleve_0003.xml')], outDir: bigDir, name: 'big' }), startSshd()]);
    try {
      const delivery = rejection(deliver(request(dying, { files: [big.archive, big.md5] })));
      const part = join(dying.rootDir, 'big.tar.gz.part');
      while (!existsSync(part) || statSync(part).size < 1024 * 1024) await new Promise((resolve) => setTimeout(resolve, 5));
      await dying.kill();
      const error = await delivery;
      expect(error.attempts).to.equal(3);
      expect(remoteNames(dying)).to.deep.equal(['big.tar.gz.part']);
      expect(statSync(part).size).to.be.below(big.bytes);
      expect(md5Of(big.archive)).to.equal(readFileSync(big.md5, 'utf8').split(' ')[0]);
    } finally {
      await dying.stop();
    }
  });
});
