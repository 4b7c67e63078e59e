import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { RedisService } from './redis.service';

@Injectable()
export class RedisHealthIndicator {
  constructor(
    private readonly redis: RedisService,
    private readonly health: HealthIndicatorService,
  ) {}

  async isHealthy(key = 'redis') {
    const indicator = this.health.check(key);
    try {
      const started = Date.now();
      const pong = await Promise.race([
        this.redis.client.ping(),
        new Promise<string>((_, reject) =>
          setTimeout(() => reject(new Error('timeout after 1000 ms')), 1000).unref(),
        ),
      ]);
      return pong === 'PONG'
        ? indicator.up({ latencyMs: Date.now() - started })
        : indicator.down({ message: pong });
    } catch (e) {
      return indicator.down({ message: (e as Error).message });
    }
  }
}
