import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import Redis, { RedisOptions } from 'ioredis';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

/** ioredis options from a redis:// URL, shared by our clients and BullMQ's. */
export function redisOptions(url: string, extra: RedisOptions = {}): RedisOptions {
  const u = new URL(url);
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname && u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
    tls: u.protocol === 'rediss:' ? {} : undefined,
    ...extra,
  };
}

/** The options of RedisService's client (exported so tests can open a client like it). */
export function redisClientOptions(config: AppConfig): RedisOptions {
  return redisOptions(config.redis.url, {
    enableAutoPipelining: true,
    maxRetriesPerRequest: 2,
    // A command whose reply never comes (a connection that died silently) fails instead of hanging
    // its request. ioredis still resends it after a reconnect if it had gone out: the claim gate's
    // script calls are safe to run twice (see claim-scripts.ts).
    commandTimeout: config.redis.commandTimeoutMs,
  });
}

/**
 * Redis is Jinli's fast gate (quota counters, rate limits, locks, one-time codes). It is never the
 * system of record: everything here can be rebuilt from PostgreSQL.
 */
@Injectable()
export class RedisService implements OnModuleDestroy {
  private readonly log = new Logger(RedisService.name);
  readonly client: Redis;
  private subscriberClient?: Redis;
  readonly prefix: string;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.prefix = config.redis.keyPrefix;
    this.client = new Redis(redisClientOptions(config));
    this.client.on('error', (e) => this.log.warn(`redis: ${e.message}`));
  }

  /** A prefixed key. Pass a hash tag part such as `{batch:7}` to keep related keys in one cluster slot. */
  key(...parts: (string | number)[]): string {
    return this.prefix + parts.join(':');
  }

  /** A dedicated connection for SUBSCRIBE (a subscribed connection can run nothing else). */
  subscriber(): Redis {
    if (!this.subscriberClient) {
      this.subscriberClient = new Redis(redisOptions(this.config.redis.url, { maxRetriesPerRequest: null }));
      this.subscriberClient.on('error', (e) => this.log.warn(`redis subscriber: ${e.message}`));
    }
    return this.subscriberClient;
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.allSettled([this.client.quit(), this.subscriberClient?.quit()]);
  }
}
