export * from './db-snapshot';
export * from './factories';
export * from './redemption-factories';
export * from './settlement-factories';
export * from './sql-fixtures';
export * from './test-api';
export * from './claiming';
export * from './test-queue-worker';
