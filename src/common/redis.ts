import { Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';
import { AppConfig } from '../config/app-config.js';

/**
 * A Redis connection that fails fast instead of queueing commands while Redis is away: the request path and
 * the queue producers use it, so a Redis outage costs an error now rather than a request or a relay pass held up.
 */
export function failFastRedis(url: string, options: RedisOptions = {}): Redis {
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    ...options,
  });
  // Errors surface where commands are used; the connection retries by itself.
  client.on('error', () => undefined);
  return client;
}

/**
 * A Redis connection for request-path work (rate limits, health). It fails fast instead of queueing
 * commands while Redis is away, so a Redis outage never holds up a request.
 */
@Injectable()
export class RequestRedis implements OnApplicationShutdown {
  readonly client: Redis;

  constructor(@Inject(AppConfig) config: AppConfig) {
    this.client = failFastRedis(config.redisUrl, { commandTimeout: 1_000 });
  }

  async onApplicationShutdown(): Promise<void> {
    this.client.disconnect();
  }
}

@Global()
@Module({ providers: [RequestRedis], exports: [RequestRedis] })
export class RedisModule {}
