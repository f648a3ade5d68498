/** Process measurements shared by the benchmarks (Linux /proc). */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** The command name and the numeric fields after it (from `state`, field 3) of /proc/<pid>/stat. */
function readStat(pid: number | string): { command: string; fields: string[] } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return { command: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), fields: stat.slice(stat.lastIndexOf(')') + 2).split(' ') };
  } catch {
    return undefined;
  }
}

/** User + system CPU seconds of a process (all its threads); undefined off Linux or when gone. */
export function processCpuSeconds(pid: number | undefined): number | undefined {
  const stat = pid === undefined ? undefined : readStat(pid);
  return stat && (Number(stat.fields[11]) + Number(stat.fields[12])) / CLOCK_TICKS;
}

/**
 * CPU seconds of every local `postgres` process, the backends that ended included (the server
 * process adds its ended children's time to its own); undefined off Linux. Any other work of
 * the server in the meantime is counted too.
 */
export function postgresCpuSeconds(): number | undefined {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  let ticks = 0;
  let found = false;
  for (const pid of pids) {
    const stat = readStat(pid);
    if (stat?.command !== 'postgres') continue;
    found = true;
    // utime, stime, then the ended children's cutime, cstime.
    ticks += stat.fields.slice(11, 15).reduce((sum, field) => sum + Number(field), 0);
  }
  return found ? ticks / CLOCK_TICKS : undefined;
}
