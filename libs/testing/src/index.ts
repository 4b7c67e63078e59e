export * from './factories';
export * from './settlement-factories';
export * from './test-api';
export * from './test-worker';
