import type { ChildProcess } from 'node:child_process';

interface Tracked {
  child: ChildProcess;
  /** The signal target: -pid when the child leads its own process group. */
  target: number;
}

const live = new Map<number, Tracked>();
const spawnedListeners = new Set<(pid: number) => void>();
let exitHook = false;

/** Last resort when the host exits with children still alive (process.exit, an uncaught error): SIGKILL their groups. */
function killAllOnExit(): void {
  for (const { target } of live.values()) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Records a worker child process from its spawn until its 'exit' event: the proof a killed process is gone. */
export function trackProcess(child: ChildProcess, group: boolean): void {
  const pid = child.pid;
  if (pid === undefined) return; // the spawn failed: there is no process
  live.set(pid, { child, target: group ? -pid : pid });
  child.once('exit', () => live.delete(pid));
  if (!exitHook) {
    exitHook = true;
    process.on('exit', killAllOnExit);
  }
  for (const f of spawnedListeners) f(pid);
}

/** Worker child processes started by Warden in this process whose exit has not been seen yet. */
export function liveProcessCount(): number {
  return live.size;
}

/** Calls `listener` with the pid of each worker process as it is spawned (tests and diagnostics); returns the unsubscribe. */
export function onProcessSpawned(listener: (pid: number) => void): () => void {
  spawnedListeners.add(listener);
  return () => spawnedListeners.delete(listener);
}
