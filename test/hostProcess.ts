import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A real host process under test, read line by line (handshakes only: no sleeps). */
export interface HostProcess {
  child: ChildProcess;
  lines: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
  /** Resolves with the first line that matches (already printed or to come). */
  line(match: (l: string) => boolean): Promise<string>;
  /** The JSON lines whose `event` is `type`, parsed. */
  events<T = Record<string, unknown>>(type: string): T[];
}

const children: ChildProcess[] = [];

/** Spawns `node <file> ...args` with piped stdout/stderr. Kill the leftovers with `killHosts()` after each test. */
export function spawnHost(file: string, args: string[] = []): HostProcess {
  const child = spawn(process.execPath, [file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const lines: string[] = [];
  let waiters: Array<() => void> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    lines,
    exited,
    stderr: () => stderr,
    line(match) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.find(match);
          if (found !== undefined) resolve(found);
          else if (child.exitCode !== null || child.signalCode !== null) reject(new Error(`host exited before the line came; stderr:\n${stderr}`));
          else waiters.push(check);
        };
        child.once('exit', () => setImmediate(check));
        check();
      });
    },
    events<T>(type: string): T[] {
      return lines.filter((l) => l.startsWith('{') && l.includes(`"event":"${type}"`)).map((l) => JSON.parse(l) as T);
    },
  };
}

/** SIGKILLs every host spawned that is still alive. */
export function killHosts(): void {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
