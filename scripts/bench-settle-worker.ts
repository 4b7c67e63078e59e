import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import { JobRunner, loadConfig } from '@jinli/platform';
import { WorkerModule } from '../apps/worker/src/worker.module';

/**
 * The worker of `npm run bench:settle`: the production WorkerModule and its BullMQ processors, without
 * the repeatable schedules (the benchmark starts runs itself). Samples its own resident memory and,
 * on SIGTERM, prints the peak as one JSON line.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot({ config }), {
    logger: ['error', 'warn'],
  });
  const concurrency = Number(process.env.BENCH_WORKER_CONCURRENCY ?? 2);
  app.get(JobRunner).start({ settlement: concurrency });
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  process.on('SIGTERM', () => {
    clearInterval(sampler);
    let hwmKb: number | null = null;
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
      hwmKb = m ? Number(m[1]) : null;
    } catch {
      // not Linux: the sampled peak stands
    }
    const peakMb = Math.max(peak / 1048576, (hwmKb ?? 0) / 1024);
    process.stdout.write(`${JSON.stringify({ peakRssMb: Math.round(peakMb * 10) / 10 })}\n`);
    void app.close().finally(() => process.exit(0));
  });
  process.stdout.write('ready\n');
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
