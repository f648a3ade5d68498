/**
 * `hub keys list|rotate|retire|import`: the signing keys of the OIDC issuer and the SAML IdP,
 * the cookie keys and the SAML pairwise salt, kept in the store (src/auth/signing-keys.ts).
 * Every running node picks a change up within `keys.refreshSeconds`, without a restart.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { RotationPending, type DescribedKey } from '../auth/signing-keys.js';
import type { SigningKeyUse } from '../storage/ports/index.js';
import { importKeyFiles, keyKind, rotatedKeyUses, signingKeyRing } from '../wiring/signing-keys.js';
import { printJsonOr, UsageError, withStore } from './context.js';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `90s`, `30m`, `24h`, `2d`, or a number of seconds. */
export function duration(value: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError('a duration is expected: a number of seconds, or 90s, 30m, 24h, 2d');
  return Number(match[1]) * UNITS[match[2] || 's']!;
}

const iso = (date: Date | null): string | null => date?.toISOString() ?? null;

function row(key: DescribedKey) {
  return {
    kid: key.kid, use: key.use, alg: key.alg, state: key.state,
    created: iso(key.createdAt), activates: iso(key.activatesAt), deactivated: iso(key.deactivatedAt), retires: iso(key.retiresAt),
  };
}

const line = (r: ReturnType<typeof row>): string => [r.use, r.alg, r.state, r.kid, `signs from ${r.activates}`, r.retires ? `retires ${r.retires}` : ''].join('\t').trimEnd();

const KEYS_EXIT_CODES = `
Exit codes: 0 done; 1 failed; 2 usage error; 7 refused (rotate: a next key of that use is
already published, nothing created for it, or --use pairwise: the pairwise salt is never
rotated; import: the store holds other keys of that use).`;

export function registerKeyCommands(program: Command): void {
  const keys = program.command('keys').description('signing keys of the OIDC issuer and the SAML IdP, cookie keys and the pairwise salt, kept in the store').addHelpText('after', KEYS_EXIT_CODES);
  keys
    .command('list')
    .description('list the keys and their state: next (published), active (signs), previous (verifies), retired')
    .option('--json', 'print JSON')
    .option('--all', 'retired keys too')
    .action((options: { json?: boolean; all?: boolean }) => withStore(async (store, config) => {
      const described = await signingKeyRing(config, store).describe();
      const rows = described.filter((k) => options.all || k.state !== 'retired').map(row);
      printJsonOr(Boolean(options.json), rows, () => (rows.length ? rows.map(line).join('\n') : 'no signing key in the store: "hub serve" makes them at its first start'));
    }));
  keys
    .command('rotate')
    .description('add the next key(s): published now, signing after the publish delay; the replaced keys verify until what they signed expired')
    .addOption(new Option('--use <use>', 'which keys (all: every kind that rotates; the pairwise salt never does)').choices(['oidc', 'saml', 'cookie', 'pairwise', 'all']).default('all'))
    .option('--publish-delay <duration>', 'how long the new keys are published before they sign (default: keys.publishDelaySeconds)', duration)
    .action((options: { use: SigningKeyUse | 'all'; publishDelay?: number }) => withStore(async (store, config) => {
      const uses = options.use === 'all' ? rotatedKeyUses(config) : [options.use];
      if (options.use === 'saml' && !config.samlIdp.enabled) throw new UsageError('the SAML IdP is disabled (samlIdp.enabled: false): it has no keys to rotate');
      const ring = signingKeyRing(config, store);
      const refused: RotationPending[] = [];
      for (const use of uses) {
        try {
          const added = await ring.rotate(keyKind(config, use), options.publishDelay ?? config.keys.publishDelaySeconds);
          process.stdout.write(`${added.map((k) => `created ${use} ${k.alg} ${k.kid}, ${k.state === 'active' ? 'signing now' : `signing from ${k.activatesAt.toISOString()}`}`).join('\n')}\n`);
        } catch (error) {
          if (!(error instanceof RotationPending)) throw error;
          refused.push(error);
        }
      }
      if (refused.length === 1) throw refused[0];
      if (refused.length > 1) throw new RotationPending(refused[0]!.pending[0]!.use, refused.flatMap((r) => r.pending));
    }));
  keys
    .command('retire')
    .description('mark retired the keys past their retirement date and destroy their private part (they already left the published keys)')
    .action(() => withStore(async (store, config) => {
      const retired = await signingKeyRing(config, store).retire();
      process.stdout.write(retired.length ? `retired ${retired.join(', ')}\n` : 'no key to retire\n');
    }));
  keys
    .command('import')
    .description('put the keys kept as files or configuration (jwks.json of the keys folder, the SAML IdP\'s configured pairs, HUB_COOKIE_KEYS, samlIdp.pairwiseSalt) into the store; again is a no-op')
    .option('--dir <dir>', 'the keys folder (default: keys.dir)')
    .action((options: { dir?: string }) => withStore(async (store, config) => {
      const withDir = options.dir ? { ...config, keys: { ...config.keys, dir: options.dir } } : config;
      for (const outcome of await importKeyFiles(withDir, signingKeyRing(config, store))) {
        const said = outcome.found === 0 ? 'nothing to import' : outcome.added.length ? `imported ${outcome.added.join(', ')}` : 'already in the store';
        process.stdout.write(`${outcome.use}: ${said}\n`);
      }
    }));
}
