import { fork, type Serializable } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { fromCallback } from 'xstate';
import { WorkerMemoryError } from '../errors/WorkerMemoryError.js';
import type { ThreadInput } from '../machines/worker.machine.js';
import type { SerializedError, ThreadCommand } from '../machines/workerProtocol.js';
import { trackProcess } from './processRegistry.js';
import { watchProcessMemory } from './processMemoryWatch.js';
import { sendTasks, serializeError, workerMessages, type WorkerMessage } from './workerMessages.js';
import type { WorkerLogic, WorkerLogicFactory, WorkerLogicOptions } from './workerLogic.js';

const ENTRY = fileURLToPath(new URL('./processEntry.mjs', import.meta.url));

/** After its exit, how long a process's stderr and IPC channel may take to close before the exit is reported anyway
 * (something it started may still hold the pipe). */
const CLOSE_WAIT_MS = 250;

/** What V8 prints on stderr when a process runs out of heap (the only trace it leaves). */
const OOM_MARK = 'JavaScript heap out of memory';

/** Each worker process leads its own process group, so a kill reaches what its tasks started. */
const GROUP = process.platform !== 'win32';

const MB = 1024 * 1024;

export interface ProcessSettings {
  /** Cap on each worker process: its V8 heap limit (`--max-old-space-size`) and its resident
   * memory (processMemoryWatch.ts); over it the process is killed. */
  maxMemoryMb?: number | undefined;
  /** After SIGTERM, how long before SIGKILL. */
  killAfterMs: number;
}

/** The host's Node flags a worker process inherits: not the debugger's, not an eval, not a heap size of its own. */
function childExecArgv(maxMemoryMb: number | undefined): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (/^(-e|--eval|-p|--print)$/.test(a)) {
      i++; // and its value
      continue;
    }
    if (/^--(inspect|debug)/.test(a) || /^--max-old-space-size/.test(a)) continue;
    out.push(a);
  }
  if (maxMemoryMb !== undefined) out.push(`--max-old-space-size=${maxMemoryMb}`);
  return out;
}

function exitCode(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal ? (constants.signals[signal] ?? 0) : 0);
}

/**
 * Worker child processes (isolation `process`): one `fork()`ed process per slot generation,
 * speaking the same protocol as a thread over IPC (serialization `advanced`, so inputs
 * cross as they do to a thread). A process can always be stopped: `terminate` sends
 * SIGTERM to its process group and SIGKILL after `killAfterMs`; its death is confirmed by
 * its `exit` before the machine hears EXITED. Over `maxMemoryMb` it is killed at once and
 * the exit carries a WorkerMemoryError.
 */
export function processLogic(settings: ProcessSettings): WorkerLogicFactory {
  return (opts) => oneProcess(opts, settings);
}

function oneProcess(opts: WorkerLogicOptions, settings: ProcessSettings): WorkerLogic {
  const { clock } = opts;
  const cap = settings.maxMemoryMb;
  return fromCallback<ThreadCommand, ThreadInput>(({ sendBack, receive, input }) => {
    const log = opts.logger.child({ slot: input.slot });
    const child = fork(ENTRY, [opts.moduleUrl, GROUP ? '1' : '0'], {
      serialization: 'advanced',
      detached: GROUP,
      execArgv: childExecArgv(cap),
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    const pid = child.pid;
    trackProcess(child, GROUP);
    const messages = workerMessages(sendBack, opts, input.slot);

    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let reported = false;
    let spawnError: SerializedError | undefined;
    let memoryError: SerializedError | undefined;
    let outOfHeap = false;
    let terminating = false;
    let killTimer: unknown;
    let closeTimer: unknown;
    let stopWatch = () => {};

    const signalGroup = (signal: NodeJS.Signals) => {
      if (pid === undefined) return;
      try {
        process.kill(GROUP ? -pid : pid, signal);
      } catch {
        // already gone
      }
    };

    const report = () => {
      if (reported) return;
      reported = true;
      clock.clearTimeout(closeTimer);
      messages.flush(); // what finished before the exit counts
      const code = exit ? exitCode(exit.code, exit.signal) : 1;
      sendBack({ type: 'EXITED', code, error: memoryError ?? heapError() ?? messages.uncaught ?? spawnError ?? signalError() });
    };
    const heapError = (): SerializedError | undefined =>
      outOfHeap
        ? memory(`the worker process ran out of JavaScript heap${cap === undefined ? '' : ` (capped at ${cap} MB by maxMemoryMb)`}`)
        : undefined;
    const signalError = (): SerializedError | undefined =>
      exit?.signal ? { name: 'Error', message: `the worker process was killed by ${exit.signal}` } : undefined;

    // stderr goes on to the host's, watched for V8's out-of-heap message.
    let tail = '';
    child.stderr?.on('data', (d: Buffer) => {
      process.stderr.write(d);
      const s = tail + d.toString('latin1');
      if (s.includes(OOM_MARK)) outOfHeap = true;
      tail = s.slice(-OOM_MARK.length);
    });

    child.on('message', (m: WorkerMessage) => messages.receive(m));
    child.on('error', (err) => {
      // a failed spawn (no 'exit' follows), or a message that could not be sent
      if (pid !== undefined) return log.warn({ err }, 'worker process error');
      spawnError = serializeError(err);
      report();
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      clock.clearTimeout(killTimer);
      stopWatch();
      signalGroup('SIGKILL'); // whatever its tasks started and left behind
      closeTimer = clock.setTimeout(report, CLOSE_WAIT_MS);
    });
    child.on('close', report);

    if (cap !== undefined && pid !== undefined) {
      stopWatch = watchProcessMemory(pid, cap, clock, (rss) => {
        if (exit) return;
        memoryError = memory(`the worker process used ${Math.ceil(rss / MB)} MB of memory, over its cap of ${cap} MB (maxMemoryMb)`);
        log.error({ pid, rssMb: Math.ceil(rss / MB), maxMemoryMb: cap }, 'worker process over its memory cap: killed');
        signalGroup('SIGKILL');
      });
    }

    const post = (m: Serializable) => {
      if (!child.connected) return;
      try {
        child.send(m);
      } catch (err) {
        log.warn({ err }, 'could not send to the worker process');
      }
    };

    receive((cmd) => {
      switch (cmd.type) {
        case 'run':
          if (!child.connected) return;
          sendTasks(cmd.tasks, (m) => child.send(m), messages);
          return;
        case 'abort':
          post({ t: 'abort', seq: cmd.seq });
          return;
        case 'ping':
          post({ t: 'ping' });
          return;
        case 'terminate':
          if (exit || terminating) return;
          terminating = true;
          signalGroup('SIGTERM');
          killTimer = clock.setTimeout(() => {
            log.warn({ pid, afterMs: settings.killAfterMs }, 'worker process did not exit on SIGTERM: SIGKILL');
            signalGroup('SIGKILL');
          }, settings.killAfterMs);
          return;
      }
    });

    return () => {
      clock.clearTimeout(killTimer);
      clock.clearTimeout(closeTimer);
      stopWatch();
      if (!exit) signalGroup('SIGKILL');
    };
  });
}

function memory(message: string): SerializedError {
  return { name: 'WorkerMemoryError', message, code: WorkerMemoryError.code };
}
