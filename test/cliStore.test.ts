import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { fixturePath, tempStore, warden, wardenJson } from './cliHelpers.js';
import { killHosts, spawnHost } from './hostProcess.js';

// The read commands on a file a real warden wrote (test/fixtures/cliHost.mjs runs a job of
// test/fixtures/cliJobs.mjs): 12 inputs in chunks of 4; inputs 1, 5, 9 fail (gate closed).
const HOST = fixturePath('cliHost.mjs');

const temps: Array<() => void> = [];
afterEach(() => {
  killHosts();
  for (const c of temps.splice(0)) c();
});

function store() {
  const t = tempStore();
  temps.push(t.cleanup);
  return t;
}

/** Runs job `job` once in a host process on `db`, to its end. */
async function runJob(db: string, job: string): Promise<void> {
  const h = spawnHost(HOST, [db, job]);
  const { code } = await h.exited;
  expect(code, h.stderr()).toBe(0);
  expect(h.lines.at(-1)).toBe('{"event":"closed"}');
}

interface Run {
  id: string;
  jobId: string;
  status: string;
  kind: string;
  metrics?: Record<string, number>;
  chunks?: Array<{ index: number; size: number; succeeded: number; deadLettered: number }>;
  deadLetters?: Record<string, number>;
}
interface Letter {
  id: number;
  jobId: string;
  runId: string;
  key: string;
  reason: string;
  error: { name: string; message: string; code?: string };
  payload?: { ok: boolean; input?: unknown };
}
interface Status {
  db: string;
  jobs: Array<{ jobId: string; runs: number; lastRun?: Run; running: Array<Run & { hostAlive: boolean }>; deadLetters: { pending: number; byReason: Record<string, number>; total: number } }>;
}

describe('warden status, runs, dlq list/show on a store a warden wrote', () => {
  it('status, runs and dlq list/show report the run and its three letters, as JSON and as tables', async () => {
    const t = store();
    await runJob(t.path, 'grid');

    const status = await wardenJson<Status>('status', '--db', t.path);
    expect(status.db).toBe(t.path);
    expect(status.jobs).toHaveLength(1);
    expect(status.jobs[0]).toMatchObject({ jobId: 'grid', runs: 1, running: [], deadLetters: { pending: 3, byReason: { error: 3 }, total: 3 } });
    expect(status.jobs[0]!.lastRun).toMatchObject({ jobId: 'grid', status: 'partial', kind: 'manual' });

    const runs = await wardenJson<Run[]>('runs', '--db', t.path);
    expect(runs).toHaveLength(1);
    const run = runs[0]!;
    expect(run.metrics).toMatchObject({ total: 12, succeeded: 9, deadLettered: 3, pending: 0 });

    const detail = await wardenJson<Run>('runs', run.id, '--db', t.path);
    expect(detail.chunks?.map((c) => [c.index, c.size, c.succeeded, c.deadLettered])).toEqual([
      [0, 4, 3, 1],
      [1, 4, 3, 1],
      [2, 4, 3, 1],
    ]);
    expect(detail.deadLetters).toEqual({ error: 3 });

    const page = await wardenJson<{ items: Letter[]; cursor?: string }>('dlq', 'list', '--db', t.path);
    expect(page.items.map((l) => [l.key, l.reason, l.runId])).toEqual([
      ['p1', 'error', run.id],
      ['p5', 'error', run.id],
      ['p9', 'error', run.id],
    ]);
    expect(page.cursor).toBeUndefined();

    // pages: two, then one, joined by the printed cursor
    const first = await wardenJson<{ items: Letter[]; cursor?: string }>('dlq', 'list', '--db', t.path, '--limit', '2');
    expect(first.items.map((l) => l.key)).toEqual(['p1', 'p5']);
    const second = await wardenJson<{ items: Letter[]; cursor?: string }>('dlq', 'list', '--db', t.path, '--limit', '2', '--cursor', first.cursor!);
    expect(second.items.map((l) => l.key)).toEqual(['p9']);
    expect(second.cursor).toBeUndefined();

    const shown = await wardenJson<Letter>('dlq', 'show', String(page.items[0]!.id), '--db', t.path);
    expect(shown.payload).toEqual({ ok: true, input: { n: 1, gate: `${t.path}.gate` } });
    expect(shown.error).toMatchObject({ name: 'Error', code: 'EGATE' });

    // the same as text
    const text = await warden('status', '--db', t.path);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^grid\s+1\s+partial\s/m);
    expect(text.stdout).toMatch(/3: error 3/);
    const list = await warden('dlq', 'list', '--db', t.path);
    expect(list.stdout.split('\n')[0]).toMatch(/^id\s+job\s+run\s+key\s+reason/);
    expect(list.stdout).toMatch(/gate .* is closed/);
    const one = await warden('runs', run.id, '--db', t.path);
    expect(one.stdout).toMatch(/tasks\s+12 total = 9 succeeded \+ 3 dead-lettered \+ 0 pending/);
  });

  it('a reader while a host writes the same file (WAL): the run shows as running on a live host, its settled chunks and letters are there; then it ends', async () => {
    const t = store();
    const h = spawnHost(HOST, [t.path, 'held']);
    const flushed = JSON.parse(await h.line((l) => l.includes('"event":"flushed"'))) as { letters: number };
    expect(flushed.letters).toBe(2); // inputs 1 and 5; the last chunk waits for the release file

    const status = await wardenJson<Status>('status', '--db', t.path);
    const job = status.jobs.find((j) => j.jobId === 'held')!;
    expect(job.running).toHaveLength(1);
    expect(job.running[0]).toMatchObject({ status: 'running', hostAlive: true });
    const runId = job.running[0]!.id;
    const detail = await wardenJson<Run>('runs', runId, '--db', t.path);
    expect(detail.status).toBe('running');
    expect(detail.chunks?.map((c) => c.index)).toEqual([0, 1]);
    const letters = await wardenJson<{ items: Letter[] }>('dlq', 'list', '--db', t.path, '--run', runId);
    expect(letters.items.map((l) => l.key)).toEqual(['p1', 'p5']);
    const text = await warden('status', '--db', t.path);
    expect(text.stdout).toContain(`running  ${runId}`);

    writeFileSync(`${t.path}.release`, ''); // let the last chunk finish
    expect((await h.exited).code, h.stderr()).toBe(0);
    const after = await wardenJson<Run>('runs', runId, '--db', t.path);
    expect(after).toMatchObject({ status: 'partial', metrics: { total: 12, succeeded: 9, deadLettered: 3 } });
    expect((await wardenJson<Status>('status', '--db', t.path)).jobs[0]!.running).toEqual([]);
  });

  it('runs: --job, --status and --limit select the newest runs, oldest of them first', async () => {
    const t = store();
    await runJob(t.path, 'grid');
    await runJob(t.path, 'grid');
    writeFileSync(`${t.path}.gate`, ''); // the third run has no letters
    await runJob(t.path, 'grid');
    const all = await wardenJson<Run[]>('runs', '--db', t.path, '--job', 'grid');
    expect(all.map((r) => r.status)).toEqual(['partial', 'partial', 'completed']);
    const last2 = await wardenJson<Run[]>('runs', '--db', t.path, '--limit', '2');
    expect(last2.map((r) => r.id)).toEqual(all.slice(1).map((r) => r.id));
    const partial = await wardenJson<Run[]>('runs', '--db', t.path, '--status', 'partial');
    expect(partial.map((r) => r.id)).toEqual(all.slice(0, 2).map((r) => r.id));
    expect(await wardenJson<Run[]>('runs', '--db', t.path, '--job', 'other')).toEqual([]);
  });
});
