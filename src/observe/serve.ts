import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Health } from './health.js';
import type { WardenStatus } from './statusStore.js';

/** `warden.serve()` options. */
export interface ServeOptions {
  /** Port (default 9464; 0 picks a free one). */
  port?: number;
  /** Interface to listen on (default '127.0.0.1': only this machine). */
  host?: string;
}

/** A running HTTP endpoint: where it listens, and how to stop it. */
export interface Served {
  port: number;
  host: string;
  url: string;
  close(): Promise<void>;
}

export interface Endpoints {
  health(): Health;
  metrics(): Promise<string>;
  metricsContentType: string;
  status(): WardenStatus;
}

/** GET /healthz (200 or 503 with the reason), /metrics (Prometheus text), /status (JSON). */
export async function serveHttp(e: Endpoints, o: ServeOptions, log: Logger): Promise<Served> {
  const server: Server = createServer((req, res) => {
    const send = (code: number, type: string, body: string) => {
      res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    const json = (code: number, body: unknown) => send(code, 'application/json; charset=utf-8', `${JSON.stringify(body)}\n`);
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, { error: 'only GET' });
    const path = (req.url ?? '/').split('?')[0];
    switch (path) {
      case '/healthz': {
        const h = e.health();
        return json(h.ok ? 200 : 503, h);
      }
      case '/metrics':
        e.metrics().then(
          (text) => send(200, e.metricsContentType, text),
          (err: unknown) => {
            log.error({ err }, 'metrics collection failed');
            json(500, { error: 'metrics collection failed' });
          },
        );
        return;
      case '/status':
        return json(200, e.status());
      default:
        return json(404, { error: 'not found', endpoints: ['/healthz', '/metrics', '/status'] });
    }
  });
  const host = o.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 9464, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info({ url }, 'serving /healthz, /metrics and /status');
  return {
    port,
    host,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
