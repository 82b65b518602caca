// The README's "Jobs on a schedule" sample, type-checked with the project
// (npx tsc -p tsconfig.json --noEmit). Importing this module starts nothing: call
// scheduleHazardJob() from a host process. The README imports from 'warden' and uses the
// task module of its quick start; here the import is the source and the task is
// examples/hazard/task.mjs (which needs `npm run build`).
import { createWarden, type Warden } from '../src/index.js';

interface Point {
  lat: number;
  lon: number;
}

function* grid(): Generator<Point> {
  for (let i = 0; i <= 55; i++) for (let j = 0; j <= 65; j++) yield { lat: 33 + i / 10, lon: 124.5 + j / 10 };
}

export async function scheduleHazardJob(): Promise<Warden> {
  const H = 60 * 60_000;
  const MIN = 60_000;

  const warden = createWarden({ store: 'sqlite:./warden.db' }); // the default store
  warden.defineJob<Point>({
    id: 'hazard-timeseries',
    trigger: { cron: '0 2 1 1 *', tz: 'Asia/Seoul' }, // 02:00 on 1 January, Seoul time
    maxInstances: 1,
    coalesce: true, // fires missed while the process was busy, suspended or down run once...
    misfireGraceMs: 3_600_000, // ...if at most 1 h late; later ones are dropped (run.missed)
    timeouts: { jobMs: 3 * H, batchMs: 2 * H, chunkMs: 10 * MIN, taskMs: 5 * MIN },
    task: new URL('./hazard/task.mjs', import.meta.url),
    source: () => grid(), // a fresh iterable for each run
    key: (p) => `${p.lat},${p.lon}`,
    onInterrupted: 'resume', // a run left by a host that died: run its unsettled chunks again
  });
  warden.on('run.finished', ({ runId, summary }) => console.log(runId, summary.status, summary.byReason));
  warden.on('run.timeout', ({ runId, jobMs }) => console.error(`${runId} reached its ${jobMs} ms budget: stopped`));
  warden.on('worker.restarted', ({ runId, slot }) => console.warn(`${runId}: worker ${slot} replaced`));
  warden.on('store.failed', ({ operation, error }) => console.error(`store ${operation} failed`, error));
  await warden.start();
  const waiting = warden.deadLetters.list({ jobId: 'hazard-timeseries', limit: 10 });
  if (waiting.items.length > 0) console.warn(`dead letters waiting, e.g. ${waiting.items.map((l) => `${l.key} (${l.reason})`).join(', ')}`);
  warden.handleSignals(); // SIGTERM / SIGINT → close(): drain for 30 s, then abort
  return warden;
}
