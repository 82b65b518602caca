import type { JobSpec } from '../runtime/jobSpec.js';
import { demoGrid, demoKey, type DemoPoint } from './demoGrid.js';

/** The demo job's id. */
export const DEMO_JOB = 'hazard-grid';

/** How often the demo job fires, and how many fires the demo waits for. */
export const DEMO_EVERY_MS = 4000;
export const DEMO_FIRES = 3;

/** The postmortem's budgets and policies, scaled from hours to seconds. */
export const DEMO_BUDGETS = { taskMs: 1000, heartbeatMs: 300, chunkMs: 10_000, batchMs: 20_000, jobMs: 30_000, killGraceMs: 200 };
export const DEMO_CIRCUIT = { threshold: 5, cooldownMs: 1500 };

/** The demo's scheduled job: a 40-point grid every 4 s on 2 workers, chunks of 5; each run's faults come from `demoGrid(run)`. */
export function demoJob(): JobSpec<DemoPoint> {
  let run = 0;
  return {
    id: DEMO_JOB,
    trigger: { everyMs: DEMO_EVERY_MS },
    maxInstances: 1,
    coalesce: true,
    task: new URL('./demoTask.mjs', import.meta.url),
    source: () => demoGrid(++run),
    key: demoKey,
    workers: 2,
    chunkSize: 5,
    retry: { attempts: 2, backoff: { initialMs: 50, factor: 2, maxMs: 200 } },
    timeouts: DEMO_BUDGETS,
    circuit: DEMO_CIRCUIT,
  };
}
