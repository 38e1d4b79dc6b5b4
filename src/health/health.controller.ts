import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../auth/auth.decorators.js';
import { RequestRedis } from '../common/redis.js';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly redis: RequestRedis,
  ) {}

  @Get()
  @HealthCheck()
  @ApiOperation({ summary: '200 when PostgreSQL and Redis answer; 503 naming what is down' })
  check() {
    return this.health.check([
      () => this.database.pingCheck('database', { timeout: 1_500 }),
      async () => {
        const redis = this.indicators.check('redis');
        try {
          await this.redis.client.ping();
          return redis.up();
        } catch {
          return redis.down({ message: 'Redis cannot be reached' });
        }
      },
    ]);
  }
}
