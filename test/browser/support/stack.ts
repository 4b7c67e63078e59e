import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import { Clock, ConsoleSmsSender, JobQueue, JobRunner, loadConfig, RedisService } from '@jinli/platform';
import { createApiApp } from '../../../apps/api/src/app.factory';
import { ScheduleRegistrar, SCHEDULES } from '../../../apps/worker/src/schedule.registrar';
import { WorkerModule } from '../../../apps/worker/src/worker.module';

const ROOT = join(__dirname, '..', '..', '..');
export const WEB_DIR = join(ROOT, 'dist', 'web');

/** `npm test` builds the pages first; a focused run builds them when they are missing. */
export function ensureWebBuilt(): void {
  if (existsSync(join(WEB_DIR, 'h5', 'index.html'))) return;
  const r = spawnSync(
    join(ROOT, 'node_modules', '.bin', 'vite'),
    ['build', '--config', 'apps/web/vite.config.mts', '--logLevel', 'warn'],
    { cwd: ROOT, stdio: 'inherit' },
  );
  if (r.status !== 0)
    throw new Error('Building the web pages failed: run `npm run build:web` and read its errors');
}

/**
 * The real time, plus an offset a test may add: the journey claims at a real round opening, then
 * moves both API and worker a day ahead so that today's redemption is on an ended business day
 * that finance may settle (T+1).
 */
export class ShiftedClock extends Clock {
  private offsetMs = 0;
  override now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  override nowMs(): number {
    return Date.now() + this.offsetMs;
  }
  shift(ms: number): void {
    this.offsetMs += ms;
  }
}

export interface Stack {
  baseUrl: string;
  app: NestFastifyApplication;
  worker: INestApplicationContext;
  clock: ShiftedClock;
  dataSource: DataSource;
  close(): Promise<void>;
}

/**
 * The real API (production build of the app, real clock, pages from dist/web) listening on a free
 * port of this jest worker's database and Redis, plus the worker processing jobs (settlement).
 * SMS codes are "sent" to the log and returned as devCode, as in development.
 */
export async function startStack(): Promise<Stack> {
  ensureWebBuilt();
  const config = loadConfig();
  const clock = new ShiftedClock();
  const app = await createApiApp({ config, clock, sms: new ConsoleSmsSender(), webDir: WEB_DIR });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.getHttpServer().address() as AddressInfo;
  // Sign-in codes are limited per network address and hour; every run here comes from 127.0.0.1.
  const redis = app.get(RedisService);
  const keys = await redis.client.keys(redis.key('otp-ip', '*'));
  if (keys.length) await redis.client.del(...keys);

  const worker = await NestFactory.createApplicationContext(WorkerModule.forRoot({ config, clock }), {
    logger: false,
    abortOnError: false,
  });
  // As in production: the schedules (outbox processing for the ledger and reports...) and the processors.
  await worker.get(ScheduleRegistrar).registerAll();
  worker.get(JobRunner).start();
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    app,
    worker,
    clock,
    dataSource: app.get(DataSource),
    async close() {
      const jobs = worker.get(JobQueue);
      for (const sc of SCHEDULES) await jobs.queue(sc.job.queue).removeJobScheduler(sc.id);
      await worker.close();
      await app.close();
    },
  };
}
