import { assign, emit, setup } from 'xstate';
import { chunkMachine, type ChunkInput } from './chunk.machine.js';
import { circuitMachine, type CircuitInput } from './circuit.machine.js';
import { poolMachine, type PoolInput } from './pool.machine.js';

/** How a batch ended. */
export type BatchStatus = 'completed' | 'partial' | 'failed' | 'aborted' | 'timedOut';

/** Why a batch stopped before its source was done (absent when it ran to the end). */
export type BatchStopReason =
  | 'batch-timeout'
  | 'job-timeout'
  | 'circuit-open'
  | 'fatal-error'
  | 'early-chunk-failed'
  | 'restart-intensity'
  | 'source-error'
  | 'aborted';

export interface BatchInput {
  batchMs: number;
  /** A failed chunk among the first `earlyChunks` aborts the batch; later ones are skipped. */
  earlyChunks: number;
  /** Upper bound on the stopping phase (kill grace + terminate timeout + margin). */
  stopMs: number;
  pool: PoolInput;
  circuit: CircuitInput;
  chunk: ChunkInput;
}

export interface BatchContext extends BatchInput {
  chunksEnded: number;
  chunksFailed: number;
  status: BatchStatus | undefined;
  reason: BatchStopReason | undefined;
}

export type BatchEvent =
  | { type: 'WORKER_READY' }
  | { type: 'CHUNK_ENDED'; failed: boolean }
  | { type: 'SOURCE_DONE'; deadLettered: number }
  | { type: 'ABORT' }
  | { type: 'FATAL' }
  | { type: 'SOURCE_FAILED' }
  | { type: 'CIRCUIT_OPENED' }
  | { type: 'ESCALATED' }
  | { type: 'STOPPED' };

export type BatchEmitted = { type: 'stopping'; status: BatchStatus; reason: BatchStopReason | undefined };

export interface BatchOutput {
  status: BatchStatus;
  reason: BatchStopReason | undefined;
}

/**
 * The root of a run: spawns the pool, the circuit and the chunk actor; decides how the
 * batch ends (source done, batch timeout, caller abort, fatal error, open circuit, a
 * failed early chunk, restart escalation) and bounds the stopping phase.
 */
export const batchMachine = setup({
  types: {
    context: {} as BatchContext,
    events: {} as BatchEvent,
    input: {} as BatchInput,
    emitted: {} as BatchEmitted,
    output: {} as BatchOutput,
  },
  actors: { pool: poolMachine, circuit: circuitMachine, chunk: chunkMachine },
  delays: {
    batchTimeout: ({ context }) => context.batchMs,
    stopTimeout: ({ context }) => context.stopMs,
  },
  actions: {
    stopWith: assign((_, params: { status: BatchStatus; reason: BatchStopReason }) => ({
      status: params.status,
      reason: params.reason,
    })),
  },
  guards: {
    earlyChunkFailed: ({ context, event }) =>
      event.type === 'CHUNK_ENDED' && event.failed && context.chunksEnded < context.earlyChunks,
  },
}).createMachine({
  id: 'batch',
  context: ({ input, spawn }) => {
    spawn('pool', { id: 'pool', systemId: 'pool', input: input.pool });
    spawn('circuit', { id: 'circuit', systemId: 'circuit', input: input.circuit });
    spawn('chunk', { id: 'chunk', systemId: 'chunk', input: input.chunk });
    return { ...input, chunksEnded: 0, chunksFailed: 0, status: undefined, reason: undefined };
  },
  initial: 'active',
  states: {
    active: {
      after: { batchTimeout: { target: 'stopping', actions: { type: 'stopWith', params: { status: 'timedOut', reason: 'batch-timeout' } } } },
      on: {
        ABORT: { target: 'stopping', actions: { type: 'stopWith', params: { status: 'aborted', reason: 'aborted' } } },
        FATAL: { target: 'stopping', actions: { type: 'stopWith', params: { status: 'failed', reason: 'fatal-error' } } },
        CIRCUIT_OPENED: { target: 'stopping', actions: { type: 'stopWith', params: { status: 'aborted', reason: 'circuit-open' } } },
        ESCALATED: { target: 'stopping', actions: { type: 'stopWith', params: { status: 'failed', reason: 'restart-intensity' } } },
        SOURCE_FAILED: { target: 'stopping', actions: { type: 'stopWith', params: { status: 'failed', reason: 'source-error' } } },
      },
      initial: 'starting',
      states: {
        starting: { on: { WORKER_READY: { target: 'running' } } },
        running: {
          on: {
            CHUNK_ENDED: [
              { guard: 'earlyChunkFailed', target: '#batch.stopping', actions: { type: 'stopWith', params: { status: 'failed', reason: 'early-chunk-failed' } } },
              {
                actions: assign({
                  chunksEnded: ({ context }) => context.chunksEnded + 1,
                  chunksFailed: ({ context, event }) => context.chunksFailed + (event.failed ? 1 : 0),
                }),
              },
            ],
            SOURCE_DONE: {
              target: '#batch.stopping',
              actions: assign({
                status: ({ event }) => (event.deadLettered > 0 ? 'partial' : 'completed'),
                reason: undefined,
              }),
            },
          },
        },
      },
    },
    stopping: {
      entry: emit(({ context }) => ({
        type: 'stopping' as const,
        status: context.status as BatchStatus,
        reason: context.reason,
      })),
      after: { stopTimeout: { target: 'done' } },
      on: { STOPPED: { target: 'done' } },
    },
    done: { type: 'final' },
  },
  output: ({ context }) => ({ status: context.status as BatchStatus, reason: context.reason }),
});
