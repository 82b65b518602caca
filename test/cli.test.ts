import { describe, expect, it, afterEach } from 'vitest';
import { tempStore, warden, wardenJson } from './cliHelpers.js';

// `warden demo` and the program itself, run as a user runs them (npm test builds first).

const temps: Array<() => void> = [];
afterEach(() => {
  for (const c of temps.splice(0)) c();
});

interface Summary {
  status: string;
  reason?: string;
  total: number;
  succeeded: number;
  deadLettered: number;
  pending: number;
  byReason: Record<string, number>;
}
interface DemoJson {
  db: string;
  finished: boolean;
  runs: Array<{ n: number; runId: string; scheduledAt: string; circuitOpened: boolean; workerRestarts: number; summary: Summary }>;
  skipped: unknown[];
  probes: number[];
  deadLetters: Array<{ id: number; runId: string; reason: string }>;
}

const nonZero = (r: Record<string, number>) => Object.fromEntries(Object.entries(r).filter(([, n]) => n > 0));

describe('warden demo', () => {
  it('--json: three fires on schedule; hung tasks dead-lettered by the heartbeat, a connection-error burst opens the circuit, the next run is the probe and closes it; the file holds it all', async () => {
    const t = tempStore();
    temps.push(t.cleanup);
    const demo = await wardenJson<DemoJson>('demo', '--db', t.path);
    expect(demo.db).toBe(t.path);
    expect(demo.finished).toBe(true);
    expect(demo.skipped).toEqual([]); // no fire skipped: the hung run released its slot
    expect(demo.runs.map((r) => r.n)).toEqual([1, 2, 3]);
    const fires = demo.runs.map((r) => Date.parse(r.scheduledAt));
    expect([fires[1]! - fires[0]!, fires[2]! - fires[1]!]).toEqual([4000, 4000]); // every fire of the schedule ran
    for (const r of demo.runs) expect(r.summary.succeeded + r.summary.deadLettered + r.summary.pending).toBe(r.summary.total);

    const [hangs, outage, probe] = demo.runs.map((r) => r.summary) as [Summary, Summary, Summary];
    expect(hangs).toMatchObject({ status: 'partial', total: 40, succeeded: 37, deadLettered: 3 });
    expect(nonZero(hangs.byReason)).toEqual({ timeout: 2, error: 1 });
    expect(demo.runs[0]!.workerRestarts).toBeGreaterThanOrEqual(2); // each hung thread killed and replaced
    expect(outage).toMatchObject({ status: 'aborted', reason: 'circuit-open', succeeded: 30 });
    expect(Object.keys(nonZero(outage.byReason))).toEqual(['circuit-open']);
    expect(demo.runs[1]!.circuitOpened).toBe(true);
    expect(probe).toMatchObject({ status: 'completed', total: 40, succeeded: 40 });
    expect(demo.probes).toEqual([3]);

    // the dead letters were read back from the file; the reader commands see the same file
    expect(demo.deadLetters).toHaveLength(hangs.deadLettered + outage.deadLettered);
    const status = await wardenJson<{ jobs: Array<{ jobId: string; runs: number; deadLetters: { pending: number } }> }>('status', '--db', t.path);
    expect(status.jobs).toEqual([expect.objectContaining({ jobId: 'hazard-grid', runs: 3, deadLetters: expect.objectContaining({ pending: demo.deadLetters.length }) })]);
  });

  it('not on a terminal: plain lines, one per run and chunk event, then the summary table and the dead letters', async () => {
    const t = tempStore();
    temps.push(t.cleanup);
    const r = await warden('demo', '--db', t.path);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(r.stdout).not.toContain('\x1b['); // no ANSI when stdout is a pipe
    expect(lines.filter((l) => /\] run \d+ {2}started /.test(l))).toHaveLength(3);
    expect(lines.filter((l) => /\] run 1 {2}chunk \d: /.test(l))).toHaveLength(8);
    expect(lines.filter((l) => /\] run 1 {2}dead letter \S+ timeout after 2 attempt\(s\): the task sent no heartbeat for 300 ms/.test(l))).toHaveLength(2);
    expect(lines.some((l) => /\] run 2 {2}circuit opened after 5 consecutive connection failures/.test(l))).toBe(true);
    expect(lines.some((l) => /\] job {4}circuit closed/.test(l))).toBe(true);
    expect(lines.filter((l) => /\] run \d {2}finished /.test(l))).toHaveLength(3);
    // the summary table, from the store
    expect(lines.some((l) => /^run\s+id\s+started\s+took\s+status\s+tasks\s+ok\s+dead\s+replaced$/.test(l))).toBe(true);
    expect(lines.some((l) => /^\s+1\s+hazard-grid#\S+\s.*\spartial\s+40\s+37\s+3\s/.test(l))).toBe(true);
    expect(lines.some((l) => /^\s+2\s+hazard-grid#\S+\s.*\saborted \(circuit-open\)\s+40\s+30\s+10\s/.test(l))).toBe(true);
    expect(lines.some((l) => /^\s+3\s+hazard-grid#\S+\s.*\scompleted\s+40\s+40\s+0\s/.test(l))).toBe(true);
    expect(r.stdout).toMatch(/dead letters \(13, kept in the store\):/);
    expect(r.stdout).toContain(`warden dlq list --db ${t.path}`);
  });

  it('--db of a file that exists, or in a directory that does not: refused (exit 2)', async () => {
    const t = tempStore();
    temps.push(t.cleanup);
    const r = await warden('demo', '--db', t.dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/already exists; the demo writes a fresh store: pass a new file name/);
    const nowhere = await warden('demo', '--db', `${t.dir}/no/such/dir/demo.db`);
    expect(nowhere.code).toBe(2);
    expect(nowhere.stderr).toContain(`the directory ${t.dir}/no/such/dir does not exist: create it`);
  });
});

describe('the warden program', () => {
  it('an unknown command: the error on stderr, exit code 2', async () => {
    const r = await warden('frobnicate');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'frobnicate'/);
  });

  it('no command: the usage on stderr, exit code 2', async () => {
    const r = await warden();
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Usage: warden/);
  });

  it('--help and help <command>: usage with the exit codes, exit code 0', async () => {
    const r = await warden('--help');
    expect(r.code).toBe(0);
    for (const c of ['demo', 'status', 'runs', 'dlq']) expect(r.stdout).toContain(c);
    expect(r.stdout).toMatch(/Exit codes:\n\s+0 .*\n\s+1 .*\n\s+2 /);
    const sub = await warden('help', 'dlq');
    expect(sub.code).toBe(0);
    for (const c of ['list', 'show', 'replay', 'purge']) expect(sub.stdout).toContain(c);
  });
});
