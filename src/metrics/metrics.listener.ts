import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppConfig } from '../config/app-config.js';
import { METRICS_CHALLENGE } from './metrics.controller.js';
import { MetricsService } from './metrics.service.js';

/**
 * A worker process has no HTTP app; with METRICS_PORT set it answers `GET /metrics` (the same token, the same
 * text as the API's) on that port, and nothing else.
 */
@Injectable()
export class MetricsListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('Metrics');
  private server?: Server;

  constructor(private readonly config: AppConfig, private readonly metrics: MetricsService) {}

  /** The port it listens on (METRICS_PORT=0 picks a free one). */
  get port(): number | undefined {
    return (this.server?.address() as AddressInfo | null)?.port;
  }

  async onApplicationBootstrap(): Promise<void> {
    const server = createServer((req, res) => void this.answer(req, res));
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new Error(`METRICS_PORT ${this.config.metricsPort}: ${err.message}`)));
      server.listen(this.config.metricsPort, () => resolve());
    });
    this.server = server;
    this.log.log(`Metrics on http://localhost:${this.port}/metrics (bearer METRICS_TOKEN)`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const json = (status: number, message: string) => {
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ statusCode: status, message }));
    };
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) return json(404, 'Not found');
    if (!this.metrics.authorize(req.headers.authorization)) {
      res.setHeader('WWW-Authenticate', METRICS_CHALLENGE);
      return json(401, 'Send METRICS_TOKEN as a bearer token');
    }
    try {
      const body = await this.metrics.scrape();
      res.writeHead(200, { 'Content-Type': this.metrics.contentType, 'Cache-Control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (err) {
      this.log.error(`/metrics failed: ${(err as Error).message}`);
      json(500, 'Could not collect the metrics');
    }
  }
}
