export * from './job-definition';
export * from './job-queue.service';
export * from './job-runner.service';
export * from './queue.module';
