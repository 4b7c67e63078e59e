import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { JobQueue } from './job-queue.service';
import { JobRunner } from './job-runner.service';

/** Enqueueing, for every app. */
@Global()
@Module({ providers: [JobQueue], exports: [JobQueue] })
export class QueueModule {}

/** Processing, for the worker (and tests that run jobs). */
@Module({ imports: [DiscoveryModule], providers: [JobRunner], exports: [JobRunner] })
export class JobRunnerModule {}
