export * from './idempotency.service';
