import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';

const HAS_PROC = process.platform === 'linux';

/**
 * The resident set size of process `pid` in bytes, or undefined when it cannot be read
 * (the process is gone). Linux reads /proc/<pid>/status; other systems ask `ps`.
 */
export async function processRss(pid: number): Promise<number | undefined> {
  try {
    if (HAS_PROC) {
      const status = await readFile(`/proc/${pid}/status`, 'latin1');
      const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
      return m ? Number(m[1]) * 1024 : undefined;
    }
    const out = await new Promise<string>((resolve, reject) =>
      execFile('ps', ['-o', 'rss=', '-p', String(pid)], (err, stdout) => (err ? reject(err) : resolve(stdout))),
    );
    const kb = Number.parseInt(out.trim(), 10);
    return Number.isFinite(kb) ? kb * 1024 : undefined;
  } catch {
    return undefined;
  }
}
