export * from './factories';
export * from './test-api';
