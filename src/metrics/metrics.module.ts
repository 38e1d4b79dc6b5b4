import { DynamicModule, Module, Provider } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsListener } from './metrics.listener.js';
import { MetricsService } from './metrics.service.js';

/**
 * Prometheus metrics (README "Metrics"). MetricsService is global, so the mail worker counts wherever it runs.
 * `http`: the HTTP app serves GET /metrics on its own port; a worker process (`http: false`) opens a small
 * listener on METRICS_PORT instead, when that is set. Both only with METRICS_TOKEN.
 */
@Module({})
export class MetricsModule {
  static forRoot(config: AppConfig, options: { http?: boolean } = {}): DynamicModule {
    const http = options.http ?? true;
    const on = Boolean(config.metricsToken);
    const providers: Provider[] = [MetricsService];
    if (on && !http && config.metricsPort !== undefined) providers.push(MetricsListener);
    return {
      module: MetricsModule,
      global: true,
      controllers: on && http ? [MetricsController] : [],
      providers,
      exports: [MetricsService],
    };
  }
}
