import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { Job, Worker } from 'bullmq';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { definedJobs, JOB_HANDLER, JobDefinition, jobKey } from './job-definition';
import { JobQueue } from './job-queue.service';

type Handler = (payload: unknown, job: Job) => Promise<unknown>;

/** Finds every handler, verifies each defined job has exactly one, and runs BullMQ workers. */
export function collectHandlers(
  discovery: DiscoveryService,
  scanner: MetadataScanner,
  reflector: Reflector,
): Map<string, { def: JobDefinition; handlers: { owner: string; run: Handler }[] }> {
  const found = new Map<string, { def: JobDefinition; handlers: { owner: string; run: Handler }[] }>();
  for (const wrapper of discovery.getProviders()) {
    const instance = wrapper.instance as Record<string, unknown> | undefined;
    if (!instance || typeof instance !== 'object') continue;
    const proto = Object.getPrototypeOf(instance) as object;
    for (const method of scanner.getAllMethodNames(proto)) {
      const fn = instance[method];
      if (typeof fn !== 'function') continue;
      const def = reflector.get<JobDefinition | undefined>(JOB_HANDLER, fn as () => void);
      if (!def) continue;
      const entry = found.get(jobKey(def)) ?? { def, handlers: [] };
      entry.handlers.push({
        owner: `${proto.constructor.name}.${method}`,
        run: (fn as Handler).bind(instance),
      });
      found.set(jobKey(def), entry);
    }
  }
  return found;
}

export function checkHandlers(
  found: ReturnType<typeof collectHandlers>,
  expected: JobDefinition[],
): string[] {
  const problems: string[] = [];
  for (const def of expected) {
    const entry = found.get(jobKey(def));
    if (!entry) problems.push(`job ${jobKey(def)} has no handler`);
    else if (entry.handlers.length > 1) {
      problems.push(
        `job ${jobKey(def)} has ${entry.handlers.length} handlers: ${entry.handlers.map((h) => h.owner).join(', ')}`,
      );
    }
  }
  for (const key of found.keys()) {
    if (!expected.some((d) => jobKey(d) === key)) problems.push(`handler for undefined job ${key}`);
  }
  return problems;
}

@Injectable()
export class JobRunner implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger(JobRunner.name);
  private readonly workers: Worker[] = [];
  private handlers = new Map<string, Handler>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly jobs: JobQueue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const found = collectHandlers(this.discovery, this.scanner, this.reflector);
    const problems = checkHandlers(found, definedJobs());
    if (problems.length) throw new Error(`Job handlers are inconsistent:\n  - ${problems.join('\n  - ')}`);
    for (const [key, entry] of found) this.handlers.set(key, entry.handlers[0].run);
  }

  /** Starts one BullMQ worker per queue that has handlers. */
  start(concurrency: Record<string, number> = {}): void {
    const queues = new Set([...this.handlers.keys()].map((k) => k.split('/')[0]));
    for (const queue of queues) {
      const worker = new Worker(
        queue,
        async (job: Job) => {
          const handler = this.handlers.get(`${queue}/${job.name}`);
          if (!handler) throw new Error(`no handler for ${queue}/${job.name}`);
          return handler(job.data, job);
        },
        {
          connection: this.jobs.connection(),
          prefix: this.jobs.prefix,
          concurrency: concurrency[queue] ?? 2,
        },
      );
      worker.on('failed', (job, err) =>
        this.log.warn(`${queue}/${job?.name} ${job?.id} failed: ${err.message}`),
      );
      worker.on('error', (err) => this.log.warn(`${queue} worker: ${err.message}`));
      this.workers.push(worker);
    }
    this.log.log(`processing queues: ${[...queues].join(', ') || '(none)'}`);
  }

  /** Runs a job's handler in this process, without a queue (tests, CLI). */
  runNow<P>(def: JobDefinition<P>, payload: P): Promise<unknown> {
    const handler = this.handlers.get(jobKey(def));
    if (!handler) throw new Error(`no handler for ${jobKey(def)}`);
    return handler(payload, { id: 'inline', name: def.name, data: payload } as Job);
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.allSettled(this.workers.map((w) => w.close()));
  }
}
