import { letterSummary } from '../cli/letterSummary.js';
import { DEMO_POINTS } from './demoGrid.js';
import { settledTasks, type DemoRun, type DemoState } from './demoModel.js';

const GREEN = '\x1b[32m';
const YELLOW = '\x1b[33m';
const RED = '\x1b[31m';
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';
const BAR = 20;

/** The live lines on a terminal: one per run (a task bar, a cell per chunk, counts, status), then the job's next fire and circuit. */
export function ttyFrame(s: DemoState, now: number, next: { fireAt: number; n: number } | undefined, chunksPerRun: number): string[] {
  const lines = s.runs.map((r) => runLine(r, chunksPerRun));
  const circuit = s.circuit === 'open' ? `${RED}open${RESET}` : `${GREEN}closed${RESET}`;
  const fire = next ? `run ${next.n} fires in ${Math.max(0, (next.fireAt - now) / 1000).toFixed(1)} s` : 'no more fires';
  lines.push(`${DIM}next${RESET}   ${fire}   circuit ${circuit}`);
  return lines;
}

function runLine(r: DemoRun, chunksPerRun: number): string {
  const total = r.summary?.total ?? DEMO_POINTS;
  const { settled, succeeded } = settledTasks(r);
  const dead = r.summary ? r.summary.deadLettered : Math.max(r.deadLettered, settled - succeeded); // letters arrive just after their chunk's end
  const filled = total === 0 ? BAR : Math.round((settled / total) * BAR);
  const bar = `${GREEN}${'█'.repeat(filled)}${RESET}${DIM}${'░'.repeat(BAR - filled)}${RESET}`;
  const cells = Array.from({ length: Math.max(chunksPerRun, r.chunks.length) }, (_, i) => {
    const c = r.chunks.find((x) => x.index === i);
    if (!c) return `${DIM}·${RESET}`;
    return c.failed ? `${RED}■${RESET}` : c.deadLettered > 0 ? `${YELLOW}■${RESET}` : `${GREEN}■${RESET}`;
  }).join('');
  const status = r.summary
    ? `${r.summary.status}${r.summary.reason ? ` (${r.summary.reason})` : ''}: ${letterSummary(r.summary.byReason)}`
    : `running${r.circuitOpened ? `, ${RED}circuit open${RESET}` : ''}${r.workerRestarts ? `, ${r.workerRestarts} worker(s) replaced` : ''}`;
  return `run ${r.n} ${bar} ${String(settled).padStart(2)}/${total} ${cells} ok ${String(succeeded).padStart(2)} dead ${String(dead).padStart(2)}  ${status}`;
}
