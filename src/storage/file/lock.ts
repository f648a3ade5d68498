/**
 * Locks as files, for the embedded default without Redis: they protect runs started on one
 * machine only. The file holds the holder's pid; a lock whose process is gone is taken over.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lease, LockService } from '../ports/locks.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export class FileLockService implements LockService {
  constructor(private readonly dir: string) {}

  async acquire(name: string): Promise<Lease | null> {
    mkdirSync(this.dir, { recursive: true });
    const file = join(this.dir, `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.lock`);
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        writeFileSync(file, String(process.pid), { flag: 'wx' });
        let held = true;
        return {
          held: () => held,
          release: async () => {
            held = false;
            rmSync(file, { force: true });
          },
        };
      } catch {
        const pid = Number(readFileSync(file, 'utf8'));
        if (Number.isInteger(pid) && alive(pid)) return null;
        rmSync(file, { force: true }); // the holder died: take the lock over once
      }
    }
    return null;
  }
}
