import type { WardenStatus } from '../observe/statusStore.js';
import { CliError } from './CliError.js';
import { EXIT } from './exitCodes.js';
import { formatTable } from './formatTable.js';
import { formatTime } from './formatTime.js';

/** Reads the live status a running warden serves (`warden.serve()`): GET <url>/status. */
export async function fetchLiveStatus(url: string): Promise<WardenStatus> {
  let base: URL;
  try {
    base = new URL(url);
  } catch {
    throw new CliError(`--url: not a URL (${JSON.stringify(url)}): pass the address warden.serve() listens on, e.g. http://127.0.0.1:9464`);
  }
  const target = new URL('/status', base);
  let res: Response;
  try {
    res = await fetch(target, { signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    throw new CliError(`nothing answers at ${target.href} (${(err as Error).message}): is the warden running with warden.serve() on that port?`, EXIT.failed);
  }
  if (!res.ok) throw new CliError(`${target.href} answered ${res.status}: is that a warden's warden.serve() address?`, EXIT.failed);
  try {
    return (await res.json()) as WardenStatus;
  } catch {
    throw new CliError(`${target.href} did not answer JSON: is that a warden's warden.serve() address?`, EXIT.failed);
  }
}

/** The live status as lines: jobs, then each running run with its chunk progress. */
export function liveStatusLines(url: string, s: WardenStatus): string[] {
  const lines = [`warden at ${url}  store ${s.store.path}${s.store.ok ? '' : `  STORE FAILING: ${s.store.lastError?.operation}: ${s.store.lastError?.message}`}`, ''];
  const rows = s.jobs.map((j) => [
    j.id,
    j.running,
    j.circuit,
    j.lastRun ? `${j.lastRun.status} (${j.lastRun.runId})` : '-',
    formatTime(j.nextFireAt === undefined ? undefined : new Date(j.nextFireAt)),
    j.deadLetters,
  ]);
  lines.push(...formatTable(['job', 'running', 'circuit', 'last run', 'next fire', 'dead letters to replay'], rows));
  for (const r of s.runs) {
    const chunk = r.lastChunk ? `chunk ${r.lastChunk.index} ended` : 'first chunk running';
    lines.push(`  running  ${r.runId} (${r.kind})  since ${formatTime(new Date(r.startedAt))}  ${chunk}: ${r.succeeded} ok, ${r.deadLettered} dead-lettered in ${r.chunksEnded} chunk(s)${r.workerRestarts ? `, ${r.workerRestarts} worker(s) replaced` : ''}`);
  }
  return lines;
}
