import type { Command } from 'commander';
import { generateKeys, readKeySet } from '../oidc/keys.js';
import { commandContext, printJsonOr } from './context.js';

export function registerKeyCommands(program: Command): void {
  const keys = program.command('keys').description('signing keys of the issuer');
  keys
    .command('generate')
    .description('add a new ES256 + RS256 key pair in front of the key set (older keys keep verifying)')
    .action(async () => {
      const { config } = commandContext();
      const set = await generateKeys(config.keys.dir);
      process.stdout.write(`key set written to ${config.keys.dir}/jwks.json (${set.keys.length} keys; new: ${set.keys.slice(0, 2).map((k) => `${k.alg} ${k.kid}`).join(', ')})\n`);
    });
  keys
    .command('list')
    .description('list the keys (public information only)')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) => {
      const { config } = commandContext();
      const set = readKeySet(config.keys.dir);
      const rows = (set?.keys ?? []).map((k) => ({ kid: k.kid, alg: k.alg, created: k.iat ? new Date(k.iat * 1000).toISOString() : null }));
      printJsonOr(Boolean(options.json), rows, () => (rows.length ? rows.map((r) => `${r.alg}\t${r.kid}\t${r.created ?? ''}`).join('\n') : 'no key set: run "hub keys generate"'));
    });
}
