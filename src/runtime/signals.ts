import type { Logger } from 'pino';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * SIGTERM / SIGINT → `close()`. A second signal while closing exits the process at once
 * with code 1 (an operator who insists; the runs' workers die with the process).
 * Returns the function that removes the handlers (the warden calls it when close()
 * resolves, so a later signal gets Node's default behaviour again).
 */
export function handleSignals(logger: Logger, close: () => Promise<void>): () => void {
  let received = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++received > 1) {
      logger.error({ signal }, 'second signal while closing: exiting now with code 1');
      process.exit(1);
    }
    logger.warn({ signal }, 'signal received: closing');
    close().catch((err: unknown) => logger.error({ err }, 'close failed'));
  };
  for (const s of SIGNALS) process.on(s, onSignal);
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    for (const s of SIGNALS) process.off(s, onSignal);
  };
}
