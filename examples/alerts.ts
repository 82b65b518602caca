// Alerts: the warden's typed events are the hook. This posts to a webhook (Slack, Teams,
// PagerDuty's Events API, …) when a run fails, is stopped at its job budget, or a circuit
// opens. Type-checked in CI; run it with your own job definitions.
import { createWarden, type Warden, type WardenEvents } from '../src/index.js';

/** Posts `text` as JSON to the webhook; a webhook that is down is logged, never fatal. */
async function post(webhook: string, text: string): Promise<void> {
  try {
    const res = await fetch(webhook, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) });
    if (!res.ok) console.error(`alert webhook answered ${res.status}`);
  } catch (err) {
    console.error('alert webhook unreachable', err);
  }
}

/** Wires the alerts onto a warden; returns the function that removes them. */
export function alertOn(warden: Warden, webhook: string): () => void {
  const finished = ({ jobId, runId, summary, metrics }: WardenEvents['run.finished']) => {
    if (summary.status === 'completed' || summary.status === 'partial') return;
    void post(webhook, `${jobId}: run ${runId} ${summary.status} (${summary.reason ?? 'no reason'}); ${summary.succeeded}/${summary.total} succeeded, ${metrics.dependencyErrors} dependency errors`);
  };
  const offs = [
    warden.on('run.finished', finished),
    warden.on('run.failed', ({ jobId, runId, error }) => void post(webhook, `${jobId}: run ${runId} could not start: ${String(error)}`)),
    warden.on('run.timeout', ({ jobId, runId, jobMs }) => void post(webhook, `${jobId}: run ${runId} reached its ${jobMs} ms budget and is being stopped`)),
    warden.on('circuit.opened', ({ jobId, runId, failures }) => void post(webhook, `${jobId}: circuit opened in run ${runId} after ${failures} dependency errors; fires are skipped during the cool-down`)),
    warden.on('run.interrupted', ({ jobId, runId, resumedBy }) => void post(webhook, `${jobId}: run ${runId} was cut short by a host crash; ${resumedBy ? `resumed by ${resumedBy}` : 'its tasks were dead-lettered'}`)),
  ];
  return () => offs.forEach((off) => off());
}

export async function main(): Promise<void> {
  const warden = createWarden();
  alertOn(warden, process.env['ALERT_WEBHOOK'] ?? 'http://127.0.0.1:9/hook');
  await warden.start();
  await warden.serve({ port: 9464 }); // GET /healthz for the load balancer or Kubernetes probe, /metrics for Prometheus
  warden.handleSignals();
}
