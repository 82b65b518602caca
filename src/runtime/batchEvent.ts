/** What a running batch reports as it goes (`runBatch({ onEvent })`): the hooks for alerts. */
export type BatchEvent =
  /** A worker thread was replaced (hang, crash or failed start). */
  | { type: 'worker.restarted'; slot: number }
  /** A terminated thread did not exit within `terminateMs`: replaced without waiting for it. */
  | { type: 'worker.stuck'; slot: number }
  /** The circuit opened after `failures` consecutive tripping failures: the batch stops. */
  | { type: 'circuit.opened'; failures: number }
  | { type: 'chunk.ended'; index: number; size: number; succeeded: number; deadLettered: number; timedOut: boolean; failed: boolean };
