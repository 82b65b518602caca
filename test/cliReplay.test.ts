import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { fixturePath, tempStore, warden, wardenJson } from './cliHelpers.js';
import { spawnHost } from './hostProcess.js';

// dlq replay and purge from the command line, on a store a real host wrote. The job
// definitions come from the same module the host uses (test/fixtures/cliJobs.mjs): its
// inputs 1, 5, 9 fail while `<store>.gate` is missing, and succeed once the test creates it.
const JOBS = fixturePath('cliJobs.mjs');

const temps: Array<() => void> = [];
afterEach(() => {
  for (const c of temps.splice(0)) c();
});

async function storeWithLetters() {
  const t = tempStore();
  temps.push(t.cleanup);
  const h = spawnHost(fixturePath('cliHost.mjs'), [t.path, 'grid']);
  expect((await h.exited).code, h.stderr()).toBe(0);
  return t;
}

interface Letter {
  id: number;
  key: string;
  runId: string;
  replayedAt?: string;
  replayRunId?: string;
  replayOf?: number;
}
interface Result {
  jobId: string;
  runId: string;
  replayed: number;
  unreadable: unknown[];
  result: { status: string; total: number; succeeded: number; deadLettered: number };
}
const list = async (db: string, ...args: string[]) => (await wardenJson<{ items: Letter[] }>('dlq', 'list', '--db', db, ...args)).items;

describe('warden dlq replay --jobs <module>', () => {
  it('--job: the letters fail again (exit 1, new letters point at the old ones); after the fix, --ids of the new ones succeed (exit 0); every letter is marked replayed', async () => {
    const t = await storeWithLetters();
    const original = await list(t.path);
    expect(original.map((l) => l.key)).toEqual(['p1', 'p5', 'p9']);

    // the gate is still closed: the replay run takes the 3 letters and they fail again
    const again = await warden('dlq', 'replay', '--db', t.path, '--jobs', JOBS, '--job', 'grid', '--json');
    expect(again.code, again.stderr).toBe(1);
    const [first] = JSON.parse(again.stdout) as [Result];
    expect(first).toMatchObject({ jobId: 'grid', replayed: 3, unreadable: [], result: { status: 'failed', total: 3, succeeded: 0, deadLettered: 3 } }); // its one chunk failed whole: an early chunk
    const afterFirst = await list(t.path);
    expect(afterFirst.slice(0, 3).map((l) => l.replayRunId)).toEqual([first.runId, first.runId, first.runId]);
    const fresh = afterFirst.slice(3); // in the order the replay's tasks failed
    const byOld = [...fresh].sort((a, b) => a.replayOf! - b.replayOf!);
    expect(byOld.map((l) => [l.key, l.replayOf, l.runId])).toEqual(original.map((l) => [l.key, l.id, first.runId]));

    // --job again takes only letters not replayed yet: the 3 new ones; fix the cause first
    writeFileSync(`${t.path}.gate`, '');
    const ok = await warden('dlq', 'replay', '--db', t.path, '--jobs', JOBS, '--ids', fresh.map((l) => l.id).join(','));
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^job\s+replay run\s+status\s+taken\s+succeeded\s+failed again\s+unreadable$/m);
    expect(ok.stdout).toMatch(/^grid\s+grid#\S+\s+completed\s+3\s+3\s+0\s+0$/m);
    const all = await list(t.path);
    expect(all).toHaveLength(6);
    expect(all.every((l) => l.replayedAt !== undefined)).toBe(true);

    // nothing left to replay for the job: exit 0, said so
    const none = await warden('dlq', 'replay', '--db', t.path, '--jobs', JOBS, '--job', 'grid');
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('no dead letters to replay\n');

    // the replays are runs of the job, kind replay
    const runs = await wardenJson<Array<{ id: string; kind: string; status: string }>>('runs', '--db', t.path);
    expect(runs.map((r) => [r.kind, r.status])).toEqual([
      ['manual', 'partial'],
      ['replay', 'failed'],
      ['replay', 'completed'],
    ]);
  });

  it('--jobs as a function module and as an array module both work (default export)', async () => {
    const t = await storeWithLetters();
    writeFileSync(`${t.path}.gate`, '');
    const arrayModule = `${t.dir}/jobs-array.mjs`;
    // an array of specs: only the job that owns the letters needs to be there
    writeFileSync(
      arrayModule,
      `export default [{ id: 'grid', trigger: { cron: '0 2 1 1 *' }, task: new URL(${JSON.stringify(`file://${fixturePath('cliTask.mjs')}`)}), source: () => [], key: (p) => 'p' + p.n }];\n`,
    );
    const [r] = await wardenJson<[Result]>('dlq', 'replay', '--db', t.path, '--jobs', arrayModule, '--ids', '2');
    expect(r).toMatchObject({ jobId: 'grid', replayed: 1, result: { status: 'completed', succeeded: 1 } });
    const [f] = await wardenJson<[Result]>('dlq', 'replay', '--db', t.path, '--jobs', JOBS, '--job', 'grid');
    expect(f).toMatchObject({ replayed: 2, result: { status: 'completed', succeeded: 2 } });
  });
});

describe('warden dlq purge', () => {
  it('deletes exactly the letters matching every filter; prints how many', async () => {
    const t = await storeWithLetters();
    await warden('dlq', 'replay', '--db', t.path, '--jobs', JOBS, '--ids', '1'); // letter 1 replayed (fails again: letter 4)
    expect((await list(t.path)).map((l) => l.id)).toEqual([1, 2, 3, 4]);

    expect(await wardenJson('dlq', 'purge', '--db', t.path, '--replayed')).toEqual({ purged: 1 });
    expect((await list(t.path)).map((l) => l.id)).toEqual([2, 3, 4]);
    expect(await wardenJson('dlq', 'purge', '--db', t.path, '--job', 'other')).toEqual({ purged: 0 });
    expect(await wardenJson('dlq', 'purge', '--db', t.path, '--ids', '2,4', '--reason', 'error')).toEqual({ purged: 2 });
    expect(await wardenJson('dlq', 'purge', '--db', t.path, '--before', '2000-01-01')).toEqual({ purged: 0 });
    const text = await warden('dlq', 'purge', '--db', t.path, '--all');
    expect(text.code).toBe(0);
    expect(text.stdout).toBe('purged 1 dead letter(s)\n');
    expect(await list(t.path)).toEqual([]);
  });
});
