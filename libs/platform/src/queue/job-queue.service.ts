import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { ConnectionOptions, JobsOptions, Queue } from 'bullmq';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { redisOptions } from '../redis/redis.service';
import { JobDefinition } from './job-definition';

/** Enqueues jobs. Used by the API (on-demand runs) and the worker (fan-out, schedules). */
@Injectable()
export class JobQueue implements OnModuleDestroy {
  private readonly queues = new Map<string, Queue>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  get prefix(): string {
    return `${this.config.redis.keyPrefix}bull`;
  }

  connection(): ConnectionOptions {
    return redisOptions(this.config.redis.url, { maxRetriesPerRequest: null }) as ConnectionOptions;
  }

  queue(name: string): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.connection(), prefix: this.prefix });
      this.queues.set(name, q);
    }
    return q;
  }

  /** Adds a job. Give a deterministic `jobId` so adding the same work twice does it once. */
  add<P>(def: JobDefinition<P>, payload: P, options: JobsOptions = {}) {
    return this.queue(def.queue).add(def.name, payload, {
      attempts: 5,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
      removeOnFail: { age: 30 * 24 * 3600 },
      ...options,
    });
  }

  /** Creates or updates a repeatable schedule (cron `pattern` read in `tz`). */
  schedule<P>(def: JobDefinition<P>, schedulerId: string, pattern: string, tz: string, payload: P) {
    return this.queue(def.queue).upsertJobScheduler(
      schedulerId,
      { pattern, tz },
      {
        name: def.name,
        data: payload,
        // A schedule every few seconds must not pile up finished jobs in Redis.
        opts: {
          attempts: 5,
          backoff: { type: 'exponential', delay: 5000 },
          removeOnComplete: { age: 24 * 3600, count: 1000 },
          removeOnFail: { age: 7 * 24 * 3600, count: 1000 },
        },
      },
    );
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
  }
}
