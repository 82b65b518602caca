import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { killHosts, spawnHost, type HostProcess } from '../hostProcess.js';
import { tempDb } from './storeHelpers.js';

// kill -9 of a real host (test/fixtures/storeHost.mjs, on the built package) running a job on a
// file database, then a new host on the same file. Handshakes only: the host prints its events.
const HOST = fileURLToPath(new URL('../fixtures/storeHost.mjs', import.meta.url));
const N = 200;
const CHUNK = 10;
const failing = (n: number) => n % 7 === 0;

const temps: Array<() => void> = [];
afterEach(() => {
  killHosts();
  for (const c of temps.splice(0)) c();
});

interface Acked {
  letters: number;
  chunks: number;
}

/** Runs the job, kills the host with SIGKILL once `when` matches one of its lines; returns what it had acknowledged. */
async function killDuringRun(db: string, policy: string, when: (line: string) => boolean): Promise<Acked> {
  const h = spawnHost(HOST, [db, 'run', policy]);
  await h.line(when);
  h.child.kill('SIGKILL');
  const { signal } = await h.exited;
  expect(signal, h.stderr()).toBe('SIGKILL');
  return h.events<Acked>('acked').at(-1) ?? { letters: 0, chunks: 0 };
}

async function recover(db: string, policy: string): Promise<HostProcess> {
  const h = spawnHost(HOST, [db, 'recover', policy]);
  const { code } = await h.exited;
  expect(code, h.stderr()).toBe(0);
  expect(h.lines.at(-1)).toBe('{"event":"closed"}');
  return h;
}

interface Row {
  id: string;
  status: string;
  kind: string;
  resume_of: string | null;
  metrics: string | null;
}

function inspect(db: string) {
  const d = new Database(db, { readonly: true });
  try {
    return {
      integrity: d.pragma('integrity_check', { simple: true }),
      runs: d.prepare('SELECT id, status, kind, resume_of, metrics FROM runs ORDER BY started_at, rowid').all() as Row[],
      letters: d.prepare('SELECT run_id, task_index, task_key, reason FROM dead_letters ORDER BY id').all() as Array<{ run_id: string; task_index: number; task_key: string; reason: string }>,
      chunks: d.prepare('SELECT run_id, chunk, size FROM run_chunks').all() as Array<{ run_id: string; chunk: number; size: number }>,
      counts: { letters: (d.prepare('SELECT count(*) AS n FROM dead_letters').get() as { n: number }).n, chunks: (d.prepare('SELECT count(*) AS n FROM run_chunks').get() as { n: number }).n },
    };
  } finally {
    d.close();
  }
}

/** Positions covered by the settled chunks of these runs. */
function settledPositions(chunks: Array<{ run_id: string; chunk: number }>, runs: string[]): Set<number> {
  const out = new Set<number>();
  for (const c of chunks) if (runs.includes(c.run_id)) for (let p = c.chunk * CHUNK; p < (c.chunk + 1) * CHUNK && p < N; p++) out.add(p);
  return out;
}

const points: Array<[string, (l: string) => boolean]> = [
  ['as the run starts, before any chunk settled', (l) => l.includes('"event":"run.started"')],
  ['after the first chunk ended', (l) => l.includes('"event":"chunk.ended"')],
  ['half-way (after chunk 9)', (l) => l.includes('"event":"chunk.ended"') && l.includes('"index":9')],
];

