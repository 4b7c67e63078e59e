import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { API } from '../common/api';
import { Clock, metricsRegistry, Public, RedisHealthIndicator } from '@jinli/platform';

@ApiTags('system')
@Controller()
export class SystemController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    private readonly clock: Clock,
  ) {}

  @Public()
  @Get('health')
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: PostgreSQL and Redis answer (503 when either is down)' })
  ready() {
    return this.health.check([
      () => this.db.pingCheck('postgres', { timeout: 1500 }),
      () => this.redis.isHealthy('redis'),
    ]);
  }

  @Public()
  @Get('health/live')
  @ApiOperation({ summary: 'Liveness: the process serves requests' })
  live() {
    return { status: 'ok' };
  }

  @Public()
  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4')
  @ApiExcludeEndpoint()
  metrics(): Promise<string> {
    return metricsRegistry.metrics();
  }

  @Public()
  @Get(`${API}/time`)
  @ApiOperation({ summary: "The server's clock, for countdowns to a round's opening" })
  time() {
    return { now: this.clock.now().toISOString() };
  }
}
