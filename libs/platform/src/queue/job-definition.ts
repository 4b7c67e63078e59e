import { SetMetadata } from '@nestjs/common';

/** A job: its queue, its name and (as a type) its payload. Define each once, as a constant. */
export interface JobDefinition<P = unknown> {
  readonly queue: string;
  readonly name: string;
  /** Phantom field carrying the payload type. */
  readonly payload?: P;
}

const registry = new Map<string, JobDefinition>();

export function jobKey(def: Pick<JobDefinition, 'queue' | 'name'>): string {
  return `${def.queue}/${def.name}`;
}

export function defineJob<P>(queue: string, name: string): JobDefinition<P> {
  const def: JobDefinition<P> = { queue, name };
  if (registry.has(jobKey(def))) throw new Error(`job ${jobKey(def)} is defined twice`);
  registry.set(jobKey(def), def);
  return def;
}

/** Every job defined by the libraries loaded in this process. */
export function definedJobs(): JobDefinition[] {
  return [...registry.values()];
}

export const JOB_HANDLER = 'jinli:job-handler';

/** Marks a provider method as the one handler of a job. The method receives the decoded payload. */
export const JobHandler = (def: JobDefinition<unknown>): MethodDecorator => SetMetadata(JOB_HANDLER, def);
