import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { JobQueue, JobRunner } from '@jinli/platform';
import { WorkerModule } from '../../../apps/worker/src/worker.module';
import { TestApi } from './test-api';

/**
 * The worker as production builds it (BullMQ processors), on the same database, Redis and clock as
 * a TestApi. Its queues are emptied first: they live in this jest worker's own Redis database.
 */
export class TestQueueWorker {
  private constructor(readonly app: INestApplicationContext) {}

  static async start(
    api: TestApi,
    options: { queues?: string[]; concurrency?: Record<string, number> } = {},
  ): Promise<TestQueueWorker> {
    const app = await NestFactory.createApplicationContext(
      WorkerModule.forRoot({ config: api.config, clock: api.clock }),
      { logger: false, abortOnError: false },
    );
    const jobs = app.get(JobQueue);
    for (const name of options.queues ?? []) await jobs.queue(name).obliterate({ force: true });
    app.get(JobRunner).start(options.concurrency);
    return new TestQueueWorker(app);
  }

  get<T>(type: new (...args: never[]) => T): T {
    return this.app.get(type);
  }

  async close(): Promise<void> {
    await this.app.close();
  }
}
