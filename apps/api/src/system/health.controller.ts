import { Controller, Get, Headers, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import { ApiExcludeEndpoint, ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { API } from '../common/api';
import {
  APP_CONFIG,
  AppConfig,
  Clock,
  JinliException,
  metricsRegistry,
  Public,
  RedisHealthIndicator,
  TokenService,
} from '@jinli/platform';

@ApiTags('system')
@Controller()
export class SystemController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
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
  @ApiExcludeEndpoint()
  async metrics(
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    // Business counters (redemptions, refusals, forged codes) are not for everyone: with
    // METRICS_TOKEN set, the scraper must present it as a bearer token.
    const expected = this.config.http.metricsToken;
    if (expected) {
      const given = Buffer.from(TokenService.fromHeader(authorization) ?? '');
      const want = Buffer.from(expected);
      if (given.length !== want.length || !timingSafeEqual(given, want)) {
        throw new JinliException(
          'UNAUTHENTICATED',
          'Metrics need the scrape token (Authorization: Bearer <METRICS_TOKEN>)',
        );
      }
    }
    void reply.type(metricsRegistry.contentType);
    return metricsRegistry.metrics();
  }

  @Public()
  @Get(`${API}/time`)
  @ApiOperation({ summary: "The server's clock, for countdowns to a round's opening" })
  time() {
    return { now: this.clock.now().toISOString() };
  }
}