describe('kill -9 of a host mid-run, then a new host on the same file', () => {
  it.each(points)('resume, killed %s: no acknowledged row lost, the run resumed, every task accounted once, integrity ok', async (_name, when) => {
    const t = tempDb();
    temps.push(t.cleanup);
    const ack = await killDuringRun(t.path, 'resume', when);
    const before = inspect(t.path);
    expect(before.integrity).toBe('ok');
    expect(before.counts.letters).toBeGreaterThanOrEqual(ack.letters);
    expect(before.counts.chunks).toBeGreaterThanOrEqual(ack.chunks);
    const [dead] = before.runs;
    expect(dead).toMatchObject({ status: 'running', kind: 'manual' });

    const h = await recover(t.path, 'resume');
    const after = inspect(t.path);
    expect(after.integrity).toBe('ok');
    expect(after.runs).toHaveLength(2);
    const [old, resumed] = after.runs as [Row, Row];
    expect(old).toMatchObject({ id: dead!.id, status: 'interrupted' });
    expect(JSON.parse(old.metrics!)).toEqual({ resumedBy: resumed.id });
    expect(resumed).toMatchObject({ kind: 'resume', resume_of: old.id, status: 'partial' });
    expect(h.events('run.interrupted')).toEqual([{ event: 'run.interrupted', jobId: 'grid', runId: old.id, resumedBy: resumed.id, deadLettered: 0 }]);

    // every failing input is dead-lettered exactly once across both runs; the rest succeeded in a settled chunk or in the resume
    const letteredBy = new Map<number, number>();
    for (const l of after.letters) letteredBy.set(l.task_index, (letteredBy.get(l.task_index) ?? 0) + 1);
    const expected = Array.from({ length: N }, (_, n) => n).filter(failing);
    expect([...letteredBy.keys()].sort((a, b) => a - b)).toEqual(expected);
    expect([...letteredBy.values()].every((c) => c === 1)).toBe(true);
    const settled = settledPositions(before.chunks, [old.id]);
    const oldLettered = new Set(before.letters.map((l) => l.task_index));
    const rest = Array.from({ length: N }, (_, n) => n).filter((p) => !settled.has(p) && !oldLettered.has(p));
    const summary = h.events<{ summary: Record<string, number> }>('run.finished')[0]!.summary;
    expect(summary).toMatchObject({ total: rest.length, succeeded: rest.filter((p) => !failing(p)).length, deadLettered: rest.filter(failing).length, pending: 0 });
    expect(JSON.parse(resumed.metrics!)).toMatchObject({ total: rest.length });
  });

  it('resume of a resume: killed again during the resumed run, the third host finishes it; still every task accounted once', async () => {
    const t = tempDb();
    temps.push(t.cleanup);
    await killDuringRun(t.path, 'resume', (l) => l.includes('"event":"chunk.ended"') && l.includes('"index":4'));
    // the second host resumes; kill it after its resume settles a chunk
    const second = spawnHost(HOST, [t.path, 'recover', 'resume']);
    await second.line((l) => l.includes('"event":"chunk.ended"'));
    second.child.kill('SIGKILL');
    await second.exited;
    const h = await recover(t.path, 'resume');
    const after = inspect(t.path);
    expect(after.integrity).toBe('ok');
    expect(after.runs.map((r) => [r.kind, r.status])).toEqual([
      ['manual', 'interrupted'],
      ['resume', 'interrupted'],
      ['resume', 'partial'],
    ]);
    expect(after.runs[2]!.resume_of).toBe(after.runs[1]!.id);
    expect(after.runs[1]!.resume_of).toBe(after.runs[0]!.id);
    const indexes = after.letters.map((l) => l.task_index).sort((a, b) => a - b);
    expect(indexes).toEqual(Array.from({ length: N }, (_, n) => n).filter(failing));
    expect(h.events('run.finished')).toHaveLength(1);
  });

  it("dead-letter policy: the unfinished tasks become 'interrupted' letters; settled chunks + letters cover every input once", async () => {
    const t = tempDb();
    temps.push(t.cleanup);
    await killDuringRun(t.path, 'dead-letter', (l) => l.includes('"event":"chunk.ended"') && l.includes('"index":3'));
    const before = inspect(t.path);
    const h = await recover(t.path, 'dead-letter');
    const after = inspect(t.path);
    expect(after.integrity).toBe('ok');
    expect(after.runs).toHaveLength(1);
    const [old] = after.runs as [Row];
    expect(old.status).toBe('interrupted');
    const interrupted = after.letters.filter((l) => l.reason === 'interrupted');
    expect(h.events('run.interrupted')).toEqual([{ event: 'run.interrupted', jobId: 'grid', runId: old.id, deadLettered: interrupted.length }]);
    expect(interrupted.every((l) => l.run_id === old.id && l.task_key === `p${l.task_index}`)).toBe(true);
    const settled = settledPositions(before.chunks, [old.id]);
    const cover = new Map<number, number>();
    for (const p of settled) cover.set(p, 1);
    for (const l of after.letters) if (!settled.has(l.task_index)) cover.set(l.task_index, (cover.get(l.task_index) ?? 0) + 1);
    expect(cover.size).toBe(N);
    expect([...cover.values()].every((c) => c === 1)).toBe(true);
    expect(JSON.parse(old.metrics!)).toMatchObject({ interruptedLetters: interrupted.length });
  });
});
