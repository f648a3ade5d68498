import type { Command } from 'commander';
import { readTenantFiles } from '../wiring/tenants.js';
import { commandContext, printJsonOr } from './context.js';

export function registerTenantCommands(program: Command): void {
  const tenants = program.command('tenants').description('tenant (académie) definitions in tenants/*.yaml');
  tenants
    .command('validate')
    .description('check every tenant file and report all problems, without starting the hub')
    .action(() => {
      const { config } = commandContext();
      const list = readTenantFiles(config);
      process.stdout.write(`${list.length} tenant file(s) valid: ${list.map((t) => t.id).join(', ')}\n`);
    });
  tenants
    .command('list')
    .description('list the tenants declared in files')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) => {
      const { config } = commandContext();
      const list = readTenantFiles(config);
      printJsonOr(Boolean(options.json), list, () => list.map((t) => `${t.id}\t${t.academyCode}\t${t.name}`).join('\n'));
    });
}
